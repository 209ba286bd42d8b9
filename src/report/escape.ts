import { visibleControls } from "./format.js";

/**
 * Escaping for HTML, SVG and XML text and attribute values. Control characters become visible
 * `\u001b` notation first (see visibleControls); what XML 1.0 still forbids after that (lone
 * surrogates, U+FFFE, U+FFFF) becomes U+FFFD.
 */
const XML_INVALID = /[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu;

function entities(text: string, quotes: boolean): string {
  const base = text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  return quotes ? base.replace(/"/g, "&quot;").replace(/'/g, "&#39;") : base;
}

/** One-line text or attribute value: newlines and tabs become spaces. */
export function escapeMarkup(value: string): string {
  return entities(visibleControls(value).replace(XML_INVALID, "\ufffd"), true);
}

/** Multi-line text (a <pre> block, an XML failure body): newlines and tabs kept, CR dropped. */
export function escapeMarkupBlock(value: string): string {
  return entities(visibleControls(value, true).replace(XML_INVALID, "\ufffd"), false);
}
