import "@testing-library/jest-dom/vitest";
import { cleanup, configure } from "@testing-library/react";
import { afterEach, beforeEach, vi } from "vitest";

// Pages load on first use: the first visit to a page in a test file also compiles its module,
// which can take several seconds on a busy machine. findBy* waits up to fifteen.
configure({ asyncUtilTimeout: 15000 });

// The fixtures' screenings are in December 2026, and the site reads a screening's cut-off from
// the clock too (unavailableReason): every test runs on the morning of 1 December 2026.
const TEST_NOW = new Date("2026-12-01T09:00:00Z");

beforeEach(() => {
  vi.setSystemTime(TEST_NOW);
});

afterEach(() => {
  cleanup();
  Reflect.deleteProperty(navigator, "geolocation");
});

// jsdom doesn't implement scrolling; the layout scrolls to the top on navigation.
window.scrollTo = vi.fn();
