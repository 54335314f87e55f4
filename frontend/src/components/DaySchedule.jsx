import { useMemo } from "react";
import { groupByDay } from "../lib/schedule.js";
import { ScreeningSlot, Selection, useScreeningChoice } from "./ScreeningSlot.jsx";

/**
 * A cinema's screenings by UK day, each day in time order whatever the film, each time naming
 * its film. Day headings are h3: place it under a page's h2.
 */
export function DaySchedule({ screenings }) {
  const days = useMemo(() => groupByDay(screenings), [screenings]);
  const { selected, toggle } = useScreeningChoice(screenings);

  return (
    <div className="schedule">
      {days.map((day) => (
        <section key={day.key} className="schedule__group schedule__day">
          <h3 className="schedule__day-heading">{day.label}</h3>
          <ul className="day-slots">
            {day.screenings.map((screening) => (
              <ScreeningSlot
                key={screening.slug}
                screening={screening}
                selected={screening.slug === selected?.slug}
                onToggle={toggle}
                showFilm
              />
            ))}
          </ul>
          <Selection screening={day.screenings.includes(selected) ? selected : null} />
        </section>
      ))}
    </div>
  );
}
