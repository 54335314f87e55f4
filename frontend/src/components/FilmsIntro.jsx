export function FilmsIntro() {
  return (
    <section className="hero" aria-labelledby="films-title">
      <h1 id="films-title">Free Christmas films at a cinema near you</h1>
      <p>
        Pick a film, find a screening that suits you, and book it with campaign staff using your access
        code. Every ticket is free, while seats last.
      </p>
    </section>
  );
}
