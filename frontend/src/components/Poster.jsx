import { useState } from "react";

const SMALL_WORDS = new Set(["a", "an", "the", "of", "and", "in", "on", "to"]);
const THEMES = ["red", "green", "night", "plum"];

export function initialsOf(name) {
  const words = name.split(/[\s\-–:]+/).filter((w) => /[\p{L}\p{N}]/u.test(w));
  const significant = words.filter((w) => !SMALL_WORDS.has(w.toLowerCase()));
  const chosen = (significant.length ? significant : words).slice(0, 2);
  return chosen.map((w) => [...w.replace(/^[^\p{L}\p{N}]+/u, "")][0] ?? "").join("").toUpperCase();
}

function themeOf(slug) {
  let hash = 0;
  for (const char of slug) hash = (hash * 31 + char.codePointAt(0)) >>> 0;
  return THEMES[hash % THEMES.length];
}

/** A generated poster for films without an image (or whose image fails to load). */
export function PosterPlaceholder({ film }) {
  return (
    <div
      className={`poster poster--placeholder poster--${themeOf(film.slug)}`}
      role="img"
      aria-label={`${film.name} (no poster image)`}
    >
      <span className="poster__initials" aria-hidden="true">
        {initialsOf(film.name)}
      </span>
      <span className="poster__title" aria-hidden="true">
        {film.name}
      </span>
    </div>
  );
}

/** The film's first image, or a placeholder: never a broken image. */
export function Poster({ film, eager = false }) {
  const [failedSrc, setFailedSrc] = useState(null);
  const src = film.image_1;
  if (!src || failedSrc === src) return <PosterPlaceholder film={film} />;
  return (
    <img
      className="poster"
      src={src}
      alt={`Poster for ${film.name}`}
      width="400"
      height="600"
      loading={eager ? "eager" : "lazy"}
      decoding="async"
      onError={() => setFailedSrc(src)}
    />
  );
}
