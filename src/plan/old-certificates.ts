import type { Certificate } from "../model/certificate.js";
import type { NewCertificate } from "../certificate/target.js";

const norm = (s: string) => s.replace(/\s+/g, " ").trim().toLowerCase();
const nameSet = (names: readonly string[] | undefined) =>
  names === undefined ? undefined : [...new Set(names.map((n) => n.toLowerCase()))].sort().join(",");

/**
 * DESIGN.md's default for `--old`: every certificate in the store whose subject (and SAN set, where
 * both are known) equals the new one's and that expires earlier.
 */
export function defaultOldThumbprints(store: readonly Certificate[], newCert: NewCertificate): string[] {
  const self = store.find((c) => c.thumbprint === newCert.thumbprint);
  const subject = newCert.subject ?? self?.subject;
  if (subject === undefined) return [];
  const newNotAfter = newCert.notAfter ?? self?.notAfter;
  const newNames = nameSet(newCert.dnsNames ?? self?.dnsNames);
  return store
    .filter((c) => c.thumbprint !== newCert.thumbprint)
    .filter((c) => norm(c.subject) === norm(subject))
    .filter((c) => {
      const names = nameSet(c.dnsNames);
      return names === undefined || newNames === undefined || names === newNames;
    })
    .filter((c) => newNotAfter === undefined || c.notAfter === undefined || c.notAfter < newNotAfter)
    .map((c) => c.thumbprint);
}

/**
 * A certificate in the store with the new one's subject (and SANs) that expires LATER than it:
 * with the bindings already on --new, the sign that the operator passed the old certificate as --new.
 */
export function newerOfSameName(store: readonly Certificate[], newCert: NewCertificate): Certificate | undefined {
  const self = store.find((c) => c.thumbprint === newCert.thumbprint);
  const subject = newCert.subject ?? self?.subject;
  const notAfter = newCert.notAfter ?? self?.notAfter;
  if (subject === undefined || notAfter === undefined) return undefined;
  const names = nameSet(newCert.dnsNames ?? self?.dnsNames);
  return store
    .filter((c) => c.thumbprint !== newCert.thumbprint && norm(c.subject) === norm(subject))
    .filter((c) => names === undefined || nameSet(c.dnsNames) === undefined || nameSet(c.dnsNames) === names)
    .filter((c) => c.notAfter !== undefined && c.notAfter > notAfter)
    .sort((a, b) => (a.notAfter! < b.notAfter! ? 1 : -1))[0];
}
