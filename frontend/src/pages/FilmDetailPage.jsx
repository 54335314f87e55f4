import { Link, useLoaderData } from "react-router";
import { Certificate, Genre, RunningTime } from "../components/FilmFacts.jsx";
import { Poster } from "../components/Poster.jsx";
import { ScreeningSchedule } from "../components/ScreeningSchedule.jsx";
import { EmptyState } from "../components/StatusViews.jsx";
import { pluralise } from "../lib/format.js";
import { useDocumentTitle } from "../lib/useDocumentTitle.js";

function Description({ text }) {
  const paragraphs = (text ?? "").split(/\n\s*\n/).map((p) => p.trim()).filter(Boolean);
  return paragraphs.map((paragraph, index) => (
    <p key={index} className="film__description">
      {paragraph}
    </p>
  ));
}

function Facts({ film }) {
  const rows = [
    ["Certificate", film.certificate && <Certificate value={film.certificate} />],
    ["Running time", film.running_time && <RunningTime minutes={film.running_time} />],
    ["Genre", film.genre && <Genre value={film.genre} />],
    ["Released", film.release_date],
    ["Showing from", film.showing_from],
    [
      "Screenings",
      film.run_ended
        ? "Run ended"
        : `${pluralise(film.screenings_total ?? 0, "upcoming screening")}, ${film.screenings_sold_out ?? 0} sold out`,
    ],
  ].filter(([, value]) => value);
  return (
    <dl className="facts">
      {rows.map(([term, value]) => (
        <div key={term} className="facts__row">
          <dt>{term}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

export function FilmDetailPage() {
  const [film, screenings] = useLoaderData();
  useDocumentTitle(film.name);

  return (
    <article className="film">
      <p className="breadcrumb">
        <Link to="/">← All films</Link>
      </p>
      <div className="film__layout">
        <div className="film__poster">
          <Poster key={film.slug} film={film} eager />
          {film.copyright && <p className="film__copyright">{film.copyright}</p>}
        </div>
        <div className="film__info">
          <h1>{film.name}</h1>
          {film.sold_out && <p className="badge badge--sold-out badge--large">Sold out</p>}
          <Description text={film.description} />
          <Facts film={film} />
        </div>
      </div>

      <section className="film__screenings" aria-labelledby="screenings-title">
        <h2 id="screenings-title">Screenings</h2>
        {screenings.length === 0 ? (
          <EmptyState>
            {film.run_ended
              ? "This film's run has ended: there are no more screenings."
              : "There are no upcoming screenings of this film yet."}
          </EmptyState>
        ) : (
          <>
            <p className="section-note">
              {film.sold_out
                ? "Every screening of this film is sold out."
                : "Times are UK time. Pick a screening to see how to book it."}
            </p>
            <ScreeningSchedule screenings={screenings} groupBy="cinema" />
          </>
        )}
      </section>
    </article>
  );
}
