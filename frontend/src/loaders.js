/**
 * Each route's data, fetched by the router before the page renders. They live apart from the
 * pages so that a page's code can load in parallel with its data (routes.jsx loads pages lazily).
 */
import { api } from "./api.js";

export function filmsLoader({ request }) {
  return api.films({ signal: request.signal });
}

export function filmLoader({ params, request }) {
  const options = { signal: request.signal };
  // Every cinema too, for their towns and positions: the film page searches and sorts by them.
  return Promise.all([
    api.film(params.slug, options),
    api.screenings({ film: params.slug }, options),
    api.cinemas(options),
  ]);
}

export function cinemasLoader({ request }) {
  return api.cinemas({ signal: request.signal });
}

export function cinemaLoader({ params, request }) {
  const options = { signal: request.signal };
  return Promise.all([api.cinema(params.slug, options), api.screenings({ cinema: params.slug }, options)]);
}

export function privacyLoader({ request }) {
  return api.privacy({ signal: request.signal });
}

/** The campaign contact (see useCampaignContact). The site works without it, so a failure gives null. */
export async function contactLoader({ request }) {
  try {
    return await api.contact({ signal: request.signal });
  } catch {
    return null;
  }
}
