import { screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { FILMS, page } from "./test/fixtures.js";
import { deferred, mockApi, pageRequests } from "./test/mockApi.js";
import { renderAt } from "./test/render.jsx";
import indexHtml from "../index.html?raw";

/** Markup as the browser would lay it out: whitespace between tags and the router's own marks aside. */
const normalise = (html) =>
  html
    .replace(/\s+/g, " ")
    .replace(/> </g, "><")
    .replace(/ data-discover="true"/g, "");

describe("Site", () => {
  it("shows the 404 page for an unknown address", () => {
    const fetchMock = mockApi({});
    renderAt("/mince-pies");

    expect(screen.getByRole("heading", { level: 1, name: "Page not found" })).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Find a cinema" })).toHaveAttribute("href", "/cinemas");
    expect(document.title).toBe("Page not found · Xmas Films");
    expect(pageRequests(fetchMock)).toEqual([]);
  });

  it("has landmarks and main navigation on every page", () => {
    mockApi({});
    renderAt("/mince-pies");

    expect(screen.getByRole("banner")).toBeInTheDocument();
    expect(screen.getByRole("main")).toBeInTheDocument();
    expect(screen.getByRole("contentinfo")).toBeInTheDocument();
    const nav = screen.getByRole("navigation", { name: "Main" });
    expect(nav).toContainElement(screen.getByRole("link", { name: "Films" }));
    expect(nav).toContainElement(screen.getByRole("link", { name: "Cinemas" }));
  });

  it("paints the header it renders before its script runs (index.html's static shell)", () => {
    mockApi({});
    renderAt("/mince-pies");

    const shell = new DOMParser().parseFromString(indexHtml, "text/html");
    expect(normalise(screen.getByRole("banner").outerHTML)).toBe(normalise(shell.querySelector("header").outerHTML));
    expect(shell.querySelector("main#main.container.site-main [role=status]").textContent).toBe("Loading…");
  });

  it("navigates between pages and moves focus to the new content", async () => {
    mockApi({ "/api/films/": page(FILMS), "/api/cinemas/": page([]) });
    const { user } = renderAt("/");
    await screen.findAllByRole("article");

    await user.click(screen.getByRole("link", { name: "Cinemas" }));

    expect(await screen.findByRole("heading", { level: 1, name: "Find a cinema" })).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Cinemas" })).toHaveAttribute("aria-current", "page");
    expect(screen.getByRole("main")).toHaveFocus();
    await waitFor(() => expect(document.title).toBe("Cinemas · Xmas Films"));
  });

  it("sends /films to the film list", async () => {
    mockApi({ "/api/films/": page(FILMS) });
    renderAt("/films");

    expect(await screen.findAllByRole("article")).toHaveLength(3);
  });

  it("keeps the current page, marked busy, until the next page's data arrives", async () => {
    const elf = deferred();
    mockApi({
      "/api/films/": page(FILMS),
      "/api/films/elf/": () => elf.promise,
      "/api/screenings/": page([]),
      "/api/cinemas/": page([]),
    });
    const { user } = renderAt("/");
    await screen.findAllByRole("article");

    await user.click(screen.getByRole("link", { name: "Elf" }));

    expect(screen.getByRole("main")).toHaveAttribute("aria-busy", "true");
    expect(screen.getAllByRole("article")).toHaveLength(3);
    elf.resolve(FILMS[0]);
    expect(await screen.findByRole("heading", { level: 1, name: "Elf" })).toBeInTheDocument();
    expect(screen.getByRole("main")).toHaveAttribute("aria-busy", "false");
  });
});
