import "@testing-library/jest-dom/vitest";
import { cleanup, configure } from "@testing-library/react";
import { afterEach, vi } from "vitest";

// Pages load on first use: the first visit to a page in a test file also compiles its module,
// which can take several seconds on a busy machine. findBy* waits up to fifteen.
configure({ asyncUtilTimeout: 15000 });

afterEach(() => {
  cleanup();
  delete navigator.geolocation;
});

// jsdom doesn't implement scrolling; the layout scrolls to the top on navigation.
window.scrollTo = vi.fn();
