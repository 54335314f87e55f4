import { formatDay, formatShortDay, londonDayKey } from "./format.js";

function groupInOrder(items, keyOf) {
  const groups = new Map();
  for (const item of items) {
    const key = keyOf(item);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(item);
  }
  return [...groups.entries()];
}

/**
 * Why a screening cannot be picked, in the words its slot shows, or "" when it can: cancelled
 * first, then past its cut-off, then sold out. The cut-off is read from the clock too, so an
 * answer cached just before it passed never offers a closed screening.
 */
export function unavailableReason(screening, now = Date.now()) {
  if (screening.cancelled) return "Cancelled";
  if (screening.bookings_closed || Date.parse(screening.bookings_close_at) <= now) return "Bookings closed";
  if (screening.sold_out) return "Sold out";
  return "";
}

/**
 * How many minutes before its start a screening stops taking bookings, from the times the API
 * gives it: one campaign-wide cut-off, so any screening of a page states it for all of them.
 */
export function bookingCutoffMinutes(screening) {
  return Math.round((Date.parse(screening.starts_at) - Date.parse(screening.bookings_close_at)) / 60000);
}

const byStart = (a, b) => Date.parse(a.starts_at) - Date.parse(b.starts_at);

/** Screenings by London calendar day, days and times earliest first: [{key, label, screenings}]. */
export function groupByDay(screenings) {
  return groupInOrder([...screenings].sort(byStart), (s) => londonDayKey(s.starts_at)).map(([key, items]) => ({
    key,
    label: formatDay(items[0].starts_at),
    screenings: items,
  }));
}

/**
 * A film's screenings as one row per cinema: [{cinema, days: [{key, label, screenings}]}], in
 * name order, days and times earliest first. `cinemas` (the full list) supplies each cinema's
 * address and position; a cinema missing from it keeps the name the screening gives.
 */
export function cinemaRows(screenings, cinemas) {
  const known = new Map(cinemas.map((cinema) => [cinema.slug, cinema]));
  return groupInOrder([...screenings].sort(byStart), (s) => s.cinema)
    .map(([slug, items]) => ({
      cinema: known.get(slug) ?? { slug, name: items[0].cinema_name, address: "", lat: null, lng: null },
      days: groupInOrder(items, (s) => londonDayKey(s.starts_at)).map(([key, dayItems]) => ({
        key,
        label: formatShortDay(dayItems[0].starts_at),
        screenings: dayItems,
      })),
    }))
    .sort((a, b) => a.cinema.name.localeCompare(b.cinema.name, "en-GB"));
}
