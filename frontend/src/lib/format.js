/**
 * Display formatting. Screening times are always shown in UK time, whatever
 * zone the visitor's device is set to, so every date formatter names its zone.
 */

export const TIME_ZONE = "Europe/London";

/**
 * A London-time formatter, made on its first use rather than when the site's script loads: the
 * first Intl object a page makes loads the browser's locale data, tens of milliseconds on a
 * phone, which pages that show no date need not pay and the others pay once their data is in.
 */
function londonFormat(options) {
  let format;
  return () => (format ??= new Intl.DateTimeFormat("en-GB", { timeZone: TIME_ZONE, ...options }));
}

const dayKeyFormat = londonFormat({ year: "numeric", month: "2-digit", day: "2-digit" });
const dayHeadingFormat = londonFormat({ weekday: "long", day: "numeric", month: "long" });
const shortDayFormat = londonFormat({ weekday: "short", day: "numeric", month: "short" });
const timeFormat = londonFormat({ hour: "2-digit", minute: "2-digit", hourCycle: "h23" });

/** "2026-12-12" for the London calendar day an instant falls on. */
export function londonDayKey(iso) {
  const parts = Object.fromEntries(
    dayKeyFormat().formatToParts(new Date(iso)).map(({ type, value }) => [type, value]),
  );
  return `${parts.year}-${parts.month}-${parts.day}`;
}

/** "Saturday 12 December" */
export function formatDay(iso) {
  return dayHeadingFormat().format(new Date(iso));
}

/** "Sat 12 Dec" */
export function formatShortDay(iso) {
  return shortDayFormat().format(new Date(iso)).replace(",", "");
}

/** "18:30" */
export function formatTime(iso) {
  return timeFormat().format(new Date(iso));
}

/** 105 -> "1h 45m", 120 -> "2h", 45 -> "45m", null -> "" */
export function formatRunningTime(minutes) {
  if (!Number.isFinite(minutes) || minutes <= 0) return "";
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (hours === 0) return `${rest}m`;
  return rest === 0 ? `${hours}h` : `${hours}h ${rest}m`;
}

/** ISO 8601 duration for <time dateTime>, e.g. "PT105M". */
export function runningTimeDuration(minutes) {
  return `PT${minutes}M`;
}

/** The low-availability hint, or "" when it should not be shown. */
export const FEW_SEATS_THRESHOLD = 10;

export function seatsLeftHint(screening) {
  const left = screening.seats_left;
  if (screening.sold_out || !(left > 0) || left > FEW_SEATS_THRESHOLD) return "";
  return left === 1 ? "Only 1 seat left" : `Only ${left} seats left`;
}

export function pluralise(count, singular, plural = `${singular}s`) {
  return `${count} ${count === 1 ? singular : plural}`;
}

/**
 * The booking cut-off in words: 60 -> "Bookings close 1 hour before each screening.",
 * 90 -> "… 1 hour 30 minutes …", 0 -> "Bookings stay open until each screening starts.",
 * anything but a whole number of minutes -> "".
 */
export function bookingCutoffText(minutes) {
  if (!Number.isInteger(minutes) || minutes < 0) return "";
  if (minutes === 0) return "Bookings stay open until each screening starts.";
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  const parts = [hours && pluralise(hours, "hour"), rest && pluralise(rest, "minute")].filter(Boolean);
  return `Bookings close ${parts.join(" ")} before each screening.`;
}
