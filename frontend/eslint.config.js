import js from "@eslint/js";
import react from "eslint-plugin-react";
import reactHooks from "eslint-plugin-react-hooks";
import { defineConfig } from "eslint/config";
import globals from "globals";

export default defineConfig([
  { ignores: ["dist/", "dist-admin/"] },
  {
    files: ["**/*.{js,jsx}"],
    extends: [
      js.configs.recommended,
      react.configs.flat.recommended,
      react.configs.flat["jsx-runtime"],
      reactHooks.configs.flat["recommended-latest"],
    ],
    languageOptions: {
      ecmaVersion: "latest",
      sourceType: "module",
      globals: { ...globals.browser },
    },
    settings: { react: { version: "detect" } },
    rules: {
      // Props are plain data from our own API; there are no PropTypes to keep in step.
      "react/prop-types": "off",
      // Apostrophes and quotes are ordinary text in JSX; only > and } are easy to type by mistake.
      "react/no-unescaped-entities": ["error", { forbid: [">", "}"] }],
      // Warnings nobody reads turn into noise: anything worth flagging fails the lint.
      "react-hooks/exhaustive-deps": "error",
    },
  },
  {
    files: ["vite.config.js", "vite.admin.config.js", "eslint.config.js"],
    languageOptions: { globals: { ...globals.node } },
  },
]);
