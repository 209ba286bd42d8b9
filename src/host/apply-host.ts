/**
 * Applies one host's plan under the safety protocol (DESIGN.md): journal every original record
 * first, change bindings one at a time with compare-and-set, and if any binding cannot be moved,
 * put back every binding already moved, so the host ends fully rebound or fully as it was.
 */
import type { Binding } from "../model/binding.js";
import { CertfleetError } from "../model/errors.js";
import type { HostPlan } from "../plan/schema.js";
import type { BindingOutcome } from "./outcome.js";
import type { HostSession } from "../session/host-session.js";
import { changeBinding, manualFields } from "./change-binding.js";
import { putBack } from "./put-back.js";
import type { HostJournal } from "../journal/host-journal.js";

export interface ApplyContext {
  journal: HostJournal;
}

export interface HostApplyResult {
  status: "changed" | "unchanged" | "failed" | "needs-attention";
  bindings: BindingOutcome[];
  error?: CertfleetError;
  commands: string[];
}

export async function applyHostPlan(session: HostSession, plan: HostPlan, ctx: ApplyContext): Promise<HostApplyResult> {
  const commands: string[] = [];
  const rows: BindingOutcome[] = plan.bindings.map((p) => ({
    ...p.current,
    action: "none",
    reason: p.reason,
    scope: p.scope,
  }));
  const work = plan.bindings
    .map((p, index) => ({ p, index }))
    .filter(({ p }) => p.action === "rebind" && p.desired !== undefined);
  if (work.length === 0) return { status: "unchanged", bindings: rows, commands };

  for (const { p } of work) ctx.journal.intent(p.current, p.desired!);
  const done = ctx.journal.done;

  const moved: Array<{ index: number; original: Binding; desired: Binding }> = [];
  let error: CertfleetError | undefined;
  let attention = false;

  for (const { p, index } of work) {
    const original = p.current;
    const desired = p.desired!;
    if (session.budgetSpent()) {
      // --host-timeout: no new change starts; the ones already made go back below.
      error = new CertfleetError("timeout", `the host's time budget (--host-timeout) ran out before ${original.endpoint} was changed; no further change was started`, session.host);
      rows[index]!.reason = `${p.reason}; not changed: the host's time budget ran out`;
      done(original, "unchanged");
      break;
    }
    const outcome = await changeBinding(session, original, desired);
    commands.push(...outcome.commands);
    const row = rows[index]!;
    row.before = original;
    if (outcome.result === "changed") {
      Object.assign(row, { action: "rebind", after: outcome.after });
      moved.push({ index, original, desired });
      done(original, "rebound");
      continue;
    }
    error = outcome.error;
    if (outcome.after) row.after = outcome.after;
    if (outcome.result === "restored") {
      row.action = "restored";
      done(original, "restored");
    } else if (outcome.result === "untouched") {
      row.action = "failed";
      done(original, "unchanged");
    } else {
      row.action = "failed";
      attention = true;
      done(original, "needs-attention");
    }
    row.reason = `${p.reason}; ${outcome.error.message}`;
    if (outcome.result === "needs-attention") Object.assign(row, manualFields(outcome, row.reason));
    break;
  }

  if (!error) return { status: "changed", bindings: rows, commands };

  // Undo in reverse order so the host ends exactly as it was.
  const backs = await putBack(session, moved.map((m) => ({ original: m.original, moved: m.desired })), ctx.journal);
  backs.forEach((back, i) => {
    const row = rows[moved[i]!.index]!;
    commands.push(...back.commands);
    if (back.result === "changed") {
      Object.assign(row, { action: "restored", after: back.after, reason: `${row.reason}; put back after ${error!.message}` });
    } else {
      attention = true;
      const reason = `could not put back: ${back.error.message}`;
      Object.assign(row, {
        action: "failed",
        after: back.after ?? undefined,
        ...(back.result === "needs-attention" ? manualFields(back, reason) : { manualCommand: undefined, reason }),
      });
    }
  });
  return { status: attention ? "needs-attention" : "failed", bindings: rows, error, commands };
}
