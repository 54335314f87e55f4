import { useMemo, useState } from "react";
import { Link, useLoaderData } from "react-router";
import { EmptyState } from "../components/StatusViews.jsx";
import { formatMiles, matchesSearch, sortByDistance, sortByName } from "../lib/geo.js";
import { pluralise } from "../lib/format.js";
import { useDocumentTitle } from "../lib/useDocumentTitle.js";
import { useSearchQuery } from "../lib/useSearchQuery.js";

const GEO_OPTIONS = { enableHighAccuracy: false, timeout: 15000, maximumAge: 10 * 60 * 1000 };

const GEO_MESSAGES = {
  unsupported: "Your browser can't share your location. Search by cinema name or town instead.",
  1: "You didn't allow this site to use your location, so we can't sort cinemas by distance. Search by cinema name or town instead, or allow location access and try again.",
  2: "Your location isn't available right now. Search by cinema name or town instead, or try again later.",
  3: "Finding your location took too long. Please try again, or search by cinema name or town.",
};

function useNearMe() {
  const [geo, setGeo] = useState({ status: "idle" });

  function locate() {
    if (!navigator.geolocation) {
      setGeo({ status: "error", message: GEO_MESSAGES.unsupported });
      return;
    }
    setGeo({ status: "locating" });
    navigator.geolocation.getCurrentPosition(
      ({ coords }) => setGeo({ status: "located", origin: { lat: coords.latitude, lng: coords.longitude } }),
      (error) => setGeo({ status: "error", message: GEO_MESSAGES[error?.code] ?? GEO_MESSAGES[2] }),
      GEO_OPTIONS,
    );
  }

  return { geo, locate, reset: () => setGeo({ status: "idle" }) };
}

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
  const cinemas = useLoaderData();
  const [query, setQuery] = useSearchQuery();
  const { geo, locate, reset } = useNearMe();
  const located = geo.status === "located";

  const entries = useMemo(() => {
    const matching = cinemas.filter((cinema) => matchesSearch(cinema, query));
    return located ? sortByDistance(matching, geo.origin) : sortByName(matching);
  }, [cinemas, query, located, geo.origin]);

  return (
    <>
      <h1>Find a cinema</h1>
      <form className="cinema-search" role="search" onSubmit={(event) => event.preventDefault()}>
        <div className="cinema-search__field">
          <label htmlFor="cinema-search">Cinema name or town</label>
          <input
            id="cinema-search"
            type="search"
            value={query}
            onChange={(event) => setQuery(event.target.value)}
            autoComplete="off"
            placeholder="e.g. Aberdeen"
          />
        </div>
        <div className="cinema-search__actions">
          <button type="button" className="button button--green" onClick={locate} disabled={geo.status === "locating"}>
            <svg className="button__icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
              <path d="M12 2a7 7 0 0 0-7 7c0 5.2 7 13 7 13s7-7.8 7-13a7 7 0 0 0-7-7zm0 9.5A2.5 2.5 0 1 1 12 6.5a2.5 2.5 0 0 1 0 5z" />
            </svg>
            Near me
          </button>
          {located && (
            <button type="button" className="button button--secondary" onClick={reset}>
              Sort by name
            </button>
          )}
        </div>
      </form>
      <p className="cinema-search__privacy">
        “Near me” uses your device's location only to sort this list. It never leaves your browser.
      </p>

      <div className="geo-status" role="status">
        {geo.status === "locating" && "Finding your location…"}
        {located && "Nearest cinemas first."}
      </div>
      {geo.status === "error" && (
        <p className="notice notice--error" role="alert">
          {geo.message}
        </p>
      )}

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
