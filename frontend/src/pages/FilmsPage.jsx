import { api } from "../api.js";
import { FilmCard } from "../components/FilmCard.jsx";
import { EmptyState, ErrorState, Loading } from "../components/StatusViews.jsx";
import { useDocumentTitle } from "../lib/useDocumentTitle.js";
import { useApi } from "../useApi.js";

export function FilmsPage() {
  useDocumentTitle("Films");
  const { status, data: films, error, retry } = useApi((signal) => api.films({ signal }), []);

  return (
    <>
      <section className="hero" aria-labelledby="films-title">
        <h1 id="films-title">Free Christmas films at a cinema near you</h1>
        <p>
          Pick a film, find a screening that suits you, and book it with campaign staff using your access
          code. Every ticket is free, while seats last.
        </p>
      </section>

      {status === "loading" && <Loading label="Loading films…" />}
      {status === "error" && <ErrorState what="the films" error={error} onRetry={retry} />}
      {status === "success" && films.length === 0 && (
        <EmptyState>No films are showing yet. Please check back soon.</EmptyState>
      )}
      {status === "success" && films.length > 0 && (
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
