import { useState } from "react";
import { Link } from "react-router";
import { bookingCutoffText, formatDay, formatTime, seatsLeftHint } from "../lib/format.js";
import { bookingCutoffMinutes, unavailableReason } from "../lib/schedule.js";
import { BookingContact } from "./CampaignContact.jsx";

const UNAVAILABLE_CLASS = {
  Cancelled: "slot--cancelled",
  "Bookings closed": "slot--closed",
  "Sold out": "slot--sold-out",
};

/** The short code a customer quotes to campaign staff to name a screening, e.g. "Code K7MQ3X". */
function ScreeningCode({ code }) {
  return (
    <span className="slot-item__code">
      Code <code translate="no">{code}</code>
    </span>
  );
}

/**
 * One screening's time as a button: available ones can be picked (one at a time, see
 * useScreeningChoice); cancelled, closed and sold-out ones are disabled and say which in words,
 * a cancelled one with the reason staff gave. With `showFilm`, the film's name follows as a
 * link, for lists that mix films. Each carries its short code, which customers quote to book.
 */
export function ScreeningSlot({ screening, selected, onToggle, showFilm = false }) {
  const time = (
    <time dateTime={screening.starts_at} className="slot__time">
      {formatTime(screening.starts_at)}
    </time>
  );
  const hint = seatsLeftHint(screening);
  const unavailable = unavailableReason(screening);
  return (
    <li
      className="slot-item"
      data-testid="screening"
      data-slug={screening.slug}
      data-sold-out={String(screening.sold_out)}
      data-unavailable={unavailable}
    >
      {unavailable ? (
        <button type="button" className={`slot slot--unavailable ${UNAVAILABLE_CLASS[unavailable]}`} disabled>
          {time} <span className="slot__hint">{unavailable}</span>
        </button>
      ) : (
        <button type="button" className="slot" aria-pressed={selected} onClick={() => onToggle(screening.slug)}>
          {time} {hint && <span className="slot__hint">{hint}</span>}
        </button>
      )}
      {showFilm && (
        <Link className="slot-item__film" to={`/films/${screening.film}`}>
          {screening.film_name}
        </Link>
      )}
      <ScreeningCode code={screening.code} />
      {screening.cancelled && screening.cancellation_reason && (
        <span className="slot-item__reason">{screening.cancellation_reason}</span>
      )}
    </li>
  );
}

/** A day's screenings as a list of slots, the picked one (see useScreeningChoice) pressed. */
export function SlotList({ className, screenings, choice, showFilm = false }) {
  return (
    <ul className={className}>
      {screenings.map((screening) => (
        <ScreeningSlot
          key={screening.slug}
          screening={screening}
          selected={screening.slug === choice.selected?.slug}
          onToggle={choice.toggle}
          showFilm={showFilm}
        />
      ))}
    </ul>
  );
}

/** The one screening picked in a schedule, if it is still listed and available. */
export function useScreeningChoice(screenings) {
  const [selectedSlug, setSelectedSlug] = useState(null);
  const selected = screenings.find((s) => s.slug === selectedSlug && !unavailableReason(s)) ?? null;
  const toggle = (slug) => setSelectedSlug((current) => (current === slug ? null : slug));
  return { selected, toggle };
}

// Each part of a schedule has its own live region, present (empty) from the start so that
// filling it is announced; the message shows right under the chosen time.
export function Selection({ screening }) {
  return (
    <div className="selection" role="status">
      {screening && (
        <p>
          <strong>
            {screening.film_name} at {screening.cinema_name}, {formatDay(screening.starts_at)} at{" "}
            {formatTime(screening.starts_at)}.
          </strong>{" "}
          There is no booking on this site: ask campaign staff, quoting this screening's code:{" "}
          <code translate="no">{screening.code}</code>.
          <BookingContact />
        </p>
      )}
    </div>
  );
}

/**
 * "Bookings close 1 hour before each screening.", read from the screenings a page lists. Not from
 * the campaign contact, which arrives after the page: a sentence added to the note above a
 * schedule then would push the schedule down the screen.
 */
export function BookingCutoff({ screenings }) {
  const text = screenings.length ? bookingCutoffText(bookingCutoffMinutes(screenings[0])) : "";
  return text ? <> {text}</> : null;
}
