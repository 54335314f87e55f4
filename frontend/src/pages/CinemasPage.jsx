import { useMemo } from "react";
import { Link, useLoaderData } from "react-router";
import { CinemaSearch } from "../components/CinemaSearch.jsx";
import { EmptyState } from "../components/StatusViews.jsx";
import { findCinemas, formatMiles } from "../lib/geo.js";
import { pluralise } from "../lib/format.js";
import { useDocumentTitle } from "../lib/useDocumentTitle.js";
import { useNearMe } from "../lib/useNearMe.js";
import { useSearchQuery } from "../lib/useSearchQuery.js";

function CinemaList({ entries, showDistance }) {
  return (
    <ul className="cinema-list">
      {entries.map(({ cinema, distance }) => (
        <li key={cinema.slug} className="cinema-item" data-testid="cinema">
          <h2 className="cinema-item__name">
            <Link to={`/cinemas/${cinema.slug}`}>{cinema.name}</Link>
          </h2>
          {cinema.address && <p className="cinema-item__address">{cinema.address}</p>}
          {showDistance && (
            <p className="cinema-item__distance">
              {distance === null ? "Distance unknown" : `${formatMiles(distance)} away`}
            </p>
          )}
        </li>
      ))}
    </ul>
  );
}

export function CinemasPage() {
  useDocumentTitle("Cinemas");
  /** @type {Awaited<ReturnType<typeof import("../loaders.js").cinemasLoader>>} */
  const cinemas = useLoaderData();
  const [query, setQuery] = useSearchQuery();
  const nearMe = useNearMe();
  const { geo } = nearMe;
  const located = geo.status === "located";

  const entries = useMemo(() => findCinemas(cinemas, query, geo.origin), [cinemas, query, geo.origin]);

  return (
    <>
      <h1>Find a cinema</h1>
      <CinemaSearch query={query} onQueryChange={setQuery} nearMe={nearMe} />

      {cinemas.length === 0 ? (
        <EmptyState>No cinemas are taking part yet. Please check back soon.</EmptyState>
      ) : (
        <>
          <p className="results-count" aria-live="polite">
            {query
              ? `${pluralise(entries.length, "cinema")} matching “${query}”`
              : `${pluralise(entries.length, "cinema")}`}
          </p>
          {entries.length === 0 ? (
            <EmptyState>No cinemas match “{query}”. Try another name or town.</EmptyState>
          ) : (
            <CinemaList entries={entries} showDistance={located} />
          )}
        </>
      )}
    </>
  );
}
