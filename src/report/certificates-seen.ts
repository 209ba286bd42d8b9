import type { BindingKind } from "../model/binding.js";
import type { ReportBinding, ReportHost } from "./schema.js";
import type { ReportView } from "./view.js";
import { daysToExpiry } from "./format.js";

/** One certificate as seen across the fleet: which hosts hold it, which bindings use it. */
export interface CertificateSeen {
  thumbprint: string;
  /** null when no host's store showed it (a binding points at a certificate that is not in `My`). */
  subject: string | null;
  issuer?: string;
  notBefore?: string;
  notAfter?: string;
  /** whole days from the report's finishedAt to notAfter; null when unknown. */
  daysToExpiry: number | null;
  /** `new` / `old` when it is the report's target or one it replaces. */
  role?: "new" | "old";
  heldBy: string[];
  withoutPrivateKey: string[];
  privateKeyUnknown: string[];
  usedBy: Array<{ host: string; kind: BindingKind; endpoint: string }>;
  /** the other consumers that name it, as discover and verify read them (WinRM listener, RDP, WMSvc, owner-managed bindings) */
  consumers: Array<{ host: string; owner: string; name: string }>;
}

/**
 * Every certificate that a host's store or a binding mentions, with the bindings that use it
 * after the run (a rollout's moved bindings on the new certificate, put-back ones on the old), ordered by expiry (soonest first,
 * unknown last). Pure: the Markdown, HTML and text writers all read the same list.
 */
export function certificatesSeen(report: ReportView): CertificateSeen[] {
  const tally = certificateTally(report);
  for (const host of report.hosts) tally.add(host);
  return tally.seen();
}

/**
 * `certificatesSeen` host by host: a writer that goes through the hosts anyway for their sections
 * adds each one as it goes, and needs no pass of its own for the certificates that follow them.
 */
export function certificateTally(report: Pick<ReportView, "target" | "finishedAt">): { add(host: ReportHost): void; seen(): CertificateSeen[] } {
  const seen = new Map<string, CertificateSeen>();
  const entry = (thumbprint: string): CertificateSeen => {
    let e = seen.get(thumbprint);
    if (!e) {
      e = { thumbprint, subject: null, daysToExpiry: null, heldBy: [], withoutPrivateKey: [], privateKeyUnknown: [], usedBy: [], consumers: [] };
      const role = roleOf(report, thumbprint);
      if (role) e.role = role;
      seen.set(thumbprint, e);
    }
    return e;
  };

  const add = (host: ReportHost): void => {
    for (const cert of host.certificates ?? []) {
      const e = entry(cert.thumbprint);
      if (e.subject === null) e.subject = cert.subject;
      if (e.issuer === undefined && cert.issuer !== undefined) e.issuer = cert.issuer;
      if (e.notBefore === undefined && cert.notBefore !== undefined) e.notBefore = cert.notBefore;
      if (e.notAfter === undefined && cert.notAfter !== undefined) e.notAfter = cert.notAfter;
      addOnce(e.heldBy, host.name);
      if (cert.hasPrivateKey === false) addOnce(e.withoutPrivateKey, host.name);
      if (cert.hasPrivateKey === "unknown") addOnce(e.privateKeyUnknown, host.name);
    }
    for (const b of host.bindings) {
      // a certificate a binding used before the run stays listed, bound or not
      if (b.certHash !== null) entry(b.certHash);
      const bound = boundAfterRun(b);
      if (bound === null) continue;
      entry(bound).usedBy.push({ host: host.name, kind: b.kind, endpoint: b.endpoint });
    }
    // What a consumer names as read (rows a step wrote carry an action and the value before it).
    for (const c of host.consumers ?? []) {
      if (c.certHash === null || c.action !== undefined || c.source === "key") continue;
      entry(c.certHash).consumers.push({ host: host.name, owner: c.owner, name: c.name });
    }
  };
  return {
    add,
    seen() {
      for (const e of seen.values()) e.daysToExpiry = daysToExpiry(e.notAfter, report.finishedAt);
      return [...seen.values()].sort(byExpiry);
    },
  };
}

/**
 * The certificate a binding uses once the run is over. A binding's own fields are what discovery
 * read before the run; `after` is what the host showed when certfleet read the binding back after
 * changing it (moved, put back, or left half-done). A binding never touched is as discovery read it.
 */
export function boundAfterRun(b: Pick<ReportBinding, "certHash" | "after">): string | null {
  return b.after !== undefined ? b.after.certHash : b.certHash;
}

function roleOf(report: Pick<ReportView, "target">, thumbprint: string): "new" | "old" | undefined {
  if (!report.target) return undefined;
  if (report.target.newThumbprint === thumbprint) return "new";
  return report.target.oldThumbprints.includes(thumbprint) ? "old" : undefined;
}

function addOnce(list: string[], value: string): void {
  if (!list.includes(value)) list.push(value);
}

function byExpiry(a: CertificateSeen, b: CertificateSeen): number {
  const ta = a.notAfter === undefined ? Number.NaN : Date.parse(a.notAfter);
  const tb = b.notAfter === undefined ? Number.NaN : Date.parse(b.notAfter);
  const ka = Number.isNaN(ta) ? Number.POSITIVE_INFINITY : ta;
  const kb = Number.isNaN(tb) ? Number.POSITIVE_INFINITY : tb;
  if (ka !== kb) return ka < kb ? -1 : 1;
  return a.thumbprint < b.thumbprint ? -1 : a.thumbprint > b.thumbprint ? 1 : 0;
}
