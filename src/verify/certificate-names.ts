/**
 * Certificates named for people: "b39d46e3... (old certificate, *.example.com, expires
 * 2026-12-05)" rather than a wall of 40-hex pairs. Pure.
 */
import type { Certificate } from "../model/certificate.js";

export interface CertificateLabels {
  /** thumbprint -> "old certificate, *.example.com, expires 2026-12-05" */
  readonly labels: ReadonlyMap<string, string>;
}

const cn = (subject: string | undefined) => subject?.match(/(?:^|,\s*)CN=([^,]+)/i)?.[1]?.trim() ?? subject;
const day = (iso: string | undefined) => (iso ? iso.slice(0, 10) : undefined);

export function certificateLabels(
  store: readonly Pick<Certificate, "thumbprint" | "subject" | "notAfter">[],
  roles: { expected: string; expectedSubject?: string; expectedNotAfter?: string; old: ReadonlySet<string> },
): CertificateLabels {
  const labels = new Map<string, string>();
  const describe = (role: string | undefined, subject: string | undefined, notAfter: string | undefined) =>
    [role, cn(subject), notAfter ? `expires ${day(notAfter)}` : undefined].filter(Boolean).join(", ");
  for (const c of store) {
    const role = c.thumbprint === roles.expected ? "the expected certificate" : roles.old.has(c.thumbprint) ? "old certificate" : undefined;
    labels.set(c.thumbprint, describe(role, c.subject, c.notAfter));
  }
  if (!labels.has(roles.expected)) labels.set(roles.expected, describe("the expected certificate", roles.expectedSubject, roles.expectedNotAfter));
  return { labels };
}

/** Every known thumbprint in `text` followed by its name, once per occurrence. */
export function nameCertificates(text: string, names: CertificateLabels): string {
  return text.replace(/\b[0-9a-f]{40}\b/gi, (t) => {
    const label = names.labels.get(t.toLowerCase());
    return label ? `${t} (${label})` : t;
  });
}
