import { z } from "zod";

/**
 * A SHA-1 certificate thumbprint as certfleet stores and prints it: 40 lowercase hex digits.
 * Users paste thumbprints from the Windows certificate dialog (spaces, U+200E marks), from
 * PowerShell (upper case) or from OpenSSL (colons); normalizeThumbprint accepts all of them.
 */
export const THUMBPRINT_RE = /^[0-9a-f]{40}$/;

export const Thumbprint = z.string().regex(THUMBPRINT_RE, "a thumbprint is 40 hex digits");
export type Thumbprint = z.infer<typeof Thumbprint>;

// Invisible marks that the Windows certificate dialog and rich-text copies carry along.
const INVISIBLE = /[\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff\u00a0\u200b]/g;

/** Returns the 40-digit lowercase form, or null when the text is not a SHA-1 thumbprint. */
export function normalizeThumbprint(text: string): Thumbprint | null {
  const compact = text.replace(INVISIBLE, "").replace(/[\s:]/g, "").toLowerCase();
  return THUMBPRINT_RE.test(compact) ? compact : null;
}
