import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { CINEMAS, page, screening } from "../test/fixtures.js";
import { mockApi, notFound, requestedPaths, serverError } from "../test/mockApi.js";
import { renderAt } from "../test/render.jsx";

const ABERDEEN = CINEMAS[0];
const elf = { film: "elf", film_name: "Elf" };
const polar = { film: "the-polar-express", film_name: "The Polar Express" };

const SCREENINGS = [
  screening({ ...polar, slug: "polar-sat", starts_at: "2026-12-12T13:00:00Z", seats_left: 0, sold_out: true }),
  screening({ ...elf, slug: "elf-sat-late", starts_at: "2026-12-12T23:30:00Z", seats_left: 2 }),
  screening({ ...elf, slug: "elf-sat", code: "R9DF4J", starts_at: "2026-12-12T18:30:00Z" }),
  screening({ ...elf, slug: "elf-sun", starts_at: "2026-12-13T14:00:00Z" }),
];

function mockAberdeen(screenings = SCREENINGS) {
  return mockApi({
    "/api/cinemas/aberdeen-queens-links/": ABERDEEN,
    "/api/screenings/": (url) => (url.searchParams.get("cinema") === ABERDEEN.slug ? page(screenings) : page([])),
  });
}

/** @type {(slug: string) => HTMLElement} */
const item = (slug) => document.querySelector(`[data-testid="screening"][data-slug="${slug}"]`);

describe("Cinema page", () => {
  it("shows the cinema's address and what's on by UK day, in time order, each time naming its film", async () => {
    const fetchMock = mockAberdeen();
    renderAt("/cinemas/aberdeen-queens-links");

    expect(await screen.findByRole("heading", { level: 1, name: "Aberdeen - Queens Links" })).toBeInTheDocument();
    expect(screen.getByText(ABERDEEN.address)).toBeInTheDocument();
    expect(requestedPaths(fetchMock)).toContain("/api/screenings/?cinema=aberdeen-queens-links&page_size=1000");

    const days = screen.getAllByRole("heading", { level: 3 }).map((h) => h.textContent);
    expect(days).toEqual(["Saturday 12 December", "Sunday 13 December"]);

    const saturday = screen.getByRole("heading", { level: 3, name: "Saturday 12 December" }).closest("section");
    const slots = within(saturday).getAllByTestId("screening");
    expect(slots.map((li) => li.querySelector("time").textContent)).toEqual(["13:00", "18:30", "23:30"]);
    expect(slots.map((li) => within(li).getByRole("link").textContent)).toEqual(["The Polar Express", "Elf", "Elf"]);
    expect(within(item("elf-sat")).getByRole("link", { name: "Elf" })).toHaveAttribute("href", "/films/elf");
    expect(within(item("elf-sat")).getByText("R9DF4J").parentElement).toHaveTextContent(/^Code R9DF4J$/);
  });

  it("says when bookings close, from the cut-off its screenings state, before the campaign contact arrives", async () => {
    const closing = (s) => ({ ...s, bookings_close_at: new Date(Date.parse(s.starts_at) - 45 * 60000).toISOString() });
    mockApi({
      "/api/contact/": () => new Promise(() => {}),
      "/api/cinemas/aberdeen-queens-links/": ABERDEEN,
      "/api/screenings/": page(SCREENINGS.map(closing)),
    });
    renderAt("/cinemas/aberdeen-queens-links");

    const note = await screen.findByText(/Pick a screening to see how to book it/);
    expect(note).toHaveTextContent("Bookings close 45 minutes before each screening.");
  });

  it("orders by date then time, not by film: 8 December comes before 16 December", async () => {
    mockAberdeen([
      screening({ ...elf, slug: "elf-16", starts_at: "2026-12-16T18:00:00Z" }),
      screening({ ...polar, slug: "polar-8-late", starts_at: "2026-12-08T19:00:00Z" }),
      screening({ ...elf, slug: "elf-8", starts_at: "2026-12-08T14:00:00Z" }),
      screening({ ...polar, slug: "polar-16", starts_at: "2026-12-16T10:00:00Z" }),
    ]);
    renderAt("/cinemas/aberdeen-queens-links");
    await screen.findByRole("heading", { level: 1, name: "Aberdeen - Queens Links" });

    expect(screen.getAllByRole("heading", { level: 3 }).map((h) => h.textContent)).toEqual([
      "Tuesday 8 December",
      "Wednesday 16 December",
    ]);
    expect(screen.getAllByTestId("screening").map((li) => li.dataset.slug)).toEqual([
      "elf-8",
      "polar-8-late",
      "polar-16",
      "elf-16",
    ]);
  });

  it("marks sold-out screenings and low availability the same way as the film page", async () => {
    mockAberdeen();
    renderAt("/cinemas/aberdeen-queens-links");
    await screen.findByRole("heading", { level: 1, name: "Aberdeen - Queens Links" });

    expect(item("polar-sat")).toHaveAttribute("data-sold-out", "true");
    expect(item("polar-sat")).toHaveTextContent("Sold out");
    expect(within(item("polar-sat")).getByRole("button")).toBeDisabled();
    expect(item("elf-sat-late")).toHaveTextContent("Only 2 seats left");
    expect(within(item("elf-sat")).getByRole("button", { name: "18:30" })).toBeEnabled();
  });

  it("marks a cancelled screening with its reason and a closed one in words, neither as sold out", async () => {
    mockAberdeen([
      ...SCREENINGS,
      screening({
        ...elf,
        slug: "elf-sun-cancelled",
        starts_at: "2026-12-13T18:00:00Z",
        cancelled: true,
        cancellation_reason: "The screen is closed for repairs.",
      }),
      // Past its cut-off on the morning of 1 December, the tests' clock.
      screening({ ...polar, slug: "polar-closed", starts_at: "2026-12-01T09:30:00Z", seats_left: 30 }),
    ]);
    renderAt("/cinemas/aberdeen-queens-links");
    await screen.findByRole("heading", { level: 1, name: "Aberdeen - Queens Links" });

    const cancelled = item("elf-sun-cancelled");
    expect(within(cancelled).getByRole("button", { name: "18:00 Cancelled" })).toBeDisabled();
    expect(cancelled).toHaveTextContent("The screen is closed for repairs.");
    expect(cancelled).not.toHaveTextContent("Sold out");
    expect(cancelled).toHaveAttribute("data-unavailable", "Cancelled");
    const closed = item("polar-closed");
    expect(within(closed).getByRole("button", { name: "09:30 Bookings closed" })).toBeDisabled();
    expect(closed).not.toHaveTextContent(/seats left|Sold out/);
    expect(item("elf-sat")).toHaveAttribute("data-unavailable", "");
  });

  it("says when nothing is on", async () => {
    mockAberdeen([]);
    renderAt("/cinemas/aberdeen-queens-links");

    expect(await screen.findByText("There are no upcoming screenings at this cinema yet.")).toBeInTheDocument();
  });

  it("shows the not-found page for a cinema the API doesn't know", async () => {
    mockApi({ "/api/cinemas/atlantis/": notFound("Cinema"), "/api/screenings/": page([]) });
    renderAt("/cinemas/atlantis");

    expect(await screen.findByRole("heading", { level: 1, name: "Cinema not found" })).toBeInTheDocument();
    await waitFor(() => expect(document.title).toBe("Cinema not found · Xmas Films"));
  });

  it("recovers from an error with Try again", async () => {
    let calls = 0;
    mockApi({
      "/api/cinemas/aberdeen-queens-links/": ABERDEEN,
      "/api/screenings/": () => (++calls === 1 ? serverError() : page(SCREENINGS)),
    });
    const { user } = renderAt("/cinemas/aberdeen-queens-links");

    const alert = await screen.findByRole("alert");
    await user.click(within(alert).getByRole("button", { name: "Try again" }));

    expect(await screen.findByRole("heading", { level: 1, name: "Aberdeen - Queens Links" })).toBeInTheDocument();
    expect(screen.getAllByTestId("screening")).toHaveLength(4);
  });
});
