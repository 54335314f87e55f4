import { Link } from "react-router";
import { pluralise } from "../lib/format.js";
import { FilmMeta } from "./FilmFacts.jsx";
import { Poster } from "./Poster.jsx";

function Availability({ film }) {
  if (film.sold_out) return <span className="badge badge--sold-out">Sold out</span>;
  if (film.run_ended) return <span className="film-card__note">Its run has ended</span>;
  if (!film.screenings_total) return <span className="film-card__note">Screenings coming soon</span>;
  return <span className="film-card__note">{pluralise(film.screenings_total, "upcoming screening")}</span>;
}

export function FilmCard({ film }) {
  return (
    <article className={film.sold_out ? "film-card film-card--sold-out" : "film-card"}>
      <div className="film-card__poster">
        <Poster key={film.slug} film={film} />
      </div>
      <div className="film-card__body">
        <h2 className="film-card__title">
          <Link className="film-card__link" to={`/films/${film.slug}`}>
            {film.name}
          </Link>
        </h2>
        <FilmMeta film={film} />
        <p className="film-card__availability">
          <Availability film={film} />
        </p>
      </div>
    </article>
  );
}
