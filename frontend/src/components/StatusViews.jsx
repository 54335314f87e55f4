export function Loading({ label = "Loading…" }) {
  return (
    <p className="status status--loading" role="status">
      <span className="spinner" aria-hidden="true" />
      {label}
    </p>
  );
}

export function ErrorState({ what, error, onRetry }) {
  return (
    <div className="status status--error" role="alert">
      <p>
        <strong>Sorry, we couldn't load {what}.</strong> {error?.message}
      </p>
      <button type="button" className="button" onClick={onRetry}>
        Try again
      </button>
    </div>
  );
}

export function EmptyState({ children }) {
  return <p className="status status--empty">{children}</p>;
}
