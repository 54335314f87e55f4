import { useDocumentTitle } from "../lib/useDocumentTitle.js";

export function Loading({ label = "Loading…" }) {
  return (
    <p className="status status--loading" role="status">
      <span className="spinner" aria-hidden="true" />
      {label}
    </p>
  );
}

/** What a page shows while its data loads on a first visit: its heading and a loading message. */
export function PageLoading({ documentTitle, heading, label }) {
  useDocumentTitle(documentTitle);
  return (
    <>
      {heading}
      <Loading label={label} />
    </>
  );
}

export function ErrorState({ what, message, onRetry, retrying = false }) {
  return (
    <div className="status status--error" role="alert">
      <p>
        <strong>Sorry, we couldn't load {what}.</strong> {message}
      </p>
      <button type="button" className="button" onClick={onRetry} disabled={retrying}>
        Try again
      </button>
    </div>
  );
}

export function EmptyState({ children }) {
  return <p className="status status--empty">{children}</p>;
}
