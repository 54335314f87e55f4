/** Distances for "Near me". Everything runs in the browser; no position is sent anywhere. */

const EARTH_RADIUS_MILES = 3958.8;

const toRadians = (degrees) => (degrees * Math.PI) / 180;

export function hasCoordinates(place) {
  return Number.isFinite(place?.lat) && Number.isFinite(place?.lng);
}

/** Great-circle (haversine) distance in miles between two {lat, lng} points. */
export function distanceMiles(from, to) {
  const dLat = toRadians(to.lat - from.lat);
  const dLng = toRadians(to.lng - from.lng);
  const a =
    Math.sin(dLat / 2) ** 2 +
    Math.cos(toRadians(from.lat)) * Math.cos(toRadians(to.lat)) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_MILES * Math.asin(Math.min(1, Math.sqrt(a)));
}

export function formatMiles(miles) {
  return `${miles.toFixed(1)} miles`;
}

const byName = (a, b) => a.name.localeCompare(b.name, "en-GB");

/**
 * Cinemas nearest first, as [{cinema, distance}]; cinemas without coordinates
 * go last (distance null), in name order.
 */
export function sortByDistance(cinemas, origin) {
  return cinemas
    .map((cinema) => ({
      cinema,
      distance: hasCoordinates(cinema) ? distanceMiles(origin, cinema) : null,
    }))
    .sort((a, b) => {
      if (a.distance === null || b.distance === null) {
        return Number(a.distance === null) - Number(b.distance === null) || byName(a.cinema, b.cinema);
      }
      return a.distance - b.distance || byName(a.cinema, b.cinema);
    });
}

export function sortByName(cinemas) {
  return [...cinemas].sort(byName).map((cinema) => ({ cinema, distance: null }));
}

/** Every word of the query must appear in the cinema's name or address. */
export function matchesSearch(cinema, query) {
  const words = query.toLocaleLowerCase("en-GB").split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const haystack = `${cinema.name} ${cinema.address ?? ""}`.toLocaleLowerCase("en-GB");
  return words.every((word) => haystack.includes(word));
}

/** The cinemas matching a search, nearest first from `origin` when there is one, else by name. */
export function findCinemas(cinemas, query, origin = null) {
  const matching = cinemas.filter((cinema) => matchesSearch(cinema, query));
  return origin ? sortByDistance(matching, origin) : sortByName(matching);
}
