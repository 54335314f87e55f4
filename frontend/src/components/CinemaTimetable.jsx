import { Link } from "react-router";
import { formatMiles } from "../lib/geo.js";
import { Selection, SlotList, useScreeningChoice } from "./ScreeningSlot.jsx";

/** "Wed 9 Dec", its weekday on a line of its own on a phone to keep the date column narrow. */
function DayLabel({ label }) {
  const [weekday, ...date] = label.split(" ");
  return (
    <h4 className="timetable__day-label">
      <span className="timetable__weekday">{weekday}</span> {date.join(" ")}
    </h4>
  );
}

/**
 * A film's screenings, one row per cinema: the cinema (name, address, distance when sorted by
 * it), then its UK days, each with its times, across. Rows are {cinema, distance, days} in the
 * order given. Cinema names are h3 and days h4: place it under a page's h2.
 */
export function CinemaTimetable({ rows, showDistance }) {
  const choice = useScreeningChoice(rows.flatMap((row) => row.days.flatMap((day) => day.screenings)));
  const { selected } = choice;

  return (
    <ul className="timetable">
      {rows.map(({ cinema, distance, days }) => (
        <li key={cinema.slug} className="timetable__row" data-testid="cinema">
          <div className="timetable__cinema">
            <h3 className="timetable__name">
              <Link to={`/cinemas/${cinema.slug}`}>{cinema.name}</Link>
            </h3>
            {cinema.address && <p className="timetable__address">{cinema.address}</p>}
            {showDistance && (
              <p className="timetable__distance">
                {distance === null ? "Distance unknown" : `${formatMiles(distance)} away`}
              </p>
            )}
          </div>
          <div className="timetable__days">
            {days.map((day) => (
              <div key={day.key} className="timetable__day">
                <DayLabel label={day.label} />
                <SlotList className="slots slots--compact" screenings={day.screenings} choice={choice} />
              </div>
            ))}
          </div>
          <Selection screening={selected?.cinema === cinema.slug ? selected : null} />
        </li>
      ))}
    </ul>
  );
}
