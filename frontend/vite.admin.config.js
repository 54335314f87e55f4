import { defineConfig } from "vite";

// The admin's scripts (the dashboard's charts): a bundle of their own, apart from the public
// site's, written where Django's staticfiles finds it (settings.FRONTEND_ADMIN_DIST) as
// campaign/admin/dashboard.js. Django's static files storage adds the content hash.
export default defineConfig({
  publicDir: false,
  build: {
    outDir: "dist-admin/campaign/admin",
    emptyOutDir: true,
    assetsInlineLimit: 0,
    lib: {
      entry: "src/admin/dashboard.js",
      formats: ["iife"],
      name: "campaignDashboard",
      fileName: () => "dashboard.js",
    },
  },
});
