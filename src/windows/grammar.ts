/**
 * The strict grammar for every value certfleet puts on a remote command line. A value that does
 * not match is refused before anything is sent: cmd.exe and PowerShell each give meaning to
 * characters that http.sys never needs (`& | ^ % ! " ' ; $ ( ) { } ,` backtick, newlines), so the
 * safe set is the set http.sys itself accepts, minus everything a shell could read.
 */
import { CertfleetError } from "../model/errors.js";
import type { BindingKind } from "../model/binding.js";

const PORT = "(?:6553[0-5]|655[0-2]\\d|65[0-4]\\d{2}|6[0-4]\\d{3}|[1-5]\\d{4}|[1-9]\\d{0,3})";
const OCTET = "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
const IPV4 = `(?:${OCTET}\\.){3}${OCTET}`;
// Brackets, hex groups, `::` compression and an embedded IPv4 tail; no zone index (`%` is a cmd.exe metacharacter).
const IPV6 = "\\[[0-9A-Fa-f:.]{2,45}\\]";
const LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
const HOSTNAME = `(?:\\*\\.)?(?:${LABEL}\\.)*${LABEL}`;

export const PATTERNS = {
  port: new RegExp(`^${PORT}$`),
  ipport: new RegExp(`^(?:${IPV4}|${IPV6}):${PORT}$`),
  hostnameport: new RegExp(`^${HOSTNAME}:${PORT}$`),
  ccs: new RegExp(`^${PORT}$`),
  scopedccs: new RegExp(`^${HOSTNAME}:${PORT}$`),
  certhash: /^[0-9a-f]{40}$/,
  appid: /^\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}$/,
  storeName: /^[A-Za-z0-9_]{1,64}$/,
  ctlName: /^[A-Za-z0-9_.-]{1,128}$/,
  toggle: /^(?:enable|disable)$/,
  uint: /^(?:0|[1-9]\d{0,9})$/,
} as const;

export type ValueKind = keyof typeof PATTERNS;

// JSON.stringify escapes C0 controls only; DEL, C1 (U+009B is a terminal CSI) and bidi or invisible
// marks read from a hostile host would still reach a terminal or a report raw.
const UNPRINTABLE = /[\u007f-\u009f\u00ad\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2069\ufeff]/g;

/** A refused value for a message: quoted, cut to `max` characters, every unprintable character escaped. */
export function shown(value: string, max = 80): string {
  const quoted = JSON.stringify(value.slice(0, max)).replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  return value.length > max ? `${quoted}…` : quoted;
}

/** Like `shown`, unquoted: for messages whose format already marks the value. */
export function printable(value: string, max = 80): string {
  // eslint-disable-next-line no-control-regex
  const escaped = value.slice(0, max).replace(/[\u0000-\u001f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  return value.length > max ? `${escaped}…` : escaped;
}

/** Throws a precondition error naming the value and the rule when `value` is unsafe. */
export function requireValue(kind: ValueKind, value: string, host?: string): string {
  if (!PATTERNS[kind].test(value) || (kind === "uint" && Number(value) > 0xffffffff)) {
    throw new CertfleetError(
      "precondition",
      `refused to send ${kind} value ${shown(value)}: it does not match the strict pattern for ${kind}`,
      host,
    );
  }
  return value;
}

export function endpointPatternFor(kind: BindingKind): ValueKind {
  return kind;
}

/** Whether `value` is safe for `kind`, without throwing (for the planner's findings). */
export function isSafeValue(kind: ValueKind, value: string): boolean {
  return PATTERNS[kind].test(value) && !(kind === "uint" && Number(value) > 0xffffffff);
}
