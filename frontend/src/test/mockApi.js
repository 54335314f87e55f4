import { vi } from "vitest";

/**
 * Replace `fetch` with a fake Django API. `routes` maps a pathname
 * ("/api/films/") to a JSON body, or to a function (url: URL) returning a body
 * or a `reply(...)`. Unknown paths answer 404 like Django does.
 *
 * @typedef {unknown} Answer a JSON body (typed by the fixtures), a `reply(...)` or a Response
 * @typedef {Answer | ((url: URL) => Answer | Promise<Answer>)} Route
 * @param {Record<string, Route>} routes
 */
export function mockApi(routes) {
  const fetchMock = vi.fn(async (input) => {
    const url = new URL(String(input), "http://localhost");
    const route = routes[url.pathname];
    if (route === undefined) return jsonResponse(404, { detail: "Not found." });
    const answer = typeof route === "function" ? await route(url) : route;
    if (answer instanceof Response) return answer;
    if (answer instanceof Reply) return jsonResponse(answer.status, answer.body);
    return jsonResponse(200, answer);
  });
  vi.stubGlobal("fetch", fetchMock);
  return fetchMock;
}

class Reply {
  constructor(status, body) {
    this.status = status;
    this.body = body;
  }
}

export const reply = (status, body) => new Reply(status, body);

export const notFound = (model) => reply(404, { detail: `No ${model} matches the given query.` });

export const serverError = () => reply(500, { detail: "A server error occurred." });

function jsonResponse(status, body) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

/**
 * A promise to answer a request with later, for asserting loading states.
 * @returns {{promise: Promise<unknown>, resolve: (answer: unknown) => void}}
 */
export function deferred() {
  /** @type {(answer: unknown) => void} */
  let resolve = () => {};
  const promise = new Promise((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** The paths (with query) fetch was called with, but for the campaign contact every page reads. */
export function pageRequests(fetchMock) {
  return requestedPaths(fetchMock).filter((path) => path !== "/api/contact/");
}

/** The paths (with query) fetch was called with. */
export function requestedPaths(fetchMock) {
  return fetchMock.mock.calls.map(([input]) => {
    const url = new URL(String(input), "http://localhost");
    return url.pathname + url.search;
  });
}

export function mockGeolocation(getCurrentPosition) {
  Object.defineProperty(navigator, "geolocation", {
    configurable: true,
    value: { getCurrentPosition: vi.fn(getCurrentPosition) },
  });
  return navigator.geolocation;
}
