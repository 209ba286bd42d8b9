/**
 * Applies one host's rebind plan in a few remote commands instead of three a binding: every
 * original is journaled first, then ONE batched compare-and-set line (src/windows/cas-batch.ts)
 * changes every binding, each only if the host still shows the hash that was read and journaled,
 * then ONE listing of all bindings reads every result back. Whatever that leaves open is settled
 * binding by binding through the safe per-binding protocol (change-binding.ts):
 *
 * - a refused or failed change stops the host; every binding already moved is put back;
 * - a cut connection: the line is never re-sent; what the read-back shows on the new certificate
 *   is kept, what still shows the original is finished one binding at a time, anything else
 *   (deleted by a delete+add that was cut) is restored;
 * - a timed-out line: its effect is unknown, so the host fails and everything is put back (as a
 *   timed-out single change does);
 * - `update` support: a build without it (2012 R2) is known from discovery, and its line is
 *   delete+add from the start; where the build could not be read, the first line tries `update`,
 *   a host without it answers its first change with "command not found" having changed nothing,
 *   and the rest goes as a delete+add line. So the common case is discovery + batch + read-back
 *   (3 commands), 4 where the first line learns update is missing.
 *
 * `plannedRebind` lists what this sends when all goes as planned (plan, --dry-run), built by the
 * same `batchLines`.
 */
import type { Binding } from "../model/binding.js";
import { bindingKey } from "../model/binding.js";
import { CertfleetError } from "../model/errors.js";
import type { HostPlan } from "../plan/schema.js";
import type { BindingOutcome } from "./outcome.js";
import type { HostSession } from "../session/host-session.js";
import { isConnectionLost } from "../transport/transport.js";
import { casBatchCommands, parseCasBatchOutput, type CasBatchLine, type CasChange, type CasMode, type CasOutcome } from "../windows/cas-batch.js";
import { SHOW_ALL_BINDINGS, sameBinding } from "../windows/commands.js";
import type { RemoteShell } from "../model/host-state.js";
import type { HostCapabilities } from "../session/host-session.js";
import { classifyNetshResult } from "../windows/netsh-result.js";
import { changeBinding, manualFields, manualRestore, plannedChange, type ChangeOutcome } from "./change-binding.js";
import { putBack } from "./put-back.js";
import type { ApplyContext, HostApplyResult } from "./apply-host.js";

/** What the batch lines told about one binding: their outcome, or that no line carried it. */
type Told = CasOutcome | { status: "not-sent" };

interface Work {
  /** index of the binding's row in the plan */
  index: number;
  original: Binding;
  desired: Binding;
  reason: string;
}

/** The bindings the plan moves, in the plan's order (the order they change in). */
function rebindWork(plan: HostPlan): Work[] {
  return plan.bindings.flatMap((p, index) => (p.action === "rebind" && p.desired !== undefined ? [{ index, original: p.current, desired: p.desired, reason: p.reason }] : []));
}

/** The compare-and-set line(s) for these bindings, split under the shell's line limit; throws when one cannot be batched. */
function batchLines(shell: RemoteShell, work: readonly Work[], mode: CasMode, host: string, maxLength?: number): CasBatchLine[] {
  return casBatchCommands(shell, work.map((w) => ({ from: w.original, to: w.desired }) satisfies CasChange), { mode, host, ...(maxLength ? { maxLength } : {}) });
}

/**
 * What `applyHostPlanBatched` sends for this plan when every line goes through (plan,
 * --dry-run): the line(s), split as the rollout splits them, then the one read-back. `update`
 * is what the host is known to support ("no": delete+add lines from the start). A binding no
 * line can carry sends the rebind binding by binding after the read-back, as the rollout does;
 * `refused` says why the rollout would stop there (nothing after it is sent but the put-back).
 */
export function plannedRebind(shell: RemoteShell, plan: HostPlan, update: HostCapabilities["update"], host: string, opts: { maxLength?: number } = {}): { commands: string[]; refused?: string } {
  const work = rebindWork(plan);
  if (work.length === 0) return { commands: [] };
  const mode: CasMode = update === "no" ? "delete-add" : "update";
  try {
    return { commands: [...batchLines(shell, work, mode, host, opts.maxLength).map((l) => l.command), SHOW_ALL_BINDINGS] };
  } catch {
    const commands = [SHOW_ALL_BINDINGS];
    for (const w of work) {
      const one = plannedChange(shell, w.original, w.desired, update, host);
      commands.push(...one.commands);
      if (one.refused !== undefined) return { commands, refused: `${w.original.endpoint}: ${one.refused}` };
    }
    return { commands };
  }
}

export async function applyHostPlanBatched(session: HostSession, plan: HostPlan, ctx: ApplyContext, opts: { maxLength?: number } = {}): Promise<HostApplyResult> {
  const host = session.host;
  const commands: string[] = [];
  const rows: BindingOutcome[] = plan.bindings.map((p) => ({ ...p.current, action: "none", reason: p.reason, scope: p.scope }));
  const work = rebindWork(plan);
  if (work.length === 0) return { status: "unchanged", bindings: rows, commands };

  for (const w of work) ctx.journal.intent(w.original, w.desired);

  // --- the batch lines ---
  const told: Told[] = work.map(() => ({ status: "not-sent" }));
  let mode: CasMode = session.learned.update === "no" ? "delete-add" : "update";
  let pending = work.map((_, i) => i);
  let lost: CertfleetError | undefined;
  let timedOut = false;
  sending: for (let pass = 0; pass < 2 && pending.length > 0; pass++) {
    let lines;
    try {
      lines = batchLines(session.shell, pending.map((i) => work[i]!), mode, host, opts.maxLength);
    } catch {
      // A binding this mode cannot express (e.g. settings `add` cannot set): every binding goes
      // through the per-binding protocol, which refuses exactly that one with its reason.
      break;
    }
    const retry: number[] = [];
    for (const line of lines) {
      commands.push(line.command);
      let text: string;
      try {
        text = (await session.sendBatch(line.command)).text;
      } catch (err) {
        if (!(isConnectionLost(err) || (err instanceof CertfleetError && err.kind === "timeout"))) throw err;
        lost = err;
        timedOut = err.kind === "timeout";
        for (let k = 0; k < line.count; k++) told[pending[line.first + k]!] = { status: "unknown", deleted: mode === "delete-add" };
        // Never sent again; the read-back below (on a fresh connection) says what it did.
        await session.reconnect().catch(() => undefined);
        break sending;
      }
      const result = parseCasBatchOutput(text, line);
      result.outcomes.forEach((o, k) => (told[pending[line.first + k]!] = o));
      if (result.outcomes.some((o) => o.status === "changed") && mode === "update") session.learned.update = "yes";
      if (result.complete) continue;
      const failedAt = result.outcomes.findIndex((o) => o.status === "failed");
      const failed = result.outcomes[failedAt];
      if (mode === "update" && session.learned.update !== "yes" && failed?.status === "failed" && lacksUpdate(failed)) {
        // No `update` on this host (2012 R2): nothing was changed by the failed line from here on;
        // the rest goes again as delete+add.
        session.learned.update = "no";
        for (let k = failedAt; k < line.count; k++) {
          const i = pending[line.first + k]!;
          told[i] = { status: "not-sent" };
          retry.push(i);
        }
        for (const rest of lines.slice(lines.indexOf(line) + 1)) for (let k = 0; k < rest.count; k++) retry.push(pending[rest.first + k]!);
        mode = "delete-add";
        pending = retry;
        continue sending;
      }
      break sending;
    }
    break;
  }

  // --- one read-back of every binding ---
  let current: Map<string, Binding>;
  try {
    current = new Map((await session.readAllBindings()).map((b) => [bindingKey(b), b]));
  } catch (err) {
    // Neither the batch's effect nor the host's state can be known: an operator must look.
    const error = err instanceof CertfleetError ? err : new CertfleetError("unreachable", String(err), host);
    work.forEach((w, i) => {
      if (told[i]!.status === "not-sent" || told[i]!.status === "not-reached" || told[i]!.status === "refused") return;
      const manual = manualRestore(w.original, w.desired);
      Object.assign(rows[w.index]!, {
        before: w.original,
        action: "failed",
        ...manualFields({ manualCommands: manual.commands, ...(manual.why ? { manualWhy: manual.why } : {}) }, `${w.reason}; ${error.message}`),
      });
      ctx.journal.done(w.original, "needs-attention");
    });
    return { status: "needs-attention", bindings: rows, error: lost ?? error, commands };
  }

  // --- settle each binding, in order ---
  const moved: Work[] = [];
  let error: CertfleetError | undefined = timedOut ? lost : undefined;
  let attention = false;
  const record = (w: Work, action: BindingOutcome["action"], after: Binding | null | undefined, why?: string) => {
    const row = rows[w.index]!;
    row.before = w.original;
    row.action = action;
    if (after) row.after = after;
    if (why) row.reason = `${w.reason}; ${why}`;
  };
  /** Per-binding outcome of the safe protocol, into the row and the journal. */
  const settle = (w: Work, out: ChangeOutcome, restoring: boolean) => {
    commands.push(...out.commands);
    if (out.result === "changed" && !restoring) {
      record(w, "rebind", out.after);
      moved.push(w);
      ctx.journal.done(w.original, "rebound");
      return;
    }
    if (out.result === "changed" || out.result === "restored") {
      error ??= out.result === "restored" ? out.error : lost;
      record(w, "restored", out.after, error?.message);
      ctx.journal.done(w.original, "restored");
      return;
    }
    error ??= out.error;
    if (out.result === "untouched") {
      record(w, "failed", out.after, out.error.message);
      ctx.journal.done(w.original, "unchanged");
      return;
    }
    attention = true;
    record(w, "failed", out.after, out.error.message);
    rows[w.index]!.manualCommand = out.manualCommands.join("\n");
    ctx.journal.done(w.original, "needs-attention");
  };

  for (const [i, w] of work.entries()) {
    const now = current.get(bindingKey(w.original)) ?? null;
    const t = told[i]!;
    const onNew = now !== null && sameBinding(now, w.desired);
    const asBefore = now !== null && sameBinding(now, w.original);
    if (onNew) {
      // Changed by the batch (or by a cut line that got this far): kept, and put back below if
      // the host fails.
      record(w, "rebind", now);
      moved.push(w);
      ctx.journal.done(w.original, "rebound");
      continue;
    }
    if (asBefore && (error || t.status === "not-reached" || t.status === "refused" || (t.status === "failed" && !t.deleted))) {
      // Untouched. A refusal or a failure is this host's error; a binding the line never reached
      // was not attempted (its intent stays open, as a binding never tried by a failed host).
      if (t.status === "refused") {
        error ??= new CertfleetError("precondition", `binding ${w.original.endpoint} changed since it was read (compare-and-set refused): it now uses ${now.certHash ?? "no hash"}`, host);
        record(w, "failed", now, error.message);
        ctx.journal.done(w.original, "unchanged");
      } else if (t.status === "failed") {
        const verb = mode === "update" ? "update of" : "delete of";
        error ??= new CertfleetError(failureKind(t), `${verb} ${w.desired.endpoint} failed`, host, t.remote);
        record(w, "failed", now, error.message);
        ctx.journal.done(w.original, "unchanged");
      }
      continue;
    }
    if (t.status === "refused") {
      // The host showed another hash: the batch left it alone, and so does certfleet.
      error ??= new CertfleetError("precondition", `binding ${w.original.endpoint} changed since it was read (compare-and-set refused): it now uses ${now?.certHash ?? "no binding"}`, host);
      record(w, "failed", now, error.message);
      ctx.journal.done(w.original, "unchanged");
      continue;
    }
    if (t.status === "failed" && t.putBackExitCode === 0 && asBefore) {
      error ??= new CertfleetError(failureKind(t), `add of ${w.desired.endpoint} failed`, host, t.remote);
      record(w, "restored", now, error.message);
      ctx.journal.done(w.original, "restored");
      continue;
    }
    if (!error && (asBefore || (now === null && t.status === "unknown"))) {
      // Not reached by a line cut short, never sent after a cut, or deleted by a cut delete+add:
      // finish it alone (a missing binding is re-created on the new certificate).
      settle(w, await changeBinding(session, w.original, w.desired, { allowMissing: now === null }), false);
      continue;
    }
    if (t.status === "failed") error ??= new CertfleetError(failureKind(t), `${t.deleted ? "add of" : "update of"} ${w.desired.endpoint} failed`, host, t.remote);
    if (t.status === "changed") error ??= new CertfleetError("apply", `binding ${w.desired.endpoint} reads back differently than intended`, host);
    error ??= lost ?? new CertfleetError("apply", `binding ${w.desired.endpoint} did not settle`, host);
    if (now !== null && now.certHash !== w.original.certHash && now.certHash !== w.desired.certHash) {
      // A third certificate: someone else wrote it meanwhile. Theirs is kept.
      record(w, "failed", now, `binding ${w.original.endpoint} was changed by someone else while certfleet was changing it (compare-and-set): it now uses ${now.certHash ?? "no hash"}; left as it is`);
      ctx.journal.done(w.original, "unchanged");
      continue;
    }
    // Deleted by a cut or failed delete+add, or on a hash of ours with other settings: put the
    // original back through the safe protocol (a missing one: re-created as the original, which
    // is also what its manual commands would re-create if that fails).
    settle(w, await changeBinding(session, now ?? w.original, w.original, { allowMissing: true }), true);
  }

  if (!error) return { status: "changed", bindings: rows, commands };

  // Undo in reverse order so the host ends exactly as it was.
  const backs = await putBack(session, moved.map((m) => ({ original: m.original, moved: rows[m.index]!.after ?? m.desired })), ctx.journal);
  backs.forEach((back, i) => {
    const row = rows[moved[i]!.index]!;
    commands.push(...back.commands);
    if (back.result === "changed") {
      Object.assign(row, { action: "restored", after: back.after, reason: `${row.reason}; put back after ${error!.message}` });
    } else {
      attention = true;
      Object.assign(row, {
        action: "failed",
        after: back.after ?? undefined,
        manualCommand: back.result === "needs-attention" ? back.manualCommands.join("\n") : undefined,
        reason: `could not put back: ${back.error.message}`,
      });
    }
  });
  return { status: attention ? "needs-attention" : "failed", bindings: rows, error, commands };
}

/** A host without `netsh http update` (2012 R2) says so for the first update of the line. */
function lacksUpdate(o: Extract<CasOutcome, { status: "failed" }>): boolean {
  const r = classifyNetshResult(o.remote, o.exitCode);
  return !r.ok && (r.reason === "command-not-found" || r.reason === "syntax");
}

/** Error 5 / 740 on a change means the session lost (or never had) its elevation. */
function failureKind(o: Extract<CasOutcome, { status: "failed" }>): "elevation" | "apply" {
  const r = classifyNetshResult(o.remote, o.exitCode);
  return !r.ok && (r.reason === "access-denied" || r.reason === "elevation-required") ? "elevation" : "apply";
}
