import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { FILMS, film, page } from "../test/fixtures.js";
import { deferred, mockApi, pageRequests, reply, serverError } from "../test/mockApi.js";
import { renderAt } from "../test/render.jsx";

const cardFor = (name) => screen.getByRole("heading", { level: 2, name }).closest("article");

describe("Films page", () => {
  it("shows a loading message until the films arrive", async () => {
    const response = deferred();
    mockApi({ "/api/films/": () => response.promise });
    renderAt("/");

    expect(screen.getByRole("status")).toHaveTextContent("Loading films…");
    response.resolve(page(FILMS));

    expect(await screen.findByRole("heading", { name: "Elf" })).toBeInTheDocument();
    expect(screen.queryByText("Loading films…")).not.toBeInTheDocument();
  });

  it("lists live films as cards, sold-out ones marked", async () => {
    mockApi({ "/api/films/": page(FILMS) });
    renderAt("/");

    expect(await screen.findAllByRole("article")).toHaveLength(3);
    expect(screen.getByRole("heading", { level: 1 })).toBeInTheDocument();

    const polar = cardFor("The Polar Express");
    expect(within(polar).getByText("Sold out")).toBeInTheDocument();
    expect(within(polar).getByRole("img", { name: "Poster for The Polar Express" })).toBeInTheDocument();
    expect(within(polar).getByText("1h 40m")).toBeInTheDocument();

    const elf = cardFor("Elf");
    expect(within(elf).queryByText("Sold out")).not.toBeInTheDocument();
    expect(within(elf).getByRole("img", { name: /Elf \(no poster image\)/ })).toBeInTheDocument();

    const wonderful = cardFor("It's a Wonderful Life");
    expect(within(wonderful).getByText("2h 10m")).toBeInTheDocument();
    expect(within(wonderful).getByText("Screenings coming soon")).toBeInTheDocument();
  });

  it("collects every page of a long list", async () => {
    const many = Array.from({ length: 3 }, (_, i) => film({ slug: `film-${i}`, name: `Film ${i}` }));
    mockApi({
      "/api/films/": (url) =>
        url.searchParams.get("page") === "2"
          ? page(many.slice(2), { count: 3 })
          : page(many.slice(0, 2), { count: 3, next: "/api/films/?page=2&page_size=1000" }),
    });
    renderAt("/");

    expect(await screen.findByRole("heading", { name: "Film 2" })).toBeInTheDocument();
    expect(screen.getAllByRole("article")).toHaveLength(3);
  });

  it("says so when no films are live", async () => {
    mockApi({ "/api/films/": page([]) });
    renderAt("/");

    expect(await screen.findByText(/No films are showing yet/)).toBeInTheDocument();
    expect(screen.queryByRole("article")).not.toBeInTheDocument();
  });

  it("shows an error with a Try again button that fetches again", async () => {
    let calls = 0;
    const fetchMock = mockApi({
      "/api/films/": () => (++calls === 1 ? serverError() : page(FILMS)),
    });
    const { user } = renderAt("/");

    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Sorry, we couldn't load the films.");
    expect(screen.queryByRole("article")).not.toBeInTheDocument();

    await user.click(within(alert).getByRole("button", { name: "Try again" }));

    expect(await screen.findByRole("heading", { name: "Elf" })).toBeInTheDocument();
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
    expect(pageRequests(fetchMock)).toHaveLength(2);
  });

  it("shows the error state when the database is not answering (503)", async () => {
    mockApi({
      "/api/films/": () =>
        reply(503, { detail: "The database is not answering just now; please try again in a minute." }),
    });
    renderAt("/");

    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Sorry, we couldn't load the films.");
    expect(within(alert).getByRole("button", { name: "Try again" })).toBeInTheDocument();
  });

  it("opens a film's page from its card", async () => {
    mockApi({
      "/api/films/": page(FILMS),
      "/api/films/elf/": FILMS[0],
      "/api/screenings/": page([]),
      "/api/cinemas/": page([]),
    });
    const { user } = renderAt("/");

    await user.click(await screen.findByRole("link", { name: "Elf" }));

    expect(await screen.findByRole("heading", { level: 1, name: "Elf" })).toBeInTheDocument();
    await waitFor(() => expect(document.title).toBe("Elf · Xmas Films"));
  });
});
