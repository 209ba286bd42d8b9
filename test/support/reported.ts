/**
 * The fleet runners as the CLI uses them: the run's outcomes mapped to the report contract by
 * the one mapper. End-to-end tests assert on report.json's shape, so they call these.
 */
import type { ResolvedHost } from "../../src/inventory/schema.js";
import type { FleetDeps } from "../../src/host/visit.js";
import { reportFromRun } from "../../src/report/from-outcomes.js";
import type { Report } from "../../src/report/schema.js";
import type { Target } from "../../src/certificate/target.js";
import type { HostPlan } from "../../src/plan/schema.js";
import { runDiscover as discover } from "../../src/runs/discover.js";
import { runPlan as plan } from "../../src/runs/plan.js";
import { runRollback as rollback, type RollbackOptions } from "../../src/runs/rollback.js";
import { runRollout as rollout, type RolloutRunOptions } from "../../src/runs/rollout.js";
import { runVerify as verify, type VerifyRunOptions } from "../../src/runs/verify.js";
import { assertSafeRecovery } from "./recovery-audit.js";

/** Every report a test gets from a runner holds only recovery commands that are safe to paste. */
function checked(report: Report): Report {
  assertSafeRecovery(report);
  return report;
}

export type { RolloutRunOptions };
export interface RolloutRunResult {
  report: Report;
  halted: boolean;
}

export async function runRollout(hosts: readonly ResolvedHost[], deps: FleetDeps, opts: RolloutRunOptions): Promise<RolloutRunResult> {
  const { run, halted } = await rollout(hosts, deps, opts);
  return { report: checked(reportFromRun(run)), halted };
}

export async function runDiscover(hosts: readonly ResolvedHost[], concurrency: number, deps: FleetDeps): Promise<Report> {
  return checked(reportFromRun(await discover(hosts, concurrency, deps)));
}

export async function runPlan(hosts: readonly ResolvedHost[], target: Target, concurrency: number, deps: FleetDeps): Promise<{ report: Report; plans: HostPlan[] }> {
  const { run, plans } = await plan(hosts, target, concurrency, deps);
  return { report: checked(reportFromRun(run)), plans };
}

export async function runVerify(hosts: readonly ResolvedHost[], deps: FleetDeps, opts: VerifyRunOptions): Promise<Report> {
  return checked(reportFromRun(await verify(hosts, deps, opts)));
}

export async function runRollback(hosts: readonly ResolvedHost[], deps: FleetDeps, opts: RollbackOptions): Promise<Report> {
  return checked(reportFromRun(await rollback(hosts, deps, opts)));
}
