import { describe, expect, it } from "vitest";
import { bookingCutoffText, formatDay, formatRunningTime, formatTime, londonDayKey, seatsLeftHint } from "./format.js";
import { screening } from "../test/fixtures.js";

// vite.config.js runs the tests with TZ=Pacific/Kiritimati (UTC+14), so these
// only pass if formatting names Europe/London rather than using the machine's zone.
describe("UK time formatting", () => {
  it("runs the tests far from London, so the machine's zone would give other answers", () => {
    expect(new Date("2026-12-12T23:30:00Z").getDate()).toBe(13);
  });

  it("formats a December time (GMT, same as UTC)", () => {
    expect(formatTime("2026-12-12T18:30:00Z")).toBe("18:30");
    expect(formatDay("2026-12-12T18:30:00Z")).toBe("Saturday 12 December");
  });

  it("keeps a late-evening UTC screening on its London day", () => {
    expect(formatTime("2026-12-12T23:30:00Z")).toBe("23:30");
    expect(formatDay("2026-12-12T23:30:00Z")).toBe("Saturday 12 December");
    expect(londonDayKey("2026-12-12T23:30:00Z")).toBe("2026-12-12");
  });

  it("converts an offset timestamp whose written date is the next day", () => {
    // 00:15 at +01:00 on the 13th is 23:15 on the 12th in London.
    expect(formatTime("2026-12-13T00:15:00+01:00")).toBe("23:15");
    expect(formatDay("2026-12-13T00:15:00+01:00")).toBe("Saturday 12 December");
    expect(londonDayKey("2026-12-13T00:15:00+01:00")).toBe("2026-12-12");
  });

  it("applies British Summer Time across midnight", () => {
    expect(formatTime("2026-06-30T23:30:00Z")).toBe("00:30");
    expect(formatDay("2026-06-30T23:30:00Z")).toBe("Wednesday 1 July");
    expect(londonDayKey("2026-06-30T23:30:00Z")).toBe("2026-07-01");
  });
});

describe("formatRunningTime", () => {
  it.each([
    [105, "1h 45m"],
    [97, "1h 37m"],
    [120, "2h"],
    [45, "45m"],
    [null, ""],
    [0, ""],
  ])("%s minutes -> %j", (minutes, text) => {
    expect(formatRunningTime(minutes)).toBe(text);
  });
});

describe("seatsLeftHint", () => {
  it("warns at ten seats or fewer", () => {
    expect(seatsLeftHint(screening({ seats_left: 10 }))).toBe("Only 10 seats left");
    expect(seatsLeftHint(screening({ seats_left: 3 }))).toBe("Only 3 seats left");
    expect(seatsLeftHint(screening({ seats_left: 1 }))).toBe("Only 1 seat left");
  });

  it("stays quiet above the threshold and when sold out", () => {
    expect(seatsLeftHint(screening({ seats_left: 11 }))).toBe("");
    expect(seatsLeftHint(screening({ seats_left: 0, sold_out: true }))).toBe("");
  });
});

describe("bookingCutoffText", () => {
  it.each([
    [60, "Bookings close 1 hour before each screening."],
    [120, "Bookings close 2 hours before each screening."],
    [90, "Bookings close 1 hour 30 minutes before each screening."],
    [1, "Bookings close 1 minute before each screening."],
    [45, "Bookings close 45 minutes before each screening."],
    [0, "Bookings stay open until each screening starts."],
  ])("puts %i minutes in words", (minutes, words) => {
    expect(bookingCutoffText(minutes)).toBe(words);
  });

  it.each([[undefined], [null], [-5], [1.5]])("says nothing for %s", (minutes) => {
    expect(bookingCutoffText(minutes)).toBe("");
  });
});
