/**
 * The search box and "Near me" of the cinemas page and the film page: the text is the page's
 * ?q= (useSearchQuery), the position comes from useNearMe.
 */
export function CinemaSearch({ query, onQueryChange, nearMe }) {
  const { geo, locate, reset } = nearMe;
  const located = geo.status === "located";
  return (
    <>
      <form className="cinema-search" role="search" onSubmit={(event) => event.preventDefault()}>
        <div className="cinema-search__field">
          <label htmlFor="cinema-search">Cinema name or town</label>
          <input
            id="cinema-search"
            type="search"
            value={query}
            onChange={(event) => onQueryChange(event.target.value)}
            autoComplete="off"
            placeholder="e.g. Aberdeen"
          />
        </div>
        <div className="cinema-search__actions">
          <button type="button" className="button button--green" onClick={locate} disabled={geo.status === "locating"}>
            <svg className="button__icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
              <path d="M12 2a7 7 0 0 0-7 7c0 5.2 7 13 7 13s7-7.8 7-13a7 7 0 0 0-7-7zm0 9.5A2.5 2.5 0 1 1 12 6.5a2.5 2.5 0 0 1 0 5z" />
            </svg>
            Near me
          </button>
          {located && (
            <button type="button" className="button button--secondary" onClick={reset}>
              Sort by name
            </button>
          )}
        </div>
      </form>
      <p className="cinema-search__privacy">
        “Near me” uses your device's location only to sort this list. It never leaves your browser.
      </p>

      <div className="geo-status" role="status">
        {geo.status === "locating" && "Finding your location…"}
        {located && "Nearest cinemas first."}
      </div>
      {geo.status === "error" && (
        <p className="notice notice--error" role="alert">
          {geo.message}
        </p>
      )}
    </>
  );
}
