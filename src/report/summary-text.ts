import { groupBy } from "../lib/group-by.js";
import { ErrorKind } from "../model/errors.js";
import { certificatesSeen } from "./certificates-seen.js";
import { describeDays, formatDate, formatTime, visibleControls } from "./format.js";
import { filter, map } from "../lib/iterables.js";
import type { ReportHost } from "./schema.js";
import type { ReportView } from "./view.js";

/**
 * What `certfleet discover` prints on stdout: certificates soonest-expiry first, each with the
 * bindings that use it, then failures grouped by error kind. Plain text without colours (the CLI
 * adds them); every value from a host passes through `clean()` so a hostile subject cannot move
 * the cursor or inject terminal escapes.
 */
export function renderDiscoverSummary(report: ReportView): string {
  const lines: string[] = [];
  const s = report.summary;
  const counts = [
    `${s.hosts} host${s.hosts === 1 ? "" : "s"}`,
    s.ok ? `${s.ok} ok` : "",
    s.changed ? `${s.changed} changed` : "",
    s.unchanged ? `${s.unchanged} unchanged` : "",
    s.failed ? `${s.failed} failed` : "",
    s.halted ? `${s.halted} halted` : "",
    s.needsAttention ? `${s.needsAttention} need attention` : "",
  ].filter(Boolean);
  lines.push(`certfleet ${report.command}: ${counts.join(", ")} (finished ${formatTime(report.finishedAt)})`);

  const certs = certificatesSeen(report);
  lines.push("", certs.length ? `Certificates (${certs.length}), soonest expiry first:` : "No certificates found.");
  const daysWidth = Math.max(0, ...certs.map((c) => describeDays(c.daysToExpiry).length));
  for (const c of certs) {
    const date = c.notAfter ? formatDate(c.notAfter) : "";
    const subject = c.subject === null ? "(not in any store)" : clean(c.subject);
    const role = c.role ? ` [${c.role}]` : "";
    lines.push(`  ${describeDays(c.daysToExpiry).padEnd(daysWidth)}  ${date.padEnd(10)}  ${c.thumbprint}  ${subject}${role}`);

    const indent = " ".repeat(4);
    const byHost = groupBy(c.usedBy, (u) => u.host);
    const hostWidth = Math.max(0, ...[...byHost.keys()].map((h) => clean(h).length));
    for (const [host, uses] of byHost) {
      lines.push(`${indent}${clean(host).padEnd(hostWidth)}  ${uses.map((u) => `${u.kind} ${clean(u.endpoint)}`).join(", ")}`);
    }
    if (byHost.size === 0) lines.push(`${indent}not bound; in the store of ${c.heldBy.map(clean).join(", ") || "no host"}`);
    if (c.withoutPrivateKey.length) lines.push(`${indent}no private key on: ${c.withoutPrivateKey.map(clean).join(", ")}`);
    if (c.privateKeyUnknown.length) lines.push(`${indent}private key not shown on: ${c.privateKeyUnknown.map(clean).join(", ")}`);
  }

  // what the lines need of each failing host, not its whole row
  const failing = [...map(filter(report.hosts, (h) => h.error !== undefined || h.status === "failed" || h.status === "needs-attention"), ({ name, status, error }): Failing => ({ name, status, ...(error ? { error } : {}) }))];
  if (failing.length > 0) {
    lines.push("", `Failures (${failing.length}):`);
    const groups = groupBy(failing, (h): string => h.error?.kind ?? "other");
    const order = [...ErrorKind.options, "other"];
    const kindWidth = Math.max(0, ...[...groups.keys()].map((k) => k.length));
    const hostWidth = Math.max(0, ...failing.map((h) => clean(h.name).length));
    for (const kind of order) {
      const hosts = groups.get(kind);
      if (!hosts) continue;
      hosts.forEach((h, i) => {
        const label = (i === 0 ? kind : "").padEnd(kindWidth);
        lines.push(`  ${label}  ${clean(h.name).padEnd(hostWidth)}  ${failureText(h)}`);
      });
    }
  }
  return `${lines.join("\n")}\n`;
}

type Failing = Pick<ReportHost, "name" | "status" | "error">;

function failureText(h: Failing): string {
  if (!h.error) return `ended ${h.status}`;
  const remote = h.error.remote ? ` (${clean(firstLine(h.error.remote))})` : "";
  return `${clean(h.error.message)}${remote}`;
}

function firstLine(text: string): string {
  return text.split(/\r?\n/).find((l) => l.trim() !== "")?.trim() ?? "";
}

function clean(value: string): string {
  return visibleControls(value);
}
