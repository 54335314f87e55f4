import { useMemo } from "react";
import { groupByDay } from "../lib/schedule.js";
import { Selection, SlotList, useScreeningChoice } from "./ScreeningSlot.jsx";

/**
 * A cinema's screenings by UK day, each day in time order whatever the film, each time naming
 * its film. Day headings are h3: place it under a page's h2.
 */
export function DaySchedule({ screenings }) {
  const days = useMemo(() => groupByDay(screenings), [screenings]);
  const choice = useScreeningChoice(screenings);
  const { selected } = choice;

  return (
    <div className="schedule">
      {days.map((day) => (
        <section key={day.key} className="schedule__group schedule__day">
          <h3 className="schedule__day-heading">{day.label}</h3>
          <SlotList className="day-slots" screenings={day.screenings} choice={choice} showFilm />
          <Selection screening={day.screenings.includes(selected) ? selected : null} />
        </section>
      ))}
    </div>
  );
}
