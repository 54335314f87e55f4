import { useMemo } from "react";
import { Link } from "react-router";
import { groupSchedule } from "../lib/schedule.js";
import { ScreeningSlot, Selection, useScreeningChoice } from "./ScreeningSlot.jsx";

/**
 * Upcoming screenings grouped by cinema or by film, then by UK day.
 * Available screenings can be picked (one at a time); sold-out ones cannot.
 * Group headings are h3, day headings h4: place it under a page's h2.
 */
export function ScreeningSchedule({ screenings, groupBy }) {
  const groups = useMemo(() => groupSchedule(screenings, groupBy), [screenings, groupBy]);
  const { selected, toggle } = useScreeningChoice(screenings);

  return (
    <div className="schedule">
      {groups.map((group) => (
        <section key={group.key} className="schedule__group">
          <h3 className="schedule__group-title">
            <Link to={group.path}>{group.label}</Link>
          </h3>
          {group.days.map((day) => (
            <div key={day.key} className="schedule__day">
              <h4 className="schedule__day-title">{day.label}</h4>
              <ul className="slots">
                {day.screenings.map((screening) => (
                  <ScreeningSlot
                    key={screening.slug}
                    screening={screening}
                    selected={screening.slug === selected?.slug}
                    onToggle={toggle}
                  />
                ))}
              </ul>
              <Selection screening={day.screenings.includes(selected) ? selected : null} />
            </div>
          ))}
        </section>
      ))}
    </div>
  );
}
