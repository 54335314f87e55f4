import { Link } from "react-router";
import { useDocumentTitle } from "../lib/useDocumentTitle.js";

/** Unknown routes, and detail pages whose film or cinema the API doesn't know. */
export function NotFoundPage({
  title = "Page not found",
  message = "We couldn't find that page. It may have moved, or the link may be mistyped.",
}) {
  useDocumentTitle(title);
  return (
    <div className="not-found">
      <p className="not-found__code" aria-hidden="true">
        404
      </p>
      <h1>{title}</h1>
      <p>{message}</p>
      <ul className="not-found__links">
        <li>
          <Link to="/">See all films</Link>
        </li>
        <li>
          <Link to="/cinemas">Find a cinema</Link>
        </li>
      </ul>
    </div>
  );
}
