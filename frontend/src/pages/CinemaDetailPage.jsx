import { Link, useLoaderData } from "react-router";
import { DaySchedule } from "../components/DaySchedule.jsx";
import { BookingCutoff } from "../components/ScreeningSlot.jsx";
import { EmptyState } from "../components/StatusViews.jsx";
import { useDocumentTitle } from "../lib/useDocumentTitle.js";

export function CinemaDetailPage() {
  /** @type {Awaited<ReturnType<typeof import("../loaders.js").cinemaLoader>>} */
  const [cinema, screenings] = useLoaderData();
  useDocumentTitle(cinema.name);

  return (
    <article className="cinema">
      <p className="breadcrumb">
        <Link to="/cinemas">← All cinemas</Link>
      </p>
      <div className="cinema__header">
        <h1>{cinema.name}</h1>
        {cinema.address && <p className="cinema__address">{cinema.address}</p>}
      </div>

      <section aria-labelledby="whats-on-title">
        <h2 id="whats-on-title">What's on</h2>
        {screenings.length === 0 ? (
          <EmptyState>There are no upcoming screenings at this cinema yet.</EmptyState>
        ) : (
          <>
            <p className="section-note">
              Times are UK time. Pick a screening to see how to book it.
              <BookingCutoff screenings={screenings} />
            </p>
            <DaySchedule screenings={screenings} />
          </>
        )}
      </section>
    </article>
  );
}
