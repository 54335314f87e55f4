import { useLoaderData } from "react-router";
import { FilmCard } from "../components/FilmCard.jsx";
import { FilmsIntro } from "../components/FilmsIntro.jsx";
import { EmptyState } from "../components/StatusViews.jsx";
import { useDocumentTitle } from "../lib/useDocumentTitle.js";

export function FilmsPage() {
  useDocumentTitle("Films");
  /** @type {Awaited<ReturnType<typeof import("../loaders.js").filmsLoader>>} */
  const films = useLoaderData();

  return (
    <>
      <FilmsIntro />
      {films.length === 0 ? (
        <EmptyState>No films are showing yet. Please check back soon.</EmptyState>
      ) : (
        <ul className="film-grid">
          {films.map((film) => (
            <li key={film.slug}>
              <FilmCard film={film} />
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
