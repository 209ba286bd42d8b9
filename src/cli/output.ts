import { existsSync } from "node:fs";
import { basename, isAbsolute, join, relative, resolve, sep } from "node:path";
import type { ResolvedHost } from "../inventory/schema.js";
import type { HostOutcome, RunOutcome } from "../host/outcome.js";
import { some } from "../lib/iterables.js";
import { InputError, JournalMismatchError } from "../model/errors.js";
import { openResultsFile, storedOutcomes, type HostResultSink, type StoredOutcomes } from "../runs/results-file.js";
import { hostFacts, reportEnvelope, type HostFacts, type ReportContext } from "../report/from-outcomes.js";
import type { Report, ReportHost } from "../report/schema.js";
import { hostSequence, type ReportView } from "../report/view.js";
import { defaultOutDir, writeReports } from "../report/write.js";

export function outDirFor(out: string | undefined, command: string, now: Date): string {
  return resolve(out ?? defaultOutDir(command, now));
}

/** A report host with its transport named, from the inventory (pure; hosts it does not list are left as they are). */
function transportNamer(hosts: readonly Pick<ResolvedHost, "name" | "transport">[]): (h: ReportHost) => ReportHost {
  const by = new Map(hosts.map((h) => [h.name, h.transport ?? "ssh"] as const));
  return (h) => (by.has(h.name) ? { ...h, transport: by.get(h.name)! } : h);
}

/** The report with each host's transport named, from the inventory (pure). */
export function withTransports(report: Report, hosts: readonly Pick<ResolvedHost, "name" | "transport">[]): Report {
  return { ...report, hosts: report.hosts.map(transportNamer(hosts)) };
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

export async function publish(report: ReportView, dir: string, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<void> {
  const { files } = await writeReports(dir, report);
  // The folder once, then the file names: the line fits a terminal whatever the folder's length.
  log(`reports: ${shownPath(dir)}${sep}`);
  log(`  ${files.map((f) => basename(f)).join("  ")}`);
}

/** DESIGN.md's exit codes: 0 all fine, 1 a host failed or a verification mismatched, 3 halted by the budget. */
export function exitCodeFor(report: ReportView, halted = false): number {
  if (halted) return 3;
  return some(report.hosts, (h) => h.status === "failed" || h.status === "needs-attention") ? 1 : 0;
}

/** A path as the operator would type it from here: relative below the working folder. */
export function shownPath(path: string, cwd = process.cwd()): string {
  const r = relative(cwd, path);
  return r !== "" && !r.startsWith("..") && !isAbsolute(r) ? r : path;
}

/**
 * Runs a fleet command whose hosts' outcomes stream to `results.ndjson` in `dir` as they finish
 * (the run keeps none). The report is then built from that file: see `reportFromResults`.
 */
export async function withResultsFile<T>(dir: string, run: (sink: HostResultSink) => Promise<T>): Promise<{ result: T; results: string; journalMismatch: boolean }> {
  const file = openResultsFile(join(dir, "results.ndjson"));
  // Seen as each outcome goes by: in the file an error is only its kind and text, not its class.
  let journalMismatch = false;
  const sink: HostResultSink = {
    add(outcome) {
      if (outcome.error instanceof JournalMismatchError) journalMismatch = true;
      file.add(outcome);
    },
  };
  try {
    return { result: await run(sink), results: file.path, journalMismatch };
  } finally {
    file.close();
  }
}

/**
 * The report of a run whose outcomes are in the results file `results`, its hosts in inventory
 * order and named with their transport (as `withTransports`). The file is read once for what the
 * envelope needs of every host (counts, the target's old certificates and description, the failed
 * hosts that every remedy's next command names), and again, a host at a time, on every pass a
 * writer or the summary makes over the hosts: a big fleet's rows are never all in memory.
 */
export function reportFromResults(
  run: Omit<RunOutcome, "hosts">,
  results: string,
  inventory: readonly Pick<ResolvedHost, "name" | "transport">[],
  context: ReportContext = {},
): ReportView {
  const facts = new Map<string, HostFacts>();
  const stored: StoredOutcomes = storedOutcomes(
    results,
    inventory.map((h) => h.name),
    (o: HostOutcome) => facts.set(o.name, hostFacts(o, run.target?.newCert.thumbprint)),
  );
  const { envelope, row } = reportEnvelope(run, stored.names.map((n) => facts.get(n)!), context);
  facts.clear();
  const withTransport = transportNamer(inventory);
  const hosts = hostSequence(stored.length, function* () {
    for (const outcome of stored) yield withTransport(row(outcome));
  });
  return { ...envelope, hosts };
}
