import { visibleControls } from "../report/format.js";
import type { ReportHost } from "../report/schema.js";
import type { ReportView } from "../report/view.js";
import { nextCommands, remedyFor } from "../remedy/remedy.js";
import { renderChangeGroups } from "./plan-groups.js";
import { wrapLines } from "./text-wrap.js";
import { leftToOwners } from "../report/follow-up.js";

export interface SummaryOptions {
  /** print each host's exact commands (plan -v, rollout --dry-run) */
  commands?: boolean;
  /** this run's journal: the next commands name it */
  journal?: string;
  /** `--new` / `--expect` as given, for the next commands */
  certificate?: string;
  /** false: no "then, for the failed hosts" block (the confirmation preview) */
  next?: boolean;
}

/** Above this many hosts, hosts that went as planned are listed by name only. */
const COMPACT_ABOVE = 20;

/** The stdout summary of plan, rollout, verify and rollback: one line a host, then what needs a person. */
export function renderRunSummary(report: ReportView, options: SummaryOptions = {}): string {
  const lines: string[] = [];
  const s = report.summary;
  // only the counts that are not zero: the line fits 80 columns
  const counts = ([[s.ok, "ok"], [s.changed, "changed"], [s.unchanged, "unchanged"], [s.failed, "failed"], [s.halted, "halted"], [s.needsAttention, "need attention"]] as const)
    .filter(([n]) => n > 0)
    .map(([n, what]) => `${n} ${what}`);
  lines.push(`certfleet ${report.command}${report.dryRun ? " (dry run: nothing changed)" : ""}: ${s.hosts} hosts: ${counts.join(", ") || "none"}`);
  if (report.target) {
    lines.push(`${report.command === "verify" ? "expected" : "new"} certificate ${report.target.newThumbprint}`);
    if (report.target.subject) lines.push(`  ${visibleControls(report.target.subject)}`);
  }
  const planning = report.command === "plan" || report.dryRun === true;
  if (planning) lines.push("changes:", ...renderChangeGroups(report));
  // A big fleet: hosts that went as planned by name only, a line each for the rest (and for any
  // host whose commands were asked for).
  const compact = report.hosts.length > COMPACT_ABOVE && options.commands !== true;
  // A binding left to its owner (AD FS, WAP, SSTP, Exchange) needs a person even on a host that went well.
  const quiet = (h: ReportHost) =>
    compact && !h.error && !h.bindings.some((b) => b.manualCommand) && h.status !== "needs-attention" && leftToOwners(h).commands.length === 0;
  const { width, failed, quietNames } = namesOf(report.hosts, quiet);
  if (compact) {
    for (const status of ["changed", "ok", "unchanged", "halted"] as const) {
      const names = quietNames.get(status) ?? [];
      if (names.length > 0) lines.push(...wrapLines(`  ${status} (${names.length}): `, names.join(", ")));
    }
  }
  for (const h of report.hosts) {
    if (quiet(h)) continue;
    const rebind = h.bindings.filter((b) => b.action === "rebind").length;
    const detail = h.error
      ? `${h.error.kind}: ${visibleControls(h.error.message)}${h.error.remote ? ` [${visibleControls(h.error.remote.split("\n").find((l) => l.trim()) ?? "")}]` : ""}`
      : report.command === "verify"
        ? `${h.bindings.filter((b) => b.verify?.ok && !b.verify.skipped).length} endpoint(s) verified`
        : report.command === "rollback"
          ? `${h.bindings.filter((b) => b.action === "restored").length} binding(s) restored, ${h.bindings.filter((b) => b.action === "none").length} already as they were${consumersRestored(h)}`
        : `${rebind} binding(s) ${report.dryRun || report.command === "plan" ? "to rebind" : "rebound"}`;
    // What a flaky network cost this host (only when it dropped and certfleet carried on).
    const network = h.network ? ` (network: ${h.network.reconnects} reconnection(s), ${h.network.retries} read(s) sent again, ${(h.network.lostMs / 1000).toFixed(1)} s lost)` : "";
    lines.push(...wrapLines(`  ${h.name.padEnd(width)}  ${h.status.padEnd(15)}  `, `${detail}${network}`));
    if (h.error && (h.status === "failed" || h.status === "needs-attention")) {
      lines.push(...remedyLines(h, width));
    }
    if (h.commands && options.commands === true && planning) {
      for (const c of h.commands) lines.push(`      ${c}`);
    }
    const left = leftToOwners(h);
    if (left.commands.length > 0) {
      lines.push(...wrapLines("      ", `needs attention: left to its owner (${left.owners.join(", ")}); run on every node of its farm:`));
      for (const c of left.commands) for (const line of c.split("\n")) lines.push(`        ${line}`);
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
  lines.push(...nextLines(report, failed, options));
  return `${lines.join("\n")}\n`;
}

/**
 * What the summary needs of every host before its first host line, in one pass over them (the
 * hosts may be read from the results file on each pass): the widest name, the failed and
 * needs-attention hosts (the next commands name them), and the quiet hosts' names by status.
 */
function namesOf(hosts: Iterable<ReportHost>, quiet: (h: ReportHost) => boolean): { width: number; failed: string[]; quietNames: Map<ReportHost["status"], string[]> } {
  let width = 0;
  const failed: string[] = [];
  const quietNames = new Map<ReportHost["status"], string[]>();
  for (const h of hosts) {
    width = Math.max(width, h.name.length);
    if (h.status === "failed" || h.status === "needs-attention") failed.push(h.name);
    if (!quiet(h)) continue;
    const names = quietNames.get(h.status);
    if (names) names.push(h.name);
    else quietNames.set(h.status, [h.name]);
  }
  return { width, failed, quietNames };
}

/** For a summary printed elsewhere (discover): each failed host's cause and fix, then what to run. */
export function renderRemedies(report: ReportView, options: SummaryOptions = {}): string {
  const lines: string[] = [];
  const { width, failed } = namesOf(report.hosts, () => false);
  for (const h of report.hosts) {
    if (!h.error || (h.status !== "failed" && h.status !== "needs-attention")) continue;
    lines.push(...remedyLines(h, width, h.name));
  }
  lines.push(...nextLines(report, failed, options));
  return lines.length > 0 ? `${lines.join("\n")}\n` : "";
}

/**
 * why: and fix: under a failed host, wrapped for an 80-column terminal: the report's remedy (the
 * one every report file shows), else one worked out from the error and the host's transport.
 */
export function remedyLines(h: Pick<ReportHost, "error" | "remedy" | "transport">, width: number, name = ""): string[] {
  const r = h.remedy ?? (h.error ? remedyFor({ ...h.error, ...(h.transport ? { transport: h.transport } : {}) }) : undefined);
  if (!r) return [];
  const lines = wrapLines(`  ${name.padEnd(width)}  why: `, r.cause);
  if (r.fix) lines.push(...wrapLines(`  ${" ".repeat(width)}  fix: `, r.fix));
  return lines;
}

function nextLines(report: ReportView, failed: string[], options: SummaryOptions): string[] {
  const lines: string[] = [];
  if (options.next === false) return lines;
  const next = nextCommands({
    command: report.command,
    failedHosts: failed,
    ...(options.journal ? { journal: options.journal } : {}),
    certificate: options.certificate ?? report.target?.newThumbprint ?? "<certificate>",
  });
  for (const step of next) lines.push(`${step.when}:`, `  ${step.run}`);
  return lines;
}

/** A rollback's consumer settings put back on a host (WinRM listener, RDP, WMSvc, key grants), when any. */
function consumersRestored(h: ReportHost): string {
  const n = (h.consumers ?? []).filter((c) => c.action === "restored").length;
  return n > 0 ? `, ${n} consumer setting(s) restored` : "";
}
