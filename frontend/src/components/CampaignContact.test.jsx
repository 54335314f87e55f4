import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { CINEMAS, contact, film, FILMS, page, screening } from "../test/fixtures.js";
import { mockApi, serverError } from "../test/mockApi.js";
import { renderAt } from "../test/render.jsx";

const ELF_AT_ABERDEEN = screening({ slug: "elf-abd-1830", code: "H4TW9C", starts_at: "2026-12-12T18:30:00Z" });

/** @param {import("../test/mockApi.js").Route} [contactAnswer] */
function mockSite(contactAnswer = contact()) {
  return mockApi({
    "/api/contact/": contactAnswer,
    "/api/films/": page(FILMS),
    "/api/films/elf/": film(),
    "/api/screenings/": page([ELF_AT_ABERDEEN]),
    "/api/cinemas/": page(CINEMAS),
    "/api/cinemas/aberdeen-queens-links/": CINEMAS[0],
  });
}

async function footer() {
  const info = screen.getByRole("contentinfo");
  await within(info).findByRole("link", { name: "0800 123 4567" });
  return info;
}

describe("Campaign contact", () => {
  it("is in the footer of every page, with a number to call and an address to write to", async () => {
    mockSite();
    renderAt("/");
    const info = await footer();

    expect(within(info).getByRole("link", { name: "0800 123 4567" })).toHaveAttribute("href", "tel:08001234567");
    expect(within(info).getByRole("link", { name: "bookings@xmasfilms.example" })).toHaveAttribute(
      "href",
      "mailto:bookings@xmasfilms.example",
    );
    expect(info).toHaveTextContent("Monday to Friday, 9am to 5pm");
  });

  it.each([
    ["a film", "/films/elf", "18:30"],
    ["a cinema", "/cinemas/aberdeen-queens-links", "18:30"],
  ])("says how to reach campaign staff when a screening of %s is chosen", async (_, path, time) => {
    mockSite();
    const { user } = renderAt(path);

    await user.click(await screen.findByRole("button", { name: time }));

    const panel = /** @type {HTMLElement} */ (screen.getByText(/ask campaign staff/).closest("[role=status]"));
    expect(await within(panel).findByRole("link", { name: "0800 123 4567" })).toHaveAttribute("href", "tel:08001234567");
    expect(within(panel).getByRole("link", { name: "bookings@xmasfilms.example" })).toBeInTheDocument();
    expect(panel).toHaveTextContent("Monday to Friday, 9am to 5pm");
    expect(panel).toHaveTextContent("Have your access code ready when you call.");
    expect(panel).toHaveTextContent("quoting this screening's code: H4TW9C.");
  });

  it("shows only what staff filled in", async () => {
    mockSite(contact({ phone: "", opening_hours: "", text: "" }));
    renderAt("/");
    const info = screen.getByRole("contentinfo");

    expect(await within(info).findByRole("link", { name: "bookings@xmasfilms.example" })).toBeInTheDocument();
    expect(info.querySelector('a[href^="tel:"]')).toBeNull();
  });

  it.each([
    ["the API fails", serverError()],
    ["there is no contact yet", contact({ phone: "", email: "", opening_hours: "", text: "" })],
  ])("leaves the page working when %s", async (_, answer) => {
    mockSite(answer);
    renderAt("/");

    expect(await screen.findAllByRole("article")).toHaveLength(3);
    const info = screen.getByRole("contentinfo");
    expect(info).toHaveTextContent("Free Christmas film tickets");
    expect(info.querySelector('a[href^="tel:"], a[href^="mailto:"]')).toBeNull();
  });
});
