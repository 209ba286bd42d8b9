import pLimit from "p-limit";
import type { ResolvedHost } from "../inventory/schema.js";
import { planHost } from "../plan/plan-host.js";
import type { Target } from "../certificate/target.js";
import type { HostPlan } from "../plan/schema.js";
import type { HostOutcome, RunOutcome } from "../host/outcome.js";
import { dryRunCommands, planError, plannedRows } from "../host/planned.js";
import { hostError, visitHost, type FleetDeps } from "../host/visit.js";
import { deliverStep } from "../host/steps/deliver.js";

export interface PlanRun {
  run: RunOutcome;
  plans: HostPlan[];
}

/** `certfleet plan`: discover every host and plan it; nothing is changed. */
export async function runPlan(hosts: readonly ResolvedHost[], target: Target, concurrency: number, deps: FleetDeps): Promise<PlanRun> {
  const startedAt = deps.now().toISOString();
  const limit = pLimit(Math.max(1, concurrency));
  const plans: HostPlan[] = [];
  const results = await Promise.all(
    hosts.map((host) =>
      limit(() =>
        visitHost(
          host,
          deps,
          async (session, elapsed) => {
            const state = await session.discover();
            // A PFX to deliver: the delivery's commands first, and the rebind planned against the state after it.
            const delivery = deliverStep.plan(state, target, deps.now());
            const plan = planHost(delivery.stateAfter?.(state) ?? state, target, deps.now());
            plans.push(plan);
            const blocked = delivery.blocked ?? planError(plan, host.name);
            const findings = [...delivery.findings, ...plan.findings.map((f) => `${f.blocking ? "blocking" : "note"}: ${f.message}`)];
            return {
              name: host.name,
              address: host.address,
              status: blocked ? "failed" : plan.outcome === "unchanged" && delivery.unchanged ? "unchanged" : "ok",
              durationMs: elapsed(),
              ...(blocked ? { error: hostError(blocked, host.name) } : {}),
              certificates: state.certificates,
              bindings: plannedRows(plan),
              ...(findings.length + state.warnings.length > 0 ? { warnings: [...findings, ...state.warnings] } : {}),
              ...(blocked ? {} : { commands: [...delivery.commands(session.shell, host.name), ...dryRunCommands(plan, session.shell, host.name)] }),
            } satisfies HostOutcome;
          },
          (r) => `${r.bindings.filter((b) => b.action === "rebind").length} binding(s) to rebind`,
        ),
      ),
    ),
  );
  const order = new Map(hosts.map((h, i) => [h.name, i]));
  plans.sort((a, b) => order.get(a.host)! - order.get(b.host)!);
  return {
    plans,
    run: { command: "plan", startedAt, finishedAt: deps.now().toISOString(), target, hosts: results },
  };
}
