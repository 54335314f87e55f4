import { useState } from "react";
import { useSearchParams } from "react-router";

/**
 * The text of a page's search box, kept in the address as ?q= so that a reload or a shared link
 * keeps it. The box reads the component's own state: the address updates through the router,
 * a step behind, and a box fed from it would drop keys typed quickly.
 */
export function useSearchQuery() {
  const [searchParams, setSearchParams] = useSearchParams();
  const [query, setQuery] = useState(() => searchParams.get("q") ?? "");

  function changeQuery(q) {
    setQuery(q);
    setSearchParams(q ? { q } : {}, { replace: true, preventScrollReset: true });
  }

  return [query, changeQuery];
}
