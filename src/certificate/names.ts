/**
 * Which DNS names a certificate answers for, and whether one of them covers a host name
 * (RFC 6125): shared by the planner (SNI coverage before a change), the TLS proof (the served
 * certificate) and the reading of certificate files.
 */
import type { X509Certificate } from "node:crypto";

/** The DNS names of an X.509 certificate's subjectAltName, as node:crypto prints them. */
export function sanDnsNames(x509: X509Certificate): string[] {
  return (x509.subjectAltName ?? "")
    .split(/,\s*/)
    .filter((s) => s.startsWith("DNS:"))
    .map((s) => s.slice(4));
}

/** DNS names a certificate answers for: its SANs, else the CN of its subject. */
export function namesOf(subject: string | undefined, dnsNames: readonly string[] | undefined): string[] {
  if (dnsNames && dnsNames.length > 0) return [...dnsNames];
  const cn = subject?.match(/(?:^|,\s*)CN=([^,]+)/i)?.[1]?.trim();
  return cn ? [cn] : [];
}

/** RFC 6125 matching: a wildcard covers exactly one left-most label. */
export function nameCovers(pattern: string, hostname: string): boolean {
  const p = pattern.toLowerCase().replace(/\.$/, "");
  const h = hostname.toLowerCase().replace(/\.$/, "");
  if (!p.startsWith("*.")) return p === h;
  const rest = p.slice(2);
  const dot = h.indexOf(".");
  return dot > 0 && h.slice(dot + 1) === rest;
}
