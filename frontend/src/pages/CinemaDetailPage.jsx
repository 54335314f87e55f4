import { Link, useParams } from "react-router";
import { api } from "../api.js";
import { ScreeningSchedule } from "../components/ScreeningSchedule.jsx";
import { EmptyState, ErrorState, Loading } from "../components/StatusViews.jsx";
import { useDocumentTitle } from "../lib/useDocumentTitle.js";
import { useApi } from "../useApi.js";
import { NotFoundPage } from "./NotFoundPage.jsx";

export function CinemaDetailPage() {
  const { slug } = useParams();
  const { status, data, error, retry } = useApi(
    (signal) => Promise.all([api.cinema(slug, { signal }), api.screenings({ cinema: slug }, { signal })]),
    [slug],
  );
  const [cinema, screenings] = data ?? [];
  const notFound = status === "error" && error?.status === 404;
  useDocumentTitle(cinema?.name ?? (notFound ? "Cinema not found" : "Cinema"));

  if (notFound) {
    return (
      <NotFoundPage
        title="Cinema not found"
        message="We couldn't find that cinema. It may not be taking part in this campaign."
      />
    );
  }
  if (status === "loading") {
    return (
      <>
        <h1 className="visually-hidden">Cinema details</h1>
        <Loading label="Loading cinema…" />
      </>
    );
  }
  if (status === "error") {
    return (
      <>
        <h1>Cinema details</h1>
        <ErrorState what="this cinema" error={error} onRetry={retry} />
      </>
    );
  }

  return (
    <article className="cinema">
      <p className="breadcrumb">
        <Link to="/cinemas">← All cinemas</Link>
      </p>
      <div className="cinema__header">
        <h1>{cinema.name}</h1>
        {cinema.address && <p className="cinema__address">{cinema.address}</p>}
      </div>

      <section aria-labelledby="whats-on-title">
        <h2 id="whats-on-title">What's on</h2>
        {screenings.length === 0 ? (
          <EmptyState>There are no upcoming screenings at this cinema yet.</EmptyState>
        ) : (
          <>
            <p className="section-note">Times are UK time. Pick a screening to see how to book it.</p>
            <ScreeningSchedule screenings={screenings} groupBy="film" />
          </>
        )}
      </section>
    </article>
  );
}
