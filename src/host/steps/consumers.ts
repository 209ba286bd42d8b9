/**
 * The consumer steps, in their places in HOST_STEPS (DESIGN.md: deliver, grant, rebind, owners,
 * rdp): each plans purely (src/plan/consumer-steps.ts), journals a setting's original before it
 * changes it (src/host/consumer-move.ts), reads it back, and puts back its own changes, last
 * first, when it or a later step fails.
 *
 * - grant: accounts that read an old key (beyond Administrators and SYSTEM), and NETWORK SERVICE
 *   for the RDP listener, get read on the new key, by SID, before any consumer moves to it.
 * - owners: the WinRM HTTPS listener (`winrm set`) with its 5986 binding, the WMSvc registry value
 *   with its 8172 binding; owner-managed bindings (AD FS, WAP, SSTP, Exchange) are listed with
 *   their owner's command and left (a warning: the host itself is fully moved or fully restored).
 * - rdp: the RDP listener's registry value, after the grant.
 */
import { CertfleetError } from "../../model/errors.js";
import type { Target } from "../../certificate/target.js";
import type { HostState } from "../../model/host-state.js";
import type { HostSession } from "../../session/host-session.js";
import type { HostJournal } from "../../journal/host-journal.js";
import type { ConsumerStepName, JournaledMove } from "../../journal/record.js";
import { planHost } from "../../plan/plan-host.js";
import { planHostConsumers, splitByOwner } from "../../plan/consumer-steps.js";
import { undoCommand, type ConsumerMove } from "../../plan/consumer-moves.js";
import { REGISTRY_CONSUMERS } from "../../windows/consumer-commands.js";
import { applyHostPlan } from "../apply-host.js";
import { plannedPerBinding, plannedRows } from "../planned.js";
import { applyMove, describeMove, plannedMove, undoMove } from "../consumer-move.js";
import { updateVerbByBuild } from "../../windows/update-verb.js";
import type { BindingOutcome, ConsumerRow } from "../outcome.js";
import type { HostStep, PlannedStep, StepApplied } from "../step.js";
import { rebindStep } from "./rebind.js";

const noItems = async () => ({ rows: [], changed: 0, attention: false });

/** A move as a report row. */
export function moveRow(move: JournaledMove | ConsumerMove, action: ConsumerRow["action"], reason?: string): ConsumerRow {
  const base = { action, move: move as JournaledMove, ...(reason ? { reason } : {}) };
  switch (move.kind) {
    case "key-grant":
      return { ...base, owner: "key", source: "key", name: `${move.sid} on the key of ${move.thumbprint}`, certHash: move.thumbprint, handling: "grant", before: null, after: move.sid, reason: reason ?? move.why };
    case "winrm-listener":
      return { ...base, owner: "winrm-https", source: "winrm-listener", name: `Listener?Address=${move.address}+Transport=HTTPS`, certHash: move.from, handling: "with-owner-setting", before: move.from, after: move.to };
    case "registry": {
      const r = REGISTRY_CONSUMERS[move.consumer];
      return { ...base, owner: move.consumer, source: "registry", name: `${r.key}\\${r.value}`, certHash: move.from, handling: move.consumer === "rdp" ? "owner-setting" : "with-owner-setting", before: move.from, after: move.to };
    }
  }
}

/** Applies moves in order; on the first failure puts back the ones already made (last first). */
async function applyMoves(session: HostSession, step: ConsumerStepName, moves: readonly ConsumerMove[], journal: HostJournal): Promise<{ rows: ConsumerRow[]; commands: string[]; error?: CertfleetError; attention: boolean }> {
  const rows: ConsumerRow[] = [];
  const commands: string[] = [];
  for (const move of moves) {
    const r = await applyMove(session, step, move as JournaledMove, journal);
    commands.push(...r.commands);
    if (r.result === "changed") {
      rows.push(moveRow(move, "moved"));
      continue;
    }
    if (r.result === "unchanged") {
      rows.push(moveRow(move, "none", "already so"));
      continue;
    }
    rows.push(moveRow(move, "failed", r.error.message));
    const undone = await undoRows(session, step, rows, journal);
    commands.push(...undone.commands);
    return { rows, commands, error: r.error, attention: undone.attention };
  }
  return { rows, commands, attention: false };
}

/** Puts back every row this step moved, last first; rows are updated in place. */
async function undoRows(session: HostSession, step: ConsumerStepName, rows: ConsumerRow[], journal: HostJournal): Promise<{ commands: string[]; attention: boolean }> {
  const commands: string[] = [];
  let attention = false;
  for (const row of [...rows].reverse()) {
    if (row.action !== "moved" || !row.move) continue;
    const r = await undoMove(session, step, row.move, journal);
    commands.push(...r.commands);
    if (r.result === "changed" || r.result === "unchanged") {
      row.action = "restored";
      continue;
    }
    attention = true;
    row.action = "failed";
    row.reason = `could not be put back: ${r.error.message}`;
    const manual = undoCommand(session.shell, row.move as ConsumerMove, session.host);
    if (manual) row.manualCommand = manual;
  }
  return { commands, attention };
}

function blockedError(reason: string | null, host: string): CertfleetError | undefined {
  return reason === null ? undefined : new CertfleetError("precondition", reason, host);
}

/** A step that only changes consumers' settings (grant, rdp). */
function settingStep(name: string, journalStep: ConsumerStepName, pick: (m: ConsumerMove) => boolean, what: string): HostStep {
  return {
    name,
    journalStep,
    plan(state: HostState, target: Target): PlannedStep {
      const consumers = planHostConsumers(state, target);
      const moves = consumers.moves.filter(pick);
      return {
        blocked: blockedError(consumers.blocked, state.host),
        findings: name === "grant" ? consumers.notes.map((n) => `note: ${n}`) : [],
        unchanged: moves.length === 0,
        rows: () => [],
        consumerRows: () => moves.map((m) => moveRow(m, "none", "to move (not yet changed)")),
        notAttemptedRows: () => [],
        commands: ({ shell, host }) => moves.flatMap((m) => plannedMove(shell, m, host)),
        describe: () => `${what} (${moves.length})`,
        async apply(session, journal): Promise<StepApplied> {
          const r = await applyMoves(session, journalStep, moves, journal);
          const status = r.error ? (r.attention ? "needs-attention" : "failed") : "changed";
          return { status, bindings: [], commands: r.commands, consumers: r.rows, ...(r.error ? { error: r.error } : {}) };
        },
      };
    },
    async undo(session, _rows, _target, journal, consumers) {
      return undoRows(session, journalStep, consumers ?? [], journal);
    },
    // Consumer moves settle on resume by being planned again from a fresh read (each move reads
  // its value first and leaves one already moved); their journal records serve rollback.
  settle: async () => ({ ok: true, finished: [] }),
    restore: noItems,
  };
}

export const grantStep = settingStep("grant", "key-grant", (m) => m.kind === "key-grant", "granting read on the new key by SID");
export const rdpStep = settingStep("rdp", "rdp-setting", (m) => m.kind === "registry" && m.consumer === "rdp", "moving the RDP listener");

const isOwnerMove = (m: ConsumerMove) => m.kind === "winrm-listener" || (m.kind === "registry" && m.consumer === "wmsvc");

export const ownersStep: HostStep = {
  name: "owners",
  journalStep: "owner-setting",
  plan(state, target, now) {
    const consumers = planHostConsumers(state, target);
    const plan = splitByOwner(planHost(state, target, now), consumers).owners;
    const moves = consumers.moves.filter(isOwnerMove);
    const managedRows = (): ConsumerRow[] =>
      consumers.ownerManaged.map((o) => ({
        owner: o.owner,
        source: "binding",
        name: o.binding,
        certHash: state.bindings.find((b) => b.endpoint === o.binding)?.certHash ?? null,
        handling: "owner-managed",
        action: "owner-managed",
        reason: `left to its owner (${o.evidence.join(", ")}): needs attention`,
        manualCommand: o.commands.join("\n"),
      }));
    const warnings = consumers.ownerManaged.map((o) => `needs attention: ${o.binding} is managed by ${o.owner} and was left on the old certificate; run: ${o.commands.join(" ; ")}`);
    return {
      blocked: blockedError(consumers.blocked, state.host),
      findings: consumers.ownerManaged.map((o) => `note: owner-managed ${o.owner} binding ${o.binding}: run ${o.commands.join(" ; ")}`),
      warnings,
      unchanged: moves.length === 0 && plan.outcome !== "rebind",
      rows: () => plannedRows(plan),
      consumerRows: () => [...moves.map((m) => moveRow(m, "none", "to move (not yet changed)")), ...managedRows()],
      notAttemptedRows: () => plannedRows(plan).map((r) => (r.action === "rebind" ? { ...r, action: "none" as const, reason: `not changed (host blocked); ${r.reason}` } : r)),
      // The bindings one by one (host/apply-host.ts), then the owners' own settings.
      commands: ({ shell, host }) => [...plannedPerBinding(plan, shell, updateVerbByBuild(state.build), host), ...moves.flatMap((m) => plannedMove(shell, m, host))],
      describe: () => `moving ${moves.map((m) => describeMove(m as JournaledMove)).join(", ") || "owned bindings"} with their bindings`,
      async apply(session, journal): Promise<StepApplied> {
        // The binding first (http.sys serves it), then the owner's own setting that re-applies it.
        const bound = await applyHostPlan(session, plan, { journal });
        if (bound.status !== "changed" && bound.status !== "unchanged") return { ...bound, consumers: managedRows() };
        const r = await applyMoves(session, "owner-setting", moves, journal);
        const consumersRows = [...r.rows, ...managedRows()];
        if (!r.error) return { status: "changed", bindings: bound.bindings, commands: [...bound.commands, ...r.commands], consumers: consumersRows };
        const back = await rebindStep.undo(session, bound.bindings, target, journal);
        return {
          status: r.attention || back.attention ? "needs-attention" : "failed",
          bindings: bound.bindings,
          commands: [...bound.commands, ...r.commands, ...back.commands],
          consumers: consumersRows,
          error: r.error,
        };
      },
    };
  },
  async undo(session, rows: BindingOutcome[], target, journal, consumers) {
    const settings = await undoRows(session, "owner-setting", consumers ?? [], journal);
    const bindings = await rebindStep.undo(session, rows, target, journal);
    return { commands: [...settings.commands, ...bindings.commands], attention: settings.attention || bindings.attention };
  },
  // Consumer moves settle on resume by being planned again from a fresh read (each move reads
  // its value first and leaves one already moved); their journal records serve rollback.
  settle: async () => ({ ok: true, finished: [] }),
  restore: noItems,
};
