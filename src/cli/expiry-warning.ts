/**
 * `verify --expect` a certificate that is about to expire (or has): every endpoint may match and
 * the night still be lost. Said loudly, with which certificate and when. Pure.
 */
import type { ReportView } from "../report/view.js";

export const EXPIRY_WARNING_DAYS = 30;
const DAY = 86_400_000;

export function expiryWarning(thumbprint: string, notAfter: string | undefined, now: Date, subject?: string): string | undefined {
  if (!notAfter) return undefined;
  const left = Date.parse(notAfter) - now.getTime();
  if (Number.isNaN(left) || left > EXPIRY_WARNING_DAYS * DAY) return undefined;
  const name = `${thumbprint}${subject ? ` (${subject})` : ""}`;
  const when = left <= 0 ? `EXPIRED on ${notAfter.slice(0, 10)}` : `expires in ${Math.ceil(left / DAY)} day(s), on ${notAfter.slice(0, 10)}`;
  return `WARNING: the expected certificate ${name} ${when}: is it the old one? The renewal is the certificate with the later expiry.`;
}

/** The expected certificate's expiry as the hosts' stores report it (a thumbprint gives none). */
export function expiryFromReport(report: ReportView, thumbprint: string): { notAfter?: string; subject?: string } {
  for (const h of report.hosts) for (const c of h.certificates ?? []) if (c.thumbprint === thumbprint && c.notAfter) return { notAfter: c.notAfter, subject: c.subject };
  return {};
}
