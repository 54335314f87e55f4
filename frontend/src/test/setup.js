import "@testing-library/jest-dom/vitest";
import { cleanup } from "@testing-library/react";
import { afterEach, vi } from "vitest";

afterEach(() => {
  cleanup();
  delete navigator.geolocation;
});

// jsdom doesn't implement scrolling; the layout scrolls to the top on navigation.
window.scrollTo = vi.fn();
