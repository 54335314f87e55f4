import { useRevalidator, useRouteError } from "react-router";
import { ApiError } from "../api.js";
import { useDocumentTitle } from "../lib/useDocumentTitle.js";
import { NotFoundPage } from "../pages/NotFoundPage.jsx";
import { ErrorState } from "./StatusViews.jsx";

// Only the API's messages are written for visitors; anything else gets the headline alone.
const visitorMessage = (error) => (error instanceof ApiError ? error.message : "");

function LoadFailed({ documentTitle, heading, what, error }) {
  useDocumentTitle(documentTitle);
  const revalidator = useRevalidator();
  return (
    <>
      {heading}
      <ErrorState
        what={what}
        message={visitorMessage(error)}
        onRetry={() => revalidator.revalidate()}
        retrying={revalidator.state === "loading"}
      />
    </>
  );
}

/**
 * A page's errorElement: the not-found page when the API answers 404 for what the address names
 * (when `notFound` says what to call it), otherwise the page's heading and a Try again button
 * that runs its loader again.
 *
 * @param {{documentTitle: string, heading: import("react").ReactNode, what: string,
 *   notFound?: {title: string, message: string}}} props
 */
export function RouteError({ documentTitle, heading, what, notFound }) {
  const error = useRouteError();
  if (notFound && error instanceof ApiError && error.isNotFound) {
    return <NotFoundPage title={notFound.title} message={notFound.message} />;
  }
  return <LoadFailed documentTitle={documentTitle} heading={heading} what={what} error={error} />;
}
