import { describe, expect, it, vi } from "vitest";
import { ApiError, api, getAll } from "./api.js";
import { FILMS, page } from "./test/fixtures.js";
import { mockApi, notFound, requestedPaths } from "./test/mockApi.js";

describe("getAll", () => {
  it("asks for the largest page and follows `next` to the end", async () => {
    const fetchMock = mockApi({
      "/api/films/": (url) =>
        url.searchParams.get("page") === "2"
          ? page(FILMS.slice(2), { count: 3 })
          : page(FILMS.slice(0, 2), {
              count: 3,
              // DRF can report http:// behind a TLS proxy; only path + query are used.
              next: "http://films.example.test/api/films/?page=2&page_size=1000",
            }),
    });

    const films = await getAll("/api/films/");

    expect(films.map((f) => f.slug)).toEqual(FILMS.map((f) => f.slug));
    expect(requestedPaths(fetchMock)).toEqual([
      "/api/films/?page_size=1000",
      "/api/films/?page=2&page_size=1000",
    ]);
  });

  it("passes filters as query parameters", async () => {
    const fetchMock = mockApi({ "/api/screenings/": page([]) });
    await api.screenings({ film: "elf", cinema: undefined });
    expect(requestedPaths(fetchMock)).toEqual(["/api/screenings/?film=elf&page_size=1000"]);
  });
});

describe("errors", () => {
  it("reports a 404 with its status", async () => {
    mockApi({ "/api/films/nope/": notFound("Film") });
    const error = await api.film("nope").catch((e) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(404);
    expect(error.isNotFound).toBe(true);
  });

  it("explains a network failure", async () => {
    vi.stubGlobal("fetch", vi.fn().mockRejectedValue(new TypeError("Failed to fetch")));
    const error = await api.films().catch((e) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error.message).toMatch(/couldn't reach the server/);
  });
});
