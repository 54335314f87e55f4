/**
 * Each route's data, fetched by the router before the page renders. They live apart from the
 * pages so that a page's code can load in parallel with its data (routes.jsx loads pages lazily).
 * Their data is typed by the API's schema (see api.js); each page types `useLoaderData()` by its loader.
 *
 * @typedef {import("react-router").LoaderFunctionArgs} LoaderArgs
 */
import { api } from "./api.js";

/** @param {LoaderArgs} args */
export function filmsLoader({ request }) {
  return api.films({ signal: request.signal });
}

/** @param {LoaderArgs} args */
export function filmLoader({ params, request }) {
  const options = { signal: request.signal };
  // Every cinema too, for their towns and positions: the film page searches and sorts by them.
  return Promise.all([
    api.film(params.slug, options),
    api.screenings({ film: params.slug }, options),
    api.cinemas(options),
  ]);
}

/** @param {LoaderArgs} args */
export function cinemasLoader({ request }) {
  return api.cinemas({ signal: request.signal });
}

/** @param {LoaderArgs} args */
export function cinemaLoader({ params, request }) {
  const options = { signal: request.signal };
  return Promise.all([api.cinema(params.slug, options), api.screenings({ cinema: params.slug }, options)]);
}

/** @param {LoaderArgs} args */
export function privacyLoader({ request }) {
  return api.privacy({ signal: request.signal });
}

/**
 * The campaign contact (see useCampaignContact). The site works without it, so a failure gives null.
 * @param {LoaderArgs} args
 */
export async function contactLoader({ request }) {
  try {
    return await api.contact({ signal: request.signal });
  } catch {
    return null;
  }
}
