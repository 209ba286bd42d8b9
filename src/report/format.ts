/**
 * Small pure formatters shared by the report writers. Times are printed in UTC so a report reads
 * the same wherever it is opened; expiry is counted from the report's finishedAt, never from the
 * wall clock, so re-rendering an old report gives the same text.
 */

const DAY_MS = 86_400_000;

/** First 8 hex digits: enough to tell certificates apart in a table, the full value is printed elsewhere. */
export function shortHash(thumbprint: string): string {
  return thumbprint.slice(0, 8);
}

/** `2026-03-20 14:07:42 UTC`, or the text itself when it is not a date. */
export function formatTime(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  return `${new Date(ms).toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** `2026-04-15`, or the text itself when it is not a date. */
export function formatDate(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : new Date(ms).toISOString().slice(0, 10);
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const totalSeconds = Math.round(ms / 1000);
  const minutes = Math.floor(totalSeconds / 60);
  const seconds = totalSeconds % 60;
  if (minutes < 60) return `${minutes} min ${seconds} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** Whole days from `reference` to `notAfter` (negative once expired); null when either is not a date. */
export function daysToExpiry(notAfter: string | undefined, reference: string): number | null {
  if (notAfter === undefined) return null;
  const end = Date.parse(notAfter);
  const ref = Date.parse(reference);
  if (Number.isNaN(end) || Number.isNaN(ref)) return null;
  return Math.floor((end - ref) / DAY_MS);
}

/** `in 26 days`, `expires today`, `expired 110 days ago`, `expiry unknown`. */
export function describeDays(days: number | null): string {
  if (days === null) return "expiry unknown";
  if (days === 0) return "expires today";
  if (days > 0) return `in ${days} day${days === 1 ? "" : "s"}`;
  return `expired ${-days} day${days === -1 ? "" : "s"} ago`;
}

/** How urgent an expiry is; the HTML colours and the text markers follow it. */
export type ExpiryLevel = "expired" | "critical" | "warning" | "fine" | "unknown";

export function expiryLevel(days: number | null): ExpiryLevel {
  if (days === null) return "unknown";
  if (days < 0) return "expired";
  if (days < 30) return "critical";
  if (days < 90) return "warning";
  return "fine";
}

/**
 * Control characters a host printed (ANSI escapes, NULs, a stray bell) shown as visible `\u001b`
 * notation: they would corrupt a terminal, a Markdown table or an XML file, and the operator
 * still sees that they were there. Newlines and tabs are kept when `keepLines` is set.
 */
export function visibleControls(text: string, keepLines = false): string {
  const re = keepLines ? /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g : /[\u0000-\u001f\u007f-\u009f]/g;
  return text.replace(re, (c) => {
    if (!keepLines && (c === "\n" || c === "\t")) return " ";
    if (keepLines && c === "\r") return "";
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
  });
}

/** "once the hosts are fixed" -> "Once the hosts are fixed": for a text that opens a line. */
export function sentence(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
