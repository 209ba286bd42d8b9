import { visibleControls } from "../report/format.js";
import type { Report } from "../report/schema.js";

/** The stdout summary of plan, rollout, verify and rollback: one line a host, then what needs a person. */
export function renderRunSummary(report: Report, options: { commands?: boolean } = {}): string {
  const lines: string[] = [];
  const s = report.summary;
  lines.push(
    `certfleet ${report.command}${report.dryRun ? " (dry run: nothing changed)" : ""}: ${s.hosts} hosts: ${s.ok} ok, ${s.changed} changed, ${s.unchanged} unchanged, ${s.failed} failed, ${s.halted} halted, ${s.needsAttention} need attention`,
  );
  if (report.target) lines.push(`new certificate ${report.target.newThumbprint}${report.target.subject ? ` (${visibleControls(report.target.subject)})` : ""}`);
  const width = Math.max(0, ...report.hosts.map((h) => h.name.length));
  for (const h of report.hosts) {
    const rebind = h.bindings.filter((b) => b.action === "rebind").length;
    const detail = h.error
      ? `${h.error.kind}: ${visibleControls(h.error.message)}${h.error.remote ? ` [${visibleControls(h.error.remote.split("\n").find((l) => l.trim()) ?? "")}]` : ""}`
      : report.command === "verify"
        ? `${h.bindings.filter((b) => b.verify?.ok && !b.verify.skipped).length} endpoint(s) verified`
        : report.command === "rollback"
          ? `${h.bindings.filter((b) => b.action === "restored").length} binding(s) restored, ${h.bindings.filter((b) => b.action === "none").length} already as they were`
        : `${rebind} binding(s) ${report.dryRun || report.command === "plan" ? "to rebind" : "rebound"}`;
    // What a flaky network cost this host (only when it dropped and certfleet carried on).
    const network = h.network ? ` (network: ${h.network.reconnects} reconnection(s), ${h.network.retries} read(s) sent again, ${(h.network.lostMs / 1000).toFixed(1)} s lost)` : "";
    lines.push(`  ${h.name.padEnd(width)}  ${h.status.padEnd(15)}  ${detail}${network}`);
    if (h.commands && options.commands !== false && (report.dryRun || report.command === "plan")) {
      for (const c of h.commands) lines.push(`      ${c}`);
    }
    for (const b of h.bindings) {
      if (b.manualCommand) {
        lines.push(`      ${b.endpoint}: restore by hand (elevated cmd.exe):`);
        for (const c of b.manualCommand.split("\n")) lines.push(`        ${c}`);
      }
    }
  }
  if (report.skippedHosts?.length) {
    const shown = report.skippedHosts.slice(0, 10).map((n) => visibleControls(n)).join(", ");
    lines.push(`skipped (not selected by -l; not touched): ${report.skippedHosts.length} host(s): ${shown}${report.skippedHosts.length > 10 ? ", ..." : ""}`);
  }
  return `${lines.join("\n")}\n`;
}
