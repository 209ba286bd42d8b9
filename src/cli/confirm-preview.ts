/**
 * What the operator reads right before answering y: what will change (grouped), which hosts are
 * already known to fail and why, and what the failure budget will do with them. Pure.
 */
import { visibleControls } from "../report/format.js";
import type { NewCertificate } from "../certificate/target.js";
import type { Report } from "../report/schema.js";
import { renderChangeGroups } from "./plan-groups.js";
import { remedyLines } from "./run-summary.js";
import { wrapLines } from "./text-wrap.js";
import { leftToOwners } from "../report/follow-up.js";

export interface PreviewFacts {
  waves: readonly (readonly string[])[];
  concurrency: number;
  maxFailures: number;
  newCert: NewCertificate;
}

export function renderConfirmationPreview(report: Report, facts: PreviewFacts): string {
  const lines: string[] = [];
  const blocked = report.hosts.filter((h) => h.status === "failed" || h.status === "needs-attention");
  const ready = report.hosts.filter((h) => h.status === "ok");
  const unchanged = report.hosts.filter((h) => h.status === "unchanged");
  const waves = facts.waves.filter((w) => w.length > 0);
  const sizes = waves.map((w, i) => (i === 0 ? `canary ${w.length}` : String(w.length)));
  lines.push(`rollout: ${report.hosts.length} host(s) in ${waves.length} wave(s) (${sizes.join(", ")}), ${facts.concurrency} at a time`);
  const c = facts.newCert;
  lines.push(`new certificate ${c.thumbprint}`);
  const subject = c.subject ?? report.target?.subject;
  if (subject) lines.push(`  ${visibleControls(subject)}${c.notAfter ? `, expires ${c.notAfter.slice(0, 10)}` : ""}`);
  lines.push(`${ready.length} host(s) ready:`, ...renderChangeGroups(report));
  if (unchanged.length > 0) lines.push(`${unchanged.length} host(s) with nothing to change`);
  // Bindings left to their owner (AD FS, WAP, SSTP, Exchange) keep the old certificate: say so now.
  const owned = report.hosts.filter((h) => leftToOwners(h).owners.length > 0);
  if (owned.length > 0) {
    const owners = [...new Set(owned.flatMap((h) => leftToOwners(h).owners))].join(", ");
    lines.push(
      ...wrapLines(
        "",
        `${owned.length} host(s) with bindings left to their owner (${owners}): ${owned.map((h) => h.name).slice(0, 10).join(", ")}${owned.length > 10 ? ", ..." : ""}; they keep the old certificate until the owner's commands run (listed after the rollout; --rebind-owner-managed rebinds them by netsh instead)`,
      ),
    );
  }
  // The planner's notes ("certutil did not say whether ... has a private key") predict failures:
  // restate them here, not only in the report files.
  const predicts = (w: string) => w.startsWith("note: ") && /private key|1312|store/i.test(w);
  const noted = ready.filter((h) => h.warnings?.some(predicts));
  if (noted.length > 0) {
    lines.push(`${noted.length} of them with a warning (they may fail):`);
    const width = Math.min(16, Math.max(...noted.map((h) => h.name.length)));
    for (const h of noted.slice(0, 5)) lines.push(...wrapLines(`  ${h.name.padEnd(width)}  `, visibleControls(h.warnings!.find(predicts)!.slice(6))));
    if (noted.length > 5) lines.push(`  ... and ${noted.length - 5} more (see certfleet plan)`);
  }
  if (blocked.length > 0) {
    lines.push(`${blocked.length} host(s) BLOCKED: they will fail and count against the failure budget:`);
    const width = Math.min(16, Math.max(...blocked.map((h) => h.name.length)));
    for (const h of blocked.slice(0, 10)) {
      lines.push(`  ${h.name.padEnd(width)}  ${h.error ? `${h.error.kind}: ${visibleControls(h.error.message)}` : h.status}`.slice(0, 79));
      if (h.error) lines.push(...remedyLines(h, width));
    }
    if (blocked.length > 10) lines.push(`  ... and ${blocked.length - 10} more (see the plan report)`);
  }
  const budget = `failure budget: ${facts.maxFailures} failed host(s) (--max-failures)`;
  if (blocked.length > facts.maxFailures) {
    lines.push(
      ...wrapLines("", `${budget}: the ${blocked.length} blocked host(s) exceed it, so the rollout will HALT once they fail.`),
      ...wrapLines("  ", `Leave them out with -l '*,${blocked.map((h) => `!${h.name}`).join(",")}', or raise --max-failures.`),
    );
  } else {
    lines.push(...wrapLines("", blocked.length > 0 ? `${budget}; ${facts.maxFailures - blocked.length} left once the blocked host(s) have failed` : `${budget}`));
  }
  return `${lines.join("\n")}\n`;
}
