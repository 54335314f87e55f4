import { useMemo, useState } from "react";
import { Link, useLoaderData } from "react-router";
import { CinemaSearch } from "../components/CinemaSearch.jsx";
import { CinemaTimetable } from "../components/CinemaTimetable.jsx";
import { Certificate, Genre, RunningTime } from "../components/FilmFacts.jsx";
import { Poster } from "../components/Poster.jsx";
import { BookingCutoff } from "../components/ScreeningSlot.jsx";
import { EmptyState } from "../components/StatusViews.jsx";
import { pluralise } from "../lib/format.js";
import { findCinemas } from "../lib/geo.js";
import { cinemaRows } from "../lib/schedule.js";
import { useDocumentTitle } from "../lib/useDocumentTitle.js";
import { useNearMe } from "../lib/useNearMe.js";
import { useSearchQuery } from "../lib/useSearchQuery.js";

function Description({ text }) {
  const paragraphs = (text ?? "").split(/\n\s*\n/).map((p) => p.trim()).filter(Boolean);
  return paragraphs.map((paragraph, index) => (
    <p key={index} className="film__description">
      {paragraph}
    </p>
  ));
}

function Facts({ film }) {
  const rows = [
    ["Certificate", film.certificate && <Certificate value={film.certificate} />],
    ["Running time", film.running_time && <RunningTime minutes={film.running_time} />],
    ["Genre", film.genre && <Genre value={film.genre} />],
    ["Released", film.release_date],
    ["Showing from", film.showing_from],
    [
      "Screenings",
      film.run_ended
        ? "Run ended"
        : `${pluralise(film.screenings_total ?? 0, "upcoming screening")}, ${film.screenings_sold_out ?? 0} sold out`,
    ],
  ].filter(([, value]) => value);
  return (
    <dl className="facts">
      {rows.map(([term, value]) => (
        <div key={term} className="facts__row">
          <dt>{term}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

// Enough rows to find a nearby cinema at a glance; a phone need not draw all 98 at once.
const FIRST_ROWS = 20;

/** Where the film shows: search by name or town, or nearest first, then a row per cinema. */
function FilmScreenings({ film, screenings, cinemas }) {
  const [query, setQuery] = useSearchQuery();
  const nearMe = useNearMe();
  const { origin } = nearMe.geo;
  const [showAll, setShowAll] = useState(false);

  const rows = useMemo(() => cinemaRows(screenings, cinemas), [screenings, cinemas]);
  const entries = useMemo(() => {
    const daysOf = new Map(rows.map((row) => [row.cinema.slug, row.days]));
    return findCinemas(
      rows.map((row) => row.cinema),
      query,
      origin,
    ).map(({ cinema, distance }) => ({ cinema, distance, days: daysOf.get(cinema.slug) }));
  }, [rows, query, origin]);
  const shown = showAll ? entries : entries.slice(0, FIRST_ROWS);

  return (
    <>
      <p className="section-note">
        {film.sold_out ? (
          "Every screening of this film is sold out."
        ) : (
          <>
            Times are UK time. Find a cinema, then pick a screening to see how to book it.
            <BookingCutoff screenings={screenings} />
          </>
        )}
      </p>
      <CinemaSearch query={query} onQueryChange={setQuery} nearMe={nearMe} />
      <p className="results-count" aria-live="polite">
        {query
          ? `${pluralise(entries.length, "cinema")} matching “${query}”`
          : `${pluralise(entries.length, "cinema")} showing this film`}
      </p>
      {entries.length === 0 ? (
        <EmptyState>No cinema showing this film matches “{query}”. Try another name or town.</EmptyState>
      ) : (
        <CinemaTimetable rows={shown} showDistance={Boolean(origin)} />
      )}
      {shown.length < entries.length && (
        <p className="timetable__more">
          <button type="button" className="button button--secondary" onClick={() => setShowAll(true)}>
            Show all {pluralise(entries.length, "cinema")}
          </button>
        </p>
      )}
    </>
  );
}

export function FilmDetailPage() {
  /** @type {Awaited<ReturnType<typeof import("../loaders.js").filmLoader>>} */
  const [film, screenings, cinemas] = useLoaderData();
  useDocumentTitle(film.name);

  return (
    <article className="film">
      <p className="breadcrumb">
        <Link to="/">← All films</Link>
      </p>
      <div className="film__layout">
        <div className="film__poster">
          <Poster key={film.slug} film={film} eager />
          {film.copyright && <p className="film__copyright">{film.copyright}</p>}
        </div>
        <div className="film__info">
          <h1>{film.name}</h1>
          {film.sold_out && <p className="badge badge--sold-out badge--large">Sold out</p>}
          <Description text={film.description} />
          <Facts film={film} />
        </div>
      </div>

      <section className="film__screenings" aria-labelledby="screenings-title">
        <h2 id="screenings-title">Screenings</h2>
        {screenings.length === 0 ? (
          <EmptyState>
            {film.run_ended
              ? "This film's run has ended: there are no more screenings."
              : "There are no upcoming screenings of this film yet."}
          </EmptyState>
        ) : (
          // Keyed by film: moving to another film starts from its own address, with no search.
          <FilmScreenings key={film.slug} film={film} screenings={screenings} cinemas={cinemas} />
        )}
      </section>
    </article>
  );
}
