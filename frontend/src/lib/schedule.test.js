import { describe, expect, it } from "vitest";
import { screening } from "../test/fixtures.js";
import { bookingCutoffMinutes, unavailableReason } from "./schedule.js";

describe("bookingCutoffMinutes", () => {
  it("is how long before its start a screening's bookings close", () => {
    expect(bookingCutoffMinutes(screening())).toBe(60);
    expect(
      bookingCutoffMinutes(screening({ starts_at: "2026-12-12T18:30:00Z", bookings_close_at: "2026-12-12T17:00:00Z" })),
    ).toBe(90);
  });
});

describe("unavailableReason", () => {
  const now = Date.parse("2026-12-12T17:00:00Z");

  it("is empty for a screening that can be booked", () => {
    expect(unavailableReason(screening(), now)).toBe("");
  });

  it("says Cancelled before anything else, and never Sold out for a cancelled screening", () => {
    const cancelled = screening({ cancelled: true, bookings_closed: true, sold_out: false, seats_left: 50 });
    expect(unavailableReason(cancelled, now)).toBe("Cancelled");
  });

  it("says Bookings closed once the cut-off has passed, by the API's flag or by the clock", () => {
    expect(unavailableReason(screening({ bookings_closed: true }), now)).toBe("Bookings closed");
    // An answer cached at 17:29 still says open; at 17:30 the clock knows better.
    expect(unavailableReason(screening(), Date.parse("2026-12-12T17:29:59Z"))).toBe("");
    expect(unavailableReason(screening(), Date.parse("2026-12-12T17:30:00Z"))).toBe("Bookings closed");
    expect(unavailableReason(screening({ bookings_closed: true, sold_out: true, seats_left: 0 }), now)).toBe(
      "Bookings closed",
    );
  });

  it("says Sold out for a screening on sale with no seats left", () => {
    expect(unavailableReason(screening({ sold_out: true, seats_left: 0 }), now)).toBe("Sold out");
  });
});
