import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { CINEMAS, film, manyCinemas, page, screening } from "../test/fixtures.js";
import { mockApi, mockGeolocation, notFound, requestedPaths, serverError } from "../test/mockApi.js";
import { renderAt } from "../test/render.jsx";

const ELF = film({ running_time: 105, description: "Buddy goes to New York.\n\nHe finds his father." });

const aberdeen = { cinema: "aberdeen-queens-links", cinema_name: "Aberdeen - Queens Links" };
const edinburgh = { cinema: "edinburgh-omni-centre", cinema_name: "Edinburgh - Omni Centre" };
const london = { cinema: "london-leicester-square", cinema_name: "London - Leicester Square" };

// In the API's order: cinema name, then start.
const SCREENINGS = [
  screening({ ...aberdeen, slug: "elf-abd-1830", code: "H4TW9C", starts_at: "2026-12-12T18:30:00Z", seats_left: 42 }),
  // Written as the 13th at +01:00, but that is 23:15 on Saturday the 12th in London.
  screening({ ...aberdeen, slug: "elf-abd-2315", starts_at: "2026-12-13T00:15:00+01:00", seats_left: 3 }),
  screening({ ...aberdeen, slug: "elf-abd-2330", starts_at: "2026-12-12T23:30:00Z", seats_left: 11 }),
  screening({ ...aberdeen, slug: "elf-abd-sun", starts_at: "2026-12-13T14:00:00Z", seats_left: 0, sold_out: true }),
  screening({ ...edinburgh, slug: "elf-edi-mon", starts_at: "2026-12-14T19:45:00Z", seats_left: 0, sold_out: true }),
  screening({ ...london, slug: "elf-lon-sat", code: "M3XK7P", starts_at: "2026-12-12T10:00:00Z", seats_left: 10 }),
];

function mockElf(screenings = SCREENINGS, cinemas = CINEMAS, campaignContact = undefined) {
  return mockApi({
    ...(campaignContact && { "/api/contact/": campaignContact }),
    "/api/films/elf/": ELF,
    "/api/screenings/": (url) => page(screenings.filter((s) => s.film === url.searchParams.get("film"))),
    "/api/cinemas/": page(cinemas),
  });
}

/** @type {(slug: string) => HTMLElement} */
const item = (slug) => document.querySelector(`[data-testid="screening"][data-slug="${slug}"]`);
/** @type {(cinemaName: string) => HTMLElement} */
const rowFor = (cinemaName) =>
  screen.getByRole("heading", { level: 3, name: cinemaName }).closest('[data-testid="cinema"]');
const rowNames = () => screen.getAllByTestId("cinema").map((row) => within(row).getByRole("heading", { level: 3 }).textContent);
const searchbox = () => screen.getByRole("searchbox", { name: "Cinema name or town" });

// Near the Omni Centre in Edinburgh.
const IN_EDINBURGH = { coords: { latitude: 55.9533, longitude: -3.1883, accuracy: 50 } };

/** 98 cinemas (last season's campaign), each showing Elf once or twice. */
function campaignSized() {
  const cinemas = manyCinemas(98);
  const screenings = cinemas.flatMap((cinema, i) => {
    const at = { cinema: cinema.slug, cinema_name: cinema.name };
    const day = String(8 + (i % 10)).padStart(2, "0");
    const first = screening({ ...at, slug: `elf-${cinema.slug}-1`, starts_at: `2026-12-${day}T14:00:00Z` });
    if (i % 2) return [first];
    return [first, screening({ ...at, slug: `elf-${cinema.slug}-2`, starts_at: `2026-12-${day}T18:30:00Z` })];
  });
  return { cinemas, screenings };
}

describe("Film detail page", () => {
  it("shows the film's description and facts", async () => {
    const fetchMock = mockElf();
    renderAt("/films/elf");

    expect(await screen.findByRole("heading", { level: 1, name: "Elf" })).toBeInTheDocument();
    expect(screen.getByText("Buddy goes to New York.")).toBeInTheDocument();
    expect(screen.getByText("He finds his father.")).toBeInTheDocument();
    expect(screen.getByText("Running time").nextElementSibling).toHaveTextContent("1h 45m");
    expect(screen.getByText("Genre").nextElementSibling).toHaveTextContent("Comedy");
    expect(screen.getByText("Showing from").nextElementSibling).toHaveTextContent("From Friday 4 December");
    expect(requestedPaths(fetchMock)).toContain("/api/screenings/?film=elf&page_size=1000");
  });

  it("lets a long genre wrap at its slashes instead of overflowing its box", async () => {
    mockApi({
      "/api/films/elf/": { ...ELF, genre: "Family/Adventure/Fantasy" },
      "/api/screenings/": page([]),
      "/api/cinemas/": page([]),
    });
    renderAt("/films/elf");

    const genre = (await screen.findByText("Genre")).nextElementSibling;
    expect(genre).toHaveTextContent("Family/Adventure/Fantasy");
    // A slash is no line-break opportunity by itself: the whole genre is one unbreakable word.
    expect(genre.querySelectorAll("wbr")).toHaveLength(2);
  });

  it("shows one row per cinema, its UK days and times across, in time order", async () => {
    mockElf();
    renderAt("/films/elf");
    await screen.findByRole("heading", { level: 1, name: "Elf" });

    expect(rowNames()).toEqual(["Aberdeen - Queens Links", "Edinburgh - Omni Centre", "London - Leicester Square"]);

    const abd = rowFor("Aberdeen - Queens Links");
    expect(abd).toHaveTextContent("Queens Links Leisure Park, Links Road, Aberdeen AB24 5EN");
    const days = within(abd).getAllByRole("heading", { level: 4 }).map((h) => h.textContent);
    expect(days).toEqual(["Sat 12 Dec", "Sun 13 Dec"]);

    const saturday = within(abd).getByRole("heading", { name: "Sat 12 Dec" }).parentElement;
    const times = within(saturday).getAllByTestId("screening").map((li) => li.querySelector("time").textContent);
    expect(times).toEqual(["18:30", "23:15", "23:30"]);

    const sunday = within(abd).getByRole("heading", { name: "Sun 13 Dec" }).parentElement;
    expect(within(sunday).getByTestId("screening")).toHaveTextContent("14:00");

    expect(within(rowFor("Edinburgh - Omni Centre")).getByRole("heading", { level: 4 })).toHaveTextContent(
      "Mon 14 Dec",
    );
    expect(within(rowFor("London - Leicester Square")).getByTestId("screening")).toHaveTextContent("10:00");
    expect(within(abd).getByRole("link", { name: "Aberdeen - Queens Links" })).toHaveAttribute(
      "href",
      "/cinemas/aberdeen-queens-links",
    );
  });

  it("marks a sold-out screening and does not let it be chosen", async () => {
    mockElf();
    const { user } = renderAt("/films/elf");
    await screen.findByRole("heading", { level: 1, name: "Elf" });

    const soldOut = item("elf-abd-sun");
    expect(soldOut).toHaveAttribute("data-sold-out", "true");
    expect(soldOut).toHaveTextContent("Sold out");
    expect(within(soldOut).queryByRole("link")).not.toBeInTheDocument();
    const button = within(soldOut).getByRole("button");
    expect(button).toBeDisabled();

    await user.click(button);
    expect(screen.queryByText(/ask campaign staff/)).not.toBeInTheDocument();

    expect(item("elf-abd-1830")).toHaveAttribute("data-sold-out", "false");
    expect(item("elf-abd-1830")).not.toHaveTextContent("Sold out");
  });

  it("does not let a cancelled or closed screening be chosen", async () => {
    const aberdeen = { cinema: "aberdeen-queens-links", cinema_name: "Aberdeen - Queens Links" };
    mockElf([
      screening({ ...aberdeen, slug: "elf-abd-off", starts_at: "2026-12-12T18:30:00Z", cancelled: true }),
      screening({ ...aberdeen, slug: "elf-abd-shut", starts_at: "2026-12-12T20:30:00Z", bookings_closed: true }),
    ]);
    const { user } = renderAt("/films/elf");
    await screen.findByRole("heading", { level: 1, name: "Elf" });

    for (const [slug, words] of [
      ["elf-abd-off", "Cancelled"],
      ["elf-abd-shut", "Bookings closed"],
    ]) {
      const button = within(item(slug)).getByRole("button");
      expect(button).toHaveTextContent(words);
      expect(button).toBeDisabled();
      expect(button).not.toHaveAttribute("aria-pressed");
      await user.click(button);
    }
    expect(screen.queryByText(/ask campaign staff/)).not.toBeInTheDocument();
  });

  it("shows each screening's short code beside its time", async () => {
    mockElf();
    renderAt("/films/elf");
    await screen.findByRole("heading", { level: 1, name: "Elf" });

    expect(within(item("elf-abd-1830")).getByText("H4TW9C").parentElement).toHaveTextContent(/^Code H4TW9C$/);
    expect(within(item("elf-lon-sat")).getByText("M3XK7P")).toHaveAttribute("translate", "no");
    // Not part of the button's name: the time stays what a screen reader announces.
    expect(within(item("elf-abd-1830")).getByRole("button", { name: "18:30" })).toBeInTheDocument();
  });

  it.each([
    [60, "Bookings close 1 hour before each screening."],
    [90, "Bookings close 1 hour 30 minutes before each screening."],
  ])("says when bookings close, from the cut-off of %i minutes its screenings state", async (minutes, words) => {
    const closing = (s) => ({ ...s, bookings_close_at: new Date(Date.parse(s.starts_at) - minutes * 60000).toISOString() });
    // No contact answer yet: the note is whole from the page's first render, and nothing moves the timetable later.
    mockElf(SCREENINGS.map(closing), CINEMAS, () => new Promise(() => {}));
    renderAt("/films/elf");

    expect(await screen.findByText(/Find a cinema, then pick a screening/)).toHaveTextContent(words);
  });

  it("lets an available screening be chosen, and explains how to book it", async () => {
    mockElf();
    const { user } = renderAt("/films/elf");
    await screen.findByRole("heading", { level: 1, name: "Elf" });

    const button = within(item("elf-abd-1830")).getByRole("button", { name: "18:30" });
    expect(button).toBeEnabled();
    expect(button).toHaveAttribute("aria-pressed", "false");

    await user.click(button);

    expect(button).toHaveAttribute("aria-pressed", "true");
    const selection = /** @type {HTMLElement} */ (screen.getByText(/ask campaign staff/).closest("[role=status]"));
    expect(selection).toHaveTextContent("Elf at Aberdeen - Queens Links, Saturday 12 December at 18:30.");
    expect(selection).toHaveTextContent("quoting this screening's code: H4TW9C.");
    expect(rowFor("Aberdeen - Queens Links")).toContainElement(selection);

    // Choosing another screening moves the choice: one at a time.
    await user.click(within(item("elf-lon-sat")).getByRole("button"));
    expect(button).toHaveAttribute("aria-pressed", "false");
    expect(screen.getAllByText(/ask campaign staff/)).toHaveLength(1);
    expect(screen.getByText(/ask campaign staff/)).toHaveTextContent("M3XK7P");

    await user.click(within(item("elf-lon-sat")).getByRole("button"));
    expect(button).toHaveAttribute("aria-pressed", "false");
    expect(screen.queryByText(/ask campaign staff/)).not.toBeInTheDocument();
  });

  it("warns when only a few seats are left, but not above ten or when sold out", async () => {
    mockElf();
    renderAt("/films/elf");
    await screen.findByRole("heading", { level: 1, name: "Elf" });

    expect(item("elf-abd-2315")).toHaveTextContent("Only 3 seats left");
    expect(item("elf-lon-sat")).toHaveTextContent("Only 10 seats left");
    expect(item("elf-abd-2330")).not.toHaveTextContent(/seats? left/);
    expect(item("elf-abd-1830")).not.toHaveTextContent(/seats? left/);
    expect(item("elf-abd-sun")).not.toHaveTextContent(/seats? left/);
    expect(screen.getAllByText(/^Only \d+ seats? left$/)).toHaveLength(2);
  });

  it("says when there are no upcoming screenings", async () => {
    mockElf([]);
    renderAt("/films/elf");

    expect(await screen.findByText("There are no upcoming screenings of this film yet.")).toBeInTheDocument();
    expect(screen.queryByTestId("screening")).not.toBeInTheDocument();
  });

  it("finds a cinema by name or town, keeping the search in the address", async () => {
    mockElf();
    const { user, router } = renderAt("/films/elf");
    await screen.findByRole("heading", { level: 1, name: "Elf" });

    await user.type(searchbox(), "edinburgh");

    expect(rowNames()).toEqual(["Edinburgh - Omni Centre"]);
    expect(screen.getByText("1 cinema matching “edinburgh”")).toBeInTheDocument();
    expect(router.state.location.search).toBe("?q=edinburgh");

    await user.clear(searchbox());
    await user.type(searchbox(), "narnia");
    expect(screen.queryByTestId("cinema")).not.toBeInTheDocument();
    expect(screen.getByText("No cinema showing this film matches “narnia”. Try another name or town.")).toBeInTheDocument();
  });

  it("starts another film's page without the previous film's search", async () => {
    const polar = film({ slug: "the-polar-express", name: "The Polar Express" });
    const polarAt = (cinema) => screening({ ...cinema, film: polar.slug, slug: `polar-${cinema.cinema}` });
    mockApi({
      "/api/films/elf/": ELF,
      "/api/films/the-polar-express/": polar,
      "/api/screenings/": (url) =>
        page(url.searchParams.get("film") === "elf" ? SCREENINGS : [polarAt(aberdeen), polarAt(london)]),
      "/api/cinemas/": page(CINEMAS),
    });
    const { router } = renderAt("/films/elf?q=edinburgh");
    await screen.findByRole("heading", { level: 1, name: "Elf" });
    expect(rowNames()).toEqual(["Edinburgh - Omni Centre"]);

    await router.navigate("/films/the-polar-express");

    expect(await screen.findByRole("heading", { level: 1, name: "The Polar Express" })).toBeInTheDocument();
    expect(searchbox()).toHaveValue("");
    expect(rowNames()).toEqual(["Aberdeen - Queens Links", "London - Leicester Square"]);
  });

  it("starts from a search in the address bar", async () => {
    mockElf();
    renderAt("/films/elf?q=leicester");

    expect(await screen.findByRole("searchbox", { name: "Cinema name or town" })).toHaveValue("leicester");
    expect(rowNames()).toEqual(["London - Leicester Square"]);
  });

  it("puts the nearest cinemas first with their distance on Near me", async () => {
    mockGeolocation((success) => success(IN_EDINBURGH));
    mockElf();
    const { user } = renderAt("/films/elf");
    await screen.findByRole("heading", { level: 1, name: "Elf" });

    await user.click(screen.getByRole("button", { name: "Near me" }));

    expect(rowNames()).toEqual(["Edinburgh - Omni Centre", "Aberdeen - Queens Links", "London - Leicester Square"]);
    expect(rowFor("Edinburgh - Omni Centre")).toHaveTextContent(/0\.\d miles away/);
    expect(rowFor("London - Leicester Square")).toHaveTextContent(/33\d\.\d miles away/);
    expect(screen.getByText("Nearest cinemas first.")).toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Sort by name" }));
    expect(rowNames()[0]).toBe("Aberdeen - Queens Links");
    expect(screen.queryByText(/miles away/)).not.toBeInTheDocument();
  });

  it("explains when the visitor's location is not available", async () => {
    mockGeolocation((success, failure) => failure({ code: 1, message: "User denied Geolocation" }));
    mockElf();
    const { user } = renderAt("/films/elf");
    await screen.findByRole("heading", { level: 1, name: "Elf" });

    await user.click(screen.getByRole("button", { name: "Near me" }));

    expect(screen.getByRole("alert")).toHaveTextContent("You didn't allow this site to use your location");
    expect(rowNames()).toHaveLength(3);
  });

  it("stays short with a campaign's 98 cinemas: the first 20, then all on request, search over all", async () => {
    const { cinemas, screenings } = campaignSized();
    mockElf(screenings, cinemas);
    const { user } = renderAt("/films/elf");
    await screen.findByRole("heading", { level: 1, name: "Elf" });

    expect(screen.getByText("98 cinemas showing this film")).toBeInTheDocument();
    expect(screen.getAllByTestId("cinema")).toHaveLength(20);
    expect(screen.getAllByTestId("screening")).toHaveLength(30);

    await user.type(searchbox(), "york");
    expect(rowNames()).toEqual(["York - Vangarde"]);
    expect(screen.queryByRole("button", { name: /Show all/ })).not.toBeInTheDocument();

    await user.clear(searchbox());
    await user.click(screen.getByRole("button", { name: "Show all 98 cinemas" }));
    expect(screen.getAllByTestId("cinema")).toHaveLength(98);
    expect(screen.getAllByTestId("screening")).toHaveLength(147);
  });

  it("shows the nearest 20 of 98 cinemas on Near me", async () => {
    mockGeolocation((success) => success({ coords: { latitude: 53.96, longitude: -1.08, accuracy: 50 } }));
    const { cinemas, screenings } = campaignSized();
    mockElf(screenings, cinemas);
    const { user } = renderAt("/films/elf");
    await screen.findByRole("heading", { level: 1, name: "Elf" });

    await user.click(screen.getByRole("button", { name: "Near me" }));

    const rows = screen.getAllByTestId("cinema");
    expect(rows).toHaveLength(20);
    expect(rowNames()[0]).toBe("York - Vangarde");
    expect(rows[0]).toHaveTextContent(/^.*[0-9]\.\d miles away/);
  });

  it("says the film's run has ended when every screening is past", async () => {
    mockApi({
      "/api/films/elf/": { ...ELF, screenings_total: 0, screenings_sold_out: 0, run_ended: true },
      "/api/screenings/": page([]),
      "/api/cinemas/": page([]),
    });
    renderAt("/films/elf");

    expect(await screen.findByText("This film's run has ended: there are no more screenings.")).toBeInTheDocument();
    expect(screen.queryByText(/no upcoming screenings of this film yet/)).not.toBeInTheDocument();
    expect(screen.getByText("Screenings", { selector: "dt" }).nextElementSibling).toHaveTextContent("Run ended");
  });

  it("shows a loading message first", async () => {
    mockElf();
    renderAt("/films/elf");

    expect(screen.getByRole("status")).toHaveTextContent("Loading film…");
    expect(await screen.findByRole("heading", { level: 1, name: "Elf" })).toBeInTheDocument();
  });

  it("shows the not-found page when the API has no such film", async () => {
    mockApi({ "/api/films/krampus/": notFound("Film"), "/api/screenings/": page([]) });
    renderAt("/films/krampus");

    expect(await screen.findByRole("heading", { level: 1, name: "Film not found" })).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "See all films" })).toHaveAttribute("href", "/");
  });

  it("recovers from an error with Try again", async () => {
    let calls = 0;
    const fetchMock = mockApi({
      "/api/films/elf/": () => (++calls === 1 ? serverError() : ELF),
      "/api/screenings/": page(SCREENINGS),
      "/api/cinemas/": page(CINEMAS),
    });
    const { user } = renderAt("/films/elf");

    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Sorry, we couldn't load this film.");
    await user.click(within(alert).getByRole("button", { name: "Try again" }));

    expect(await screen.findByRole("heading", { level: 1, name: "Elf" })).toBeInTheDocument();
    expect(requestedPaths(fetchMock).filter((p) => p === "/api/films/elf/")).toHaveLength(2);
  });
});
