import { existsSync } from "node:fs";
import { basename, isAbsolute, join, relative, resolve, sep } from "node:path";
import type { ResolvedHost } from "../inventory/schema.js";
import type { RunOutcome } from "../host/outcome.js";
import { InputError } from "../model/errors.js";
import { openResultsFile, type HostResultSink } from "../runs/results-file.js";
import type { Report } from "../report/schema.js";
import { defaultOutDir, writeReports } from "../report/write.js";

export function outDirFor(out: string | undefined, command: string, now: Date): string {
  return resolve(out ?? defaultOutDir(command, now));
}

/** The report with each host's transport named, from the inventory (pure). */
export function withTransports(report: Report, hosts: readonly Pick<ResolvedHost, "name" | "transport">[]): Report {
  const by = new Map(hosts.map((h) => [h.name, h.transport ?? "ssh"] as const));
  return { ...report, hosts: report.hosts.map((h) => (by.has(h.name) ? { ...h, transport: by.get(h.name)! } : h)) };
}

/**
 * The report folder for this run, checked before any host is contacted: a folder that already
 * holds a report is refused, so an earlier run's evidence is never overwritten in silence.
 */
export function claimOutDir(out: string | undefined, command: string, now: Date): string {
  const dir = outDirFor(out, command, now);
  if (existsSync(join(dir, "report.json"))) {
    throw new InputError(`--out ${dir} already holds a report from an earlier run: choose another folder, or remove that one first`, dir, "--out");
  }
  return dir;
}

export async function publish(report: Report, dir: string, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<void> {
  const { files } = await writeReports(dir, report);
  // The folder once, then the file names: the line fits a terminal whatever the folder's length.
  log(`reports: ${shownPath(dir)}${sep}`);
  log(`  ${files.map((f) => basename(f)).join("  ")}`);
}

/** DESIGN.md's exit codes: 0 all fine, 1 a host failed or a verification mismatched, 3 halted by the budget. */
export function exitCodeFor(report: Report, halted = false): number {
  if (halted) return 3;
  return report.hosts.some((h) => h.status === "failed" || h.status === "needs-attention") ? 1 : 0;
}

/** A path as the operator would type it from here: relative below the working folder. */
export function shownPath(path: string, cwd = process.cwd()): string {
  const r = relative(cwd, path);
  return r !== "" && !r.startsWith("..") && !isAbsolute(r) ? r : path;
}

/**
 * Runs a fleet command whose hosts' outcomes stream to `results.ndjson` in `dir` as they finish
 * (the run keeps none), then reads them back, in inventory order, for the reports.
 */
export async function withResultsFile<T>(dir: string, names: readonly string[], run: (sink: HostResultSink) => Promise<T>, outcome: (t: T) => RunOutcome): Promise<T> {
  const file = openResultsFile(join(dir, "results.ndjson"));
  try {
    const result = await run(file);
    outcome(result).hosts = file.readAll(names);
    return result;
  } finally {
    file.close();
  }
}
