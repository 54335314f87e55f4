import { useLoaderData } from "react-router";
import { useDocumentTitle } from "../lib/useDocumentTitle.js";

/** Paragraphs of plain text: a blank line (or more) between them. */
function paragraphs(text) {
  return (text ?? "")
    .split(/\n\s*\n/)
    .map((paragraph) => paragraph.trim())
    .filter(Boolean);
}

/**
 * The privacy notice staff write in the admin (or the standard one). It is plain text, rendered
 * as text: nothing staff type can become markup on the page.
 */
export function PrivacyPage() {
  useDocumentTitle("Privacy");
  /** @type {Awaited<ReturnType<typeof import("../loaders.js").privacyLoader>>} */
  const { text } = useLoaderData();
  return (
    <div className="privacy-notice">
      <h1>Privacy notice</h1>
      {paragraphs(text).map((paragraph, index) => (
        <p key={index}>{paragraph}</p>
      ))}
    </div>
  );
}
