import { formatDay, londonDayKey } from "./format.js";

const GROUPINGS = {
  cinema: { key: (s) => s.cinema, label: (s) => s.cinema_name, path: (s) => `/cinemas/${s.cinema}` },
  film: { key: (s) => s.film, label: (s) => s.film_name, path: (s) => `/films/${s.film}` },
};

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
 * Screenings grouped by cinema or film (by name), then by London calendar day,
 * earliest first: [{key, label, path, days: [{key, label, screenings}]}].
 */
export function groupSchedule(screenings, by) {
  const grouping = GROUPINGS[by];
  const sorted = [...screenings].sort(
    (a, b) =>
      grouping.label(a).localeCompare(grouping.label(b), "en-GB") ||
      Date.parse(a.starts_at) - Date.parse(b.starts_at),
  );
  return groupInOrder(sorted, grouping.key).map(([key, items]) => ({
    key,
    label: grouping.label(items[0]),
    path: grouping.path(items[0]),
    days: groupInOrder(items, (s) => londonDayKey(s.starts_at)).map(([day, dayItems]) => ({
      key: day,
      label: formatDay(dayItems[0].starts_at),
      screenings: dayItems,
    })),
  }));
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
