import { fireEvent, render, screen, within } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { describe, expect, it } from "vitest";
import { film } from "../test/fixtures.js";
import { FilmCard } from "./FilmCard.jsx";

function renderCard(data) {
  render(
    <MemoryRouter>
      <FilmCard film={data} />
    </MemoryRouter>,
  );
  return screen.getByRole("article");
}

describe("FilmCard", () => {
  it("shows the film's name, certificate, running time and genre, linking to its page", () => {
    const card = renderCard(film({ running_time: 105 }));
    const link = within(card).getByRole("link", { name: "Elf" });
    expect(within(card).getByRole("heading", { name: "Elf" })).toContainElement(link);
    expect(link).toHaveAttribute("href", "/films/elf");
    expect(within(card).getByText("1h 45m")).toBeInTheDocument();
    expect(within(card).getByText("PG")).toBeInTheDocument();
    expect(within(card).getByText("Comedy")).toBeInTheDocument();
    expect(within(card).getByText("4 upcoming screenings")).toBeInTheDocument();
  });

  it("lets a long genre wrap at its slashes", () => {
    const card = renderCard(film({ genre: "Family/Adventure/Fantasy" }));
    const genre = within(card).getByText((_, element) => element.textContent === "Family/Adventure/Fantasy", {
      selector: "span",
    });
    expect(genre.querySelectorAll("wbr")).toHaveLength(2);
  });

  it("marks a sold-out film", () => {
    const card = renderCard(film({ sold_out: true, screenings_sold_out: 4 }));
    expect(within(card).getByText("Sold out")).toBeInTheDocument();
  });

  it("has no sold-out badge while seats remain", () => {
    const card = renderCard(film());
    expect(within(card).queryByText("Sold out")).not.toBeInTheDocument();
  });

  it("says screenings are coming soon for a film that has none yet", () => {
    const card = renderCard(film({ screenings_total: 0, screenings_sold_out: 0 }));
    expect(within(card).getByText("Screenings coming soon")).toBeInTheDocument();
  });

  it("says the run has ended when every screening is past", () => {
    const card = renderCard(film({ screenings_total: 0, screenings_sold_out: 0, run_ended: true }));
    expect(within(card).getByText("Its run has ended")).toBeInTheDocument();
    expect(within(card).queryByText("Screenings coming soon")).not.toBeInTheDocument();
  });

  it("draws a placeholder poster when the film has no image", () => {
    const card = renderCard(film({ name: "The Muppet Christmas Carol", image_1: null }));
    const placeholder = within(card).getByRole("img", { name: /The Muppet Christmas Carol/ });
    expect(placeholder.tagName).not.toBe("IMG");
    expect(placeholder).toHaveTextContent("MC");
  });

  it("shows the poster image, and falls back to the placeholder if it fails to load", () => {
    const card = renderCard(film({ image_1: "https://media.example.test/elf.jpg" }));
    const image = within(card).getByRole("img", { name: "Poster for Elf" });
    expect(image).toHaveAttribute("src", "https://media.example.test/elf.jpg");

    fireEvent.error(image);

    expect(within(card).queryByRole("img", { name: "Poster for Elf" })).not.toBeInTheDocument();
    expect(within(card).getByRole("img", { name: /Elf \(no poster image\)/ })).toBeInTheDocument();
  });
});
