/**
 * The http.sys rebind step: every binding on an old certificate moves to the new one (netsh
 * update, or delete + add where update is missing) under compare-and-set: in one batched line
 * a host (rebind-batch.ts), finished or restored binding by binding (change-binding.ts).
 */
import { planHost } from "../../plan/plan-host.js";
import { applyHostPlanBatched, plannedRebind } from "../rebind-batch.js";
import { updateVerbByBuild } from "../../windows/update-verb.js";
import { planHostConsumers, splitByOwner } from "../../plan/consumer-steps.js";
import { planError, plannedRows } from "../planned.js";
import { putBack } from "../put-back.js";
import { manualFields } from "../change-binding.js";
import { restoreJournaled, settleInterrupted } from "../settle-restore.js";
import type { HostStep } from "../step.js";

export const rebindStep: HostStep = {
  name: "rebind",
  journalStep: "binding",
  plan(state, target, now) {
    // Bindings that move with their owner's own setting (the owners step) or that their owner
    // manages (left, listed with its command) are not rebound here.
    const plan = splitByOwner(planHost(state, target, now), planHostConsumers(state, target)).rebind;
    // Whether the host has `netsh http update` decides the lines: its build tells for 2012 R2.
    const update = updateVerbByBuild(state.build);
    const planned = plannedRebind(state.shell, plan, update, plan.host);
    const notes = [
      ...(planned.refused !== undefined ? [`note: this host has no netsh http update, and add cannot re-create a binding (${planned.refused}): the rollout would refuse it and put back what it moved`] : []),
      ...(state.build === undefined && planned.commands.length > 0
        ? ["note: the host's OS build could not be read: the commands listed assume netsh http update; a host without it (2012 R2) answers the first line 'command not found', having changed nothing, and gets the same changes as delete+add lines"]
        : []),
    ];
    return {
      blocked: planError(plan, plan.host),
      findings: plan.findings.map((f) => `${f.blocking ? "blocking" : "note"}: ${f.message}`),
      commandNotes: notes,
      unchanged: plan.outcome === "unchanged",
      rows: () => plannedRows(plan),
      // Nothing was attempted: the rows must not claim a rebind happened.
      notAttemptedRows: () => plannedRows(plan).map((r) => (r.action === "rebind" ? { ...r, action: "none" as const, reason: `not changed (host blocked); ${r.reason}` } : r)),
      commands: ({ shell, host }) => plannedRebind(shell, plan, update, host).commands,
      describe: () => `rebinding ${plan.bindings.filter((b) => b.action === "rebind").length} binding(s)`,
      apply: (session, journal) => applyHostPlanBatched(session, plan, { journal }),
    };
  },
  async undo(session, rows, target, journal) {
    const rebound = rows.filter((r) => r.action === "rebind");
    const moves = rebound.map((r) => ({ original: r.before!, moved: r.after ?? { ...r.before!, certHash: target.newCert.thumbprint } }));
    const backs = await putBack(session, moves, journal);
    const commands: string[] = [];
    let attention = false;
    backs.forEach((back, i) => {
      const r = rebound[i]!;
      commands.push(...back.commands);
      if (back.result === "changed") {
        r.action = "restored";
        r.after = back.after;
      } else {
        attention = true;
        r.action = "failed";
        if (back.result === "needs-attention") Object.assign(r, manualFields(back, `${r.reason ?? "moved"}; could not put back: ${back.error.message}`));
      }
    });
    return { commands, attention };
  },
  settle: settleInterrupted,
  restore: restoreJournaled,
};
