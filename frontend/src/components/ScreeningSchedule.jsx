import { useMemo, useState } from "react";
import { Link } from "react-router";
import { formatDay, formatTime, seatsLeftHint } from "../lib/format.js";
import { groupSchedule } from "../lib/schedule.js";

function ScreeningSlot({ screening, selected, onToggle }) {
  const time = <time dateTime={screening.starts_at} className="slot__time">{formatTime(screening.starts_at)}</time>;
  const hint = seatsLeftHint(screening);
  return (
    <li data-testid="screening" data-slug={screening.slug} data-sold-out={String(screening.sold_out)}>
      {screening.sold_out ? (
        <button type="button" className="slot slot--sold-out" disabled>
          {time}
          <span className="slot__hint">Sold out</span>
        </button>
      ) : (
        <button
          type="button"
          className="slot"
          aria-pressed={selected}
          onClick={() => onToggle(screening.slug)}
        >
          {time}
          {hint && <span className="slot__hint">{hint}</span>}
        </button>
      )}
    </li>
  );
}

// Every day has its own live region, present (empty) from the start so that
// filling it is announced; the message shows right under the chosen time.
function Selection({ screening }) {
  return (
    <div className="selection" role="status">
      {screening && (
        <p>
          <strong>
            {screening.film_name} at {screening.cinema_name}, {formatDay(screening.starts_at)} at{" "}
            {formatTime(screening.starts_at)}.
          </strong>{" "}
          There is no booking on this site: ask campaign staff, quoting this screening:{" "}
          <code>{screening.slug}</code>
        </p>
      )}
    </div>
  );
}

/**
 * Upcoming screenings grouped by cinema or by film, then by UK day.
 * Available screenings can be picked (one at a time); sold-out ones cannot.
 * Group headings are h3, day headings h4: place it under a page's h2.
 */
export function ScreeningSchedule({ screenings, groupBy }) {
  const groups = useMemo(() => groupSchedule(screenings, groupBy), [screenings, groupBy]);
  const [selectedSlug, setSelectedSlug] = useState(null);
  const selected = screenings.find((s) => s.slug === selectedSlug && !s.sold_out) ?? null;
  const toggle = (slug) => setSelectedSlug((current) => (current === slug ? null : slug));

  return (
    <div className="schedule">
      {groups.map((group) => (
        <section key={group.key} className="schedule__group">
          <h3 className="schedule__group-title">
            <Link to={group.path}>{group.label}</Link>
          </h3>
          {group.days.map((day) => (
            <div key={day.key} className="schedule__day">
              <h4 className="schedule__day-title">{day.label}</h4>
              <ul className="slots">
                {day.screenings.map((screening) => (
                  <ScreeningSlot
                    key={screening.slug}
                    screening={screening}
                    selected={screening.slug === selected?.slug}
                    onToggle={toggle}
                  />
                ))}
              </ul>
              <Selection screening={day.screenings.includes(selected) ? selected : null} />
            </div>
          ))}
        </section>
      ))}
    </div>
  );
}
