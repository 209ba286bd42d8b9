import { visibleControls } from "../report/format.js";
import type { Report } from "../report/schema.js";
import { nextCommands, remedyFor } from "../remedy/remedy.js";

export interface SummaryOptions {
  /** print each host's commands (plan, dry run) */
  commands?: boolean;
  /** this run's journal: the next commands name it */
  journal?: string;
  /** `--new` / `--expect` as given, for the next commands */
  certificate?: string;
  /** false: no "then, for the failed hosts" block (the confirmation preview) */
  next?: boolean;
}

/** The stdout summary of plan, rollout, verify and rollback: one line a host, then what needs a person. */
export function renderRunSummary(report: Report, options: SummaryOptions = {}): string {
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
    lines.push(`  ${h.name.padEnd(width)}  ${h.status.padEnd(15)}  ${detail}`);
    if (h.error && (h.status === "failed" || h.status === "needs-attention")) {
      const r = remedyFor(h.error);
      lines.push(`  ${" ".repeat(width)}  why: ${r.cause}`);
      if (r.fix) lines.push(`  ${" ".repeat(width)}  fix: ${r.fix}`);
    }
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
  lines.push(...nextLines(report, options));
  return `${lines.join("\n")}\n`;
}

/** For a summary printed elsewhere (discover): each failed host's cause and fix, then what to run. */
export function renderRemedies(report: Report, options: SummaryOptions = {}): string {
  const lines: string[] = [];
  const width = Math.max(0, ...report.hosts.map((h) => h.name.length));
  for (const h of report.hosts) {
    if (!h.error || (h.status !== "failed" && h.status !== "needs-attention")) continue;
    const r = remedyFor(h.error);
    lines.push(`  ${h.name.padEnd(width)}  why: ${r.cause}`);
    if (r.fix) lines.push(`  ${" ".repeat(width)}  fix: ${r.fix}`);
  }
  lines.push(...nextLines(report, options));
  return lines.length > 0 ? `${lines.join("\n")}\n` : "";
}

function nextLines(report: Report, options: SummaryOptions): string[] {
  const lines: string[] = [];
  if (options.next === false) return lines;
  const failed = report.hosts.filter((h) => h.status === "failed" || h.status === "needs-attention").map((h) => h.name);
  const next = nextCommands({
    command: report.command,
    failedHosts: failed,
    ...(options.journal ? { journal: options.journal } : {}),
    certificate: options.certificate ?? report.target?.newThumbprint ?? "<certificate>",
  });
  if (next.length > 0) {
    lines.push(`then, for the ${failed.length} failed host(s):`);
    for (const c of next) lines.push(`  ${c}`);
  }
  return lines;
}
