/**
 * The one place the site talks to the Django API: same-origin, read-only GETs.
 *
 * List endpoints are paginated ({count, next, previous, results}); `getAll`
 * asks for the largest page the API allows and follows `next` to the end.
 *
 * What each call returns is typed from the API's OpenAPI schema (src/api/schema.d.ts, generated
 * from /api/schema/ by scripts/check_api_types.py): a change to the API fails `npm run lint`.
 *
 * @typedef {import("./api/schema").components["schemas"]} Schemas
 * @typedef {Schemas["Film"]} Film
 * @typedef {Schemas["Cinema"]} Cinema
 * @typedef {Schemas["Screening"]} Screening
 * @typedef {Schemas["Contact"]} Contact
 * @typedef {Schemas["PrivacyNotice"]} PrivacyNotice
 * @typedef {{signal?: AbortSignal}} RequestOptions
 * @typedef {{film?: string, cinema?: string, date?: string}} ScreeningFilters
 */

const MAX_PAGE_SIZE = 1000;

export class ApiError extends Error {
  constructor(message, { status = 0, url = "" } = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.url = url;
  }

  get isNotFound() {
    return this.status === 404;
  }
}

/**
 * @param {string} path
 * @param {Record<string, unknown>} [params]
 */
export function apiUrl(path, params = {}) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") {
      search.set(name, String(value));
    }
  }
  const query = search.toString();
  return query ? `${path}?${query}` : path;
}

/**
 * @param {string} url
 * @param {RequestOptions} [options]
 * @returns {Promise<any>} the reply's JSON, typed by the `api` call that asked for it
 */
export async function getJson(url, { signal } = {}) {
  let response;
  try {
    response = await fetch(url, { signal, headers: { Accept: "application/json" } });
  } catch (error) {
    if (error?.name === "AbortError") throw error;
    throw new ApiError("We couldn't reach the server. Check your connection and try again.", { url });
  }
  if (!response.ok) {
    const message =
      response.status === 404
        ? "Not found."
        : `The server couldn't answer just now (error ${response.status}).`;
    throw new ApiError(message, { status: response.status, url });
  }
  try {
    return await response.json();
  } catch (error) {
    if (error?.name === "AbortError") throw error;
    throw new ApiError("The server sent a reply we couldn't read.", { status: response.status, url });
  }
}

// DRF builds `next` from the request's scheme and host. Behind a TLS-terminating
// proxy that can come back as http://..., which the browser would block as mixed
// content, so only its path and query are kept: the API is always same-origin.
function samePath(next) {
  const url = new URL(next, window.location.href);
  return url.pathname + url.search;
}

/**
 * @param {string} path
 * @param {Record<string, unknown>} [params]
 * @param {RequestOptions} [options]
 * @returns {Promise<any[]>} every page's results, typed by the `api` call that asked for them
 */
export async function getAll(path, params = {}, { signal } = {}) {
  const results = [];
  let url = apiUrl(path, { ...params, page_size: MAX_PAGE_SIZE });
  while (url) {
    const page = await getJson(url, { signal });
    if (!Array.isArray(page?.results)) {
      throw new ApiError("The server sent a reply we couldn't read.", { url });
    }
    results.push(...page.results);
    url = page.next ? samePath(page.next) : null;
  }
  return results;
}

const slugPath = (collection, slug) => `/api/${collection}/${encodeURIComponent(slug)}/`;

export const api = {
  /** @type {(options?: RequestOptions) => Promise<Film[]>} */
  films: (options) => getAll("/api/films/", {}, options),
  /** @type {(slug: string, options?: RequestOptions) => Promise<Film>} */
  film: (slug, options) => getJson(slugPath("films", slug), options),
  /** @type {(options?: RequestOptions) => Promise<Cinema[]>} */
  cinemas: (options) => getAll("/api/cinemas/", {}, options),
  /** @type {(slug: string, options?: RequestOptions) => Promise<Cinema>} */
  cinema: (slug, options) => getJson(slugPath("cinemas", slug), options),
  /**
   * How to reach campaign staff: {phone, email, opening_hours, text}, each possibly empty.
   * @type {(options?: RequestOptions) => Promise<Contact>}
   */
  contact: (options) => getJson("/api/contact/", options),
  /**
   * The privacy notice: {text}, plain text whose paragraphs are separated by a blank line.
   * @type {(options?: RequestOptions) => Promise<PrivacyNotice>}
   */
  privacy: (options) => getJson("/api/privacy/", options),
  /** @type {(filters: ScreeningFilters, options?: RequestOptions) => Promise<Screening[]>} */
  screenings: (filters, options) => getAll("/api/screenings/", filters, options),
};
