import { oneRowPerBinding } from "../host/binding-rows.js";
import pLimit from "p-limit";
import type { ResolvedHost } from "../inventory/schema.js";
import { planHost } from "../plan/plan-host.js";
import { planHostConsumers, splitByOwner } from "../plan/consumer-steps.js";
import { bindingKey } from "../model/binding.js";
import type { Target } from "../certificate/target.js";
import type { HostPlan } from "../plan/schema.js";
import type { HostOutcome, RunOutcome } from "../host/outcome.js";
import { hostError, visitHost, type FleetDeps } from "../host/visit.js";
import { HOST_STEPS } from "../host/steps.js";
import type { PlannedStep } from "../host/step.js";
import { withConsumerKeys } from "../host/consumer-keys.js";
import { stepBlocks } from "../host/step-blocks.js";
import { plannedCommands, planSteps } from "../host/planned-commands.js";

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
            const discovered = await withConsumerKeys(session, await session.discover(), target);
            const now = deps.now();
            // Every step's plan, as a rollout would run them: each against the state the steps before
            // it leave (a PFX to deliver: the rebind plans as if the certificate were there).
            const planned = planSteps(discovered, HOST_STEPS, target, now);
            const steps: PlannedStep[] = planned.map((p) => p.plan);
            const state = planned.reduce((s, p) => p.plan.stateAfter?.(s) ?? s, discovered);
            // plan.json: the http.sys plan as the steps split it (owner-managed bindings left unless chosen).
            const full = planHost(state, target, now);
            const consumerPlan = planHostConsumers(state, target);
            const split = splitByOwner(full, consumerPlan);
            plans.push({ ...full, bindings: full.bindings.map((b, i) => (consumerPlan.ownedBindings.has(bindingKey(b.current)) ? b : split.rebind.bindings[i]!)) });
            // A grant on the new key waits for the delivery that imports it (host/step-blocks.ts).
            const { blocked, waitsForDelivery } = stepBlocks(steps);
            const findings = [
              ...new Set([...steps.flatMap((p) => [...p.findings, ...(p.commandNotes ?? [])]), ...(waitsForDelivery ? ["note: the key grants are planned once the delivered certificate's key exists on the host"] : [])]),
            ];
            const consumers = steps.flatMap((p) => p.consumerRows?.() ?? []);
            return {
              name: host.name,
              address: host.address,
              status: blocked ? "failed" : steps.every((p) => p.unchanged) ? "unchanged" : "ok",
              durationMs: elapsed(),
              ...(blocked ? { error: hostError(blocked, host.name) } : {}),
              certificates: state.certificates,
              bindings: oneRowPerBinding(steps.flatMap((p) => (blocked ? p.notAttemptedRows() : p.rows()))),
              ...(consumers.length ? { consumers } : {}),
              ...(findings.length + state.warnings.length > 0 ? { warnings: [...findings, ...state.warnings] } : {}),
              // The exact lines a rollout would send, as rollout --dry-run lists them.
              ...(blocked ? {} : { commands: plannedCommands(discovered, planned, target, now, { shell: session.shell, host: host.name, canStageFiles: session.canStageFiles }) }),
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
