import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// Tests run in a zone far from London so that any date formatting that leans on
// the machine's time zone instead of Europe/London shows up as a failure.
process.env.TZ = "Pacific/Kiritimati";

export default defineConfig({
  plugins: [react()],
  base: "/",
  server: {
    proxy: {
      "/api": "http://127.0.0.1:8000",
    },
  },
  build: {
    outDir: "dist",
    assetsDir: "assets",
    // Keep every asset a file under /assets/ (no data: URIs) so a strict
    // Content-Security-Policy on the Django side never has to allow data:.
    assetsInlineLimit: 0,
  },
  test: {
    environment: "jsdom",
    // Worker threads rather than processes: each test file's jsdom starts sooner (27 s for the
    // suite against 35 s). TZ above is the process's, so every thread keeps it.
    pool: "threads",
    setupFiles: ["./src/test/setup.js"],
    include: ["src/**/*.test.{js,jsx}"],
    restoreMocks: true,
    // Above the find* wait (src/test/setup.js): a test waiting on a slow first compile fails on
    // what it waited for, not on the runner's clock.
    testTimeout: 30000,
    unstubGlobals: true,
  },
});
