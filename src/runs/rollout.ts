/**
 * The rollout across the fleet: waves (canary first), each wave's hosts bounded by `-c`, and ONE
 * failure budget for the whole run: once more hosts have failed than it allows, no new host
 * starts and every host not started is `halted`.
 */
import { randomUUID } from "node:crypto";
import pLimit from "p-limit";
import { groupBy } from "../lib/group-by.js";
import type { ResolvedHost } from "../inventory/schema.js";
import type { Target } from "../certificate/target.js";
import type { HostOutcome, RunOutcome } from "../host/outcome.js";
import type { FleetDeps } from "../host/visit.js";
import { type JournalWriter } from "../journal/journal.js";
import { journaledBindings, journaledDeliveries, runRecord, type JournalRecord } from "../journal/record.js";
import type { HostStep } from "../host/step.js";
import { rolloutHost, type RolloutHostOptions } from "../host/rollout-host.js";
import { handOver, type HostResultSink } from "./results-file.js";

export interface RolloutRunOptions {
  target: Target;
  waves: string[][];
  maxFailures: number;
  concurrency: number;
  dryRun: boolean;
  journal?: JournalWriter;
  verify: RolloutHostOptions["verify"];
  /** records of an earlier, interrupted run to finish first (`--resume`). */
  resumeFrom?: JournalRecord[];
  runId?: string;
  /** the operator asked to stop (Ctrl-C): no new host starts; hosts in progress finish safely. */
  stopRequested?: () => boolean;
  /** each host's outcome goes here as it finishes, and the run keeps only its status (results-file.ts) */
  sink?: HostResultSink;
  /** the steps each host runs (default all; `certfleet deliver`: the deliver step only). */
  steps?: readonly HostStep[];
}

export interface RolloutRunResult {
  run: RunOutcome;
  halted: boolean;
}

export async function runRollout(hosts: readonly ResolvedHost[], deps: FleetDeps, opts: RolloutRunOptions): Promise<RolloutRunResult> {
  const startedAt = deps.now().toISOString();
  const runId = opts.runId ?? randomUUID();
  const byName = new Map(hosts.map((h) => [h.name, h]));
  const journaled = journaledBindings(opts.resumeFrom ?? []);
  const deliveries = new Map(journaledDeliveries(opts.resumeFrom ?? []).map((d) => [d.host, d]));
  const halfDone = journaled.filter((j) => j.outcome === undefined);
  if (opts.journal && !opts.dryRun) {
    opts.journal.append(runRecord(runId, startedAt, "rollout", opts.target.newCert.thumbprint));
  }

  // With a sink, only what the run itself needs (status, wave) stays in memory.
  const results = new Map<string, HostOutcome>();
  const keep = (name: string, r: HostOutcome) => results.set(name, handOver(r, opts.sink) ?? { name: r.name, address: r.address, status: r.status, durationMs: 0, bindings: [] });
  let failures = 0;
  let halted = false;
  const overBudget = () => failures > opts.maxFailures;

  // Hosts an interrupted run left half-done go first and are never halted: halting one would
  // leave a binding deleted or half-moved. Their failures still count against the budget.
  const halfDoneHosts = new Set(halfDone.map((j) => j.host));
  const journaledByHost = groupBy(journaled, (j) => j.host);
  const unsettled = opts.dryRun ? [] : hosts.map((h) => h.name).filter((name) => halfDoneHosts.has(name));
  const unsettledSet = new Set(unsettled);
  // Such a host gets all its journaled bindings: if one cannot be finished, those the interrupted
  // run had already moved must go back too.
  const runHost = async (name: string, index: number) => {
    const r = await rolloutHost(byName.get(name)!, deps, {
      target: opts.target,
      dryRun: opts.dryRun,
      journal: opts.journal,
      runId,
      verify: opts.verify,
      resume: unsettledSet.has(name) ? (journaledByHost.get(name) ?? []) : [],
      ...(deliveries.has(name) ? { resumeDelivery: deliveries.get(name)! } : {}),
      ...(opts.steps ? { steps: opts.steps } : {}),
      wave: index,
    });
    if (r.status === "failed" || r.status === "needs-attention") failures++;
    keep(name, r);
  };

  if (unsettled.length > 0) {
    deps.progress.wave?.(0, "resume: hosts the interrupted run left half-done", unsettled);
    const limit = pLimit(Math.max(1, opts.concurrency));
    const waveIndex = new Map(opts.waves.flatMap((w, i) => w.map((n) => [n, i] as const)));
    const waveOf = (name: string) => waveIndex.get(name) ?? 0;
    await Promise.all(unsettled.map((name) => limit(() => runHost(name, waveOf(name)))));
    if (overBudget()) halted = true;
  }

  for (const [index, all] of opts.waves.entries()) {
    const wave = all.filter((name) => !results.has(name));
    if (wave.length === 0) continue;
    deps.progress.wave?.(index, index === 0 ? "canary" : `wave ${index}`, wave);
    const limit = pLimit(Math.max(1, opts.concurrency));
    await Promise.all(
      wave.map((name) =>
        limit(async () => {
          const stopped = opts.stopRequested?.() === true;
          if (halted || overBudget() || stopped) {
            keep(name, haltedHost(byName.get(name)!, index));
            deps.progress.hostDone?.(name, "halted", stopped ? "not started: stopped by the operator" : "not started: the failure budget is spent");
            return;
          }
          await runHost(name, index);
        }),
      ),
    );
    if (overBudget()) halted = true;
  }

  for (const h of hosts) if (!results.has(h.name)) keep(h.name, haltedHost(h, undefined));
  const ordered = hosts.map((h) => results.get(h.name)!);
  const run: RunOutcome = { command: "rollout", startedAt, finishedAt: deps.now().toISOString(), target: opts.target, ...(opts.dryRun ? { dryRun: true } : {}), hosts: ordered };
  // Exit 3 means hosts were left out; a budget spent only by the last hosts to run halts nothing.
  return { run: opts.sink ? { ...run, hosts: [] } : run, halted: ordered.some((h) => h.status === "halted") };
}

function haltedHost(host: ResolvedHost, wave: number | undefined): HostOutcome {
  return {
    name: host.name,
    address: host.address,
    status: "halted",
    ...(wave === undefined ? {} : { wave }),
    durationMs: 0,
    bindings: [],
  };
}
