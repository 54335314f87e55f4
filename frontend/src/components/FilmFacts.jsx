import { formatRunningTime, runningTimeDuration } from "../lib/format.js";

export function Certificate({ value }) {
  if (!value) return null;
  return (
    <span className={`cert cert--${value.toLowerCase()}`}>
      <span className="visually-hidden">Certificate </span>
      <span>{value}</span>
    </span>
  );
}

export function RunningTime({ minutes }) {
  const text = formatRunningTime(minutes);
  if (!text) return null;
  return <time dateTime={runningTimeDuration(minutes)}>{text}</time>;
}

/** Certificate, running time, genre and year as a compact list. */
export function FilmMeta({ film }) {
  const items = [
    film.certificate && <Certificate value={film.certificate} />,
    film.running_time && (
      <>
        <span className="visually-hidden">Running time: </span>
        <RunningTime minutes={film.running_time} />
      </>
    ),
    film.genre && <span>{film.genre}</span>,
    film.release_date && (
      <>
        <span className="visually-hidden">Released: </span>
        <span>{film.release_date}</span>
      </>
    ),
  ].filter(Boolean);
  if (items.length === 0) return null;
  return (
    <ul className="meta">
      {items.map((item, index) => (
        <li key={index}>{item}</li>
      ))}
    </ul>
  );
}
