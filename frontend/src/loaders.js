/**
 * Each route's data, fetched by the router before the page renders. The server preloads the
 * requests each loader makes from the page's head (backoffice/views.py), so that a first visit
 * gets its data alongside the script: a change to a loader's requests needs its line there
 * (tests/browser/test_served_site.py fails otherwise).
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
