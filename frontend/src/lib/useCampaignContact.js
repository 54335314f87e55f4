import { useEffect } from "react";
import { useFetcher } from "react-router";

/** The route whose loader reads /api/contact/ (routes.jsx). */
export const CONTACT_PATH = "/campaign-contact";

/**
 * How to reach campaign staff to book, or null until it arrives (or when the API has none).
 *
 * Loaded by a router fetcher rather than a route loader: the footer and every "how to book" panel
 * need it, but no page should wait for it. The fetcher's key is shared, so every caller reads the
 * one copy, loaded once per visit.
 */
export function useCampaignContact() {
  const { state, data, load } = useFetcher({ key: "campaign-contact" });
  useEffect(() => {
    if (state === "idle" && data === undefined) load(CONTACT_PATH);
  }, [state, data, load]);
  return data ?? null;
}
