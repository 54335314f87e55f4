import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { contact, FILMS, page } from "../test/fixtures.js";
import { mockApi, serverError } from "../test/mockApi.js";
import { renderAt } from "../test/render.jsx";

const NOTICE = [
  "What we keep: your name and email address.",
  "How long: 30 days after your screening ends.\nThen they are replaced.",
  "<script>alert('hi')</script> <b>not bold</b>",
].join("\n\n  \n");

/** @param {import("../test/mockApi.js").Route} [privacy] */
function mockSite(privacy = { text: NOTICE }) {
  return mockApi({
    "/api/contact/": contact(),
    "/api/films/": page(FILMS),
    "/api/privacy/": privacy,
  });
}

describe("Privacy notice", () => {
  it("is linked from the footer of every page", async () => {
    mockSite();
    const { user } = renderAt("/");
    await screen.findAllByRole("article");

    const link = within(screen.getByRole("contentinfo")).getByRole("link", { name: "Privacy notice" });
    expect(link).toHaveAttribute("href", "/privacy");
    await user.click(link);

    expect(await screen.findByRole("heading", { level: 1, name: "Privacy notice" })).toBeInTheDocument();
    await waitFor(() => expect(document.title).toBe("Privacy · Xmas Films"));
    expect(screen.getByRole("main")).toHaveFocus();
  });

  it("shows staff's text as plain paragraphs, never as markup", async () => {
    mockSite();
    renderAt("/privacy");

    const first = await screen.findByText("What we keep: your name and email address.");
    expect(screen.getByRole("heading", { level: 1, name: "Privacy notice" })).toBeInTheDocument();
    const paragraphs = [...first.parentElement.querySelectorAll("p")].map((p) => p.textContent);
    expect(paragraphs).toEqual([
      "What we keep: your name and email address.",
      "How long: 30 days after your screening ends.\nThen they are replaced.",
      "<script>alert('hi')</script> <b>not bold</b>",
    ]);
    expect(document.querySelector("main script, main b")).toBeNull();
  });

  it("offers to try again when the notice cannot be loaded", async () => {
    let fail = true;
    mockSite(() => (fail ? serverError() : { text: "Back again." }));
    const { user } = renderAt("/privacy");

    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Sorry, we couldn't load the privacy notice.");
    expect(screen.getByRole("heading", { level: 1, name: "Privacy notice" })).toBeInTheDocument();
    fail = false;
    await user.click(within(alert).getByRole("button", { name: "Try again" }));

    expect(await screen.findByText("Back again.")).toBeInTheDocument();
  });
});
