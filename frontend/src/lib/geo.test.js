import { describe, expect, it } from "vitest";
import { distanceMiles, formatMiles, matchesSearch, sortByDistance } from "./geo.js";
import { CINEMAS } from "../test/fixtures.js";

const EDINBURGH = { lat: 55.9533, lng: -3.1883 };
const LONDON = { lat: 51.5074, lng: -0.1278 };

describe("distanceMiles", () => {
  it("measures the great-circle distance", () => {
    // Edinburgh to London is about 332 miles as the crow flies.
    expect(distanceMiles(EDINBURGH, LONDON)).toBeCloseTo(331.6, 0);
    expect(distanceMiles(LONDON, LONDON)).toBe(0);
  });

  it("formats to one decimal place", () => {
    expect(formatMiles(3.14159)).toBe("3.1 miles");
  });
});

describe("sortByDistance", () => {
  it("puts the nearest first and cinemas without coordinates last", () => {
    const sorted = sortByDistance(CINEMAS, LONDON);
    expect(sorted.map((e) => e.cinema.slug)).toEqual([
      "london-leicester-square",
      "star-city",
      "edinburgh-omni-centre",
      "aberdeen-queens-links",
      "manchester-printworks",
    ]);
    expect(sorted.at(-1).distance).toBeNull();
  });
});

describe("matchesSearch", () => {
  const starCity = CINEMAS.find((c) => c.slug === "star-city");

  it("matches the name or the address, ignoring case", () => {
    expect(matchesSearch(starCity, "STAR")).toBe(true);
    expect(matchesSearch(starCity, "birmingham")).toBe(true);
    expect(matchesSearch(starCity, "leeds")).toBe(false);
  });

  it("needs every word to match", () => {
    expect(matchesSearch(starCity, "star birmingham")).toBe(true);
    expect(matchesSearch(starCity, "star leeds")).toBe(false);
  });
});
