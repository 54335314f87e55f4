import { Fragment } from "react";
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

/** "Family/Adventure/Fantasy", free to wrap after each slash (a slash alone never breaks a line). */
export function Genre({ value }) {
  const parts = value.split("/");
  return (
    <span>
      {parts.map((part, index) => (
        <Fragment key={index}>
          {part}
          {index < parts.length - 1 && (
            <>
              /<wbr />
            </>
          )}
        </Fragment>
      ))}
    </span>
  );
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
    film.genre && <Genre value={film.genre} />,
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
