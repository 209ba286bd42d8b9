/**
 * Moves one http.sys binding from one full record to another, safely: every step re-reads the
 * binding and decides from what http.sys really holds, so a dropped session, a timeout or a failed
 * add all land in one of three ends: the target record, the original record, or (only when even
 * the restore failed) a report of exactly what to run by hand.
 */
import type { Binding } from "../model/binding.js";
import type { RemoteShell } from "../model/host-state.js";
import { BudgetSpentError, CertfleetError } from "../model/errors.js";
import type { ChangeOp, ChangeReply, ChangeSession, HostCapabilities } from "../session/host-session.js";
import { isConnectionLost } from "../transport/transport.js";
import { addBindingCommand, deleteBindingCommand, sameBinding, showBindingCommand, updateBindingCommand } from "../windows/commands.js";

export type ChangeOutcome =
  | { result: "changed"; after: Binding; commands: string[] }
  /** nothing was changed: compare-and-set refused, or the first change failed without effect. */
  | { result: "untouched"; after: Binding | null; error: CertfleetError; commands: string[] }
  /** the change failed after the original was removed; the original is back and read back. */
  | { result: "restored"; after: Binding; error: CertfleetError; commands: string[] }
  /** the restore failed too: `manualCommands` is a complete sequence to paste, or empty and `manualWhy` says why. */
  | { result: "needs-attention"; after: Binding | null; error: CertfleetError; manualCommands: string[]; manualWhy?: string; commands: string[] };

export interface ChangeOptions {
  /** true for rollback and resume: a missing binding is re-created rather than refused. */
  allowMissing?: boolean;
  /** how many lost connections or timeouts to ride out for this binding. */
  maxInterruptions?: number;
}

const MAX_STEPS = 12;

export async function changeBinding(session: ChangeSession, from: Binding, to: Binding, options: ChangeOptions = {}): Promise<ChangeOutcome> {
  const host = session.host;
  const commands: string[] = [];
  let phase: "forward" | "restore" = "forward";
  let firstError: CertfleetError | undefined;
  let interruptions = 0;
  let triedForward = false;
  let triedUpdateBack = false;
  // The original was re-created by an add that succeeded: from then on it is never deleted again.
  let putBack = false;
  let current: Binding | null = null;
  // Whether any add/delete/update was sent, whether `current` was read after the last one, and
  // whether the command in flight is a change: they decide what a failure can have left behind.
  let mutated = false;
  let fresh = false;
  let writing = false;

  const send = async (op: ChangeOp, b: Binding): Promise<ChangeReply> => {
    const reply = await session.change(op, b, (command) => {
      commands.push(command);
      mutated = true;
      fresh = false;
      writing = true;
    });
    writing = false;
    return reply;
  };
  const fail = (what: string, reply: ChangeReply) => {
    const r = reply.result;
    // Error 5 / 740 on a change means the session lost (or never had) its elevation.
    const kind = !r.ok && (r.reason === "access-denied" || r.reason === "elevation-required") ? "elevation" : "apply";
    return new CertfleetError(kind, `${what} ${to.endpoint} failed`, host, reply.text.trim());
  };

  for (let step = 0; step < MAX_STEPS; step++) {
    try {
      writing = false;
      current = await session.readBinding(from);
      fresh = true;
      if (current && (triedForward || phase === "restore") && current.certHash !== from.certHash && current.certHash !== to.certHash) {
        // Our own commands only ever leave `from` or `to`: a third certificate was put there by
        // someone else (another run, an admin) while we worked. Theirs is kept, never "restored" over.
        return {
          result: "untouched",
          after: current,
          commands,
          error: new CertfleetError("precondition", `binding ${from.endpoint} was changed by someone else while certfleet was changing it (compare-and-set): it now uses ${current.certHash ?? "no hash"}; left as it is`, host),
        };
      }
      if (current && sameBinding(current, to) && phase === "forward") {
        return { result: "changed", after: current, commands };
      }
      if (phase === "forward") {
        if (current === null) {
          if (!triedForward && !options.allowMissing) {
            return { result: "untouched", after: null, commands, error: new CertfleetError("precondition", `binding ${from.endpoint} no longer exists (changed since the plan)`, host) };
          }
          triedForward = true;
          const add = await send("add", to);
          if (!add.result.ok) {
            firstError ??= fail("add of", add);
            phase = "restore";
          }
          continue;
        }
        if (!sameBinding(current, from)) {
          if (!triedForward) {
            return {
              result: "untouched",
              after: current,
              commands,
              error: new CertfleetError("precondition", `binding ${from.endpoint} changed since it was read (compare-and-set refused): it now uses ${current.certHash ?? "no hash"}`, host),
            };
          }
          firstError ??= new CertfleetError("apply", `binding ${to.endpoint} reads back differently than intended`, host);
          phase = "restore";
          continue;
        }
        // current is exactly `from`.
        if (triedForward && firstError) {
          return { result: "untouched", after: current, commands, error: firstError };
        }
        triedForward = true;
        if (session.learned.update !== "no") {
          const upd = await send("update", to);
          if (upd.result.ok) continue;
          // The session learned from this reply whether the host has `update` at all.
          if (updateSupport(session) !== "no") {
            firstError = fail("update of", upd);
            continue;
          }
        }
        // Both add commands must be buildable BEFORE the delete: never remove what cannot be put back.
        try {
          addBindingCommand(session.shell, to, host);
          addBindingCommand(session.shell, from, host);
        } catch (err) {
          return { result: "untouched", after: current, commands, error: err as CertfleetError };
        }
        const del = await send("delete", from);
        if (!del.result.ok) {
          firstError = fail("delete of", del);
          continue;
        }
        const add = await send("add", to);
        if (!add.result.ok) {
          firstError = fail("add of", add);
          phase = "restore";
        }
        continue;
      }

      // phase === "restore": put `from` back exactly.
      if (current && sameBinding(current, from)) {
        return { result: "restored", after: current, commands, error: firstError! };
      }
      if (current !== null) {
        if (session.learned.update === "yes" && !triedUpdateBack) {
          triedUpdateBack = true;
          const upd = await send("update", from);
          if (upd.result.ok) continue;
        }
        // Re-created, yet it reads back differently (a value netsh cannot reproduce): deleting it
        // again cannot do better, and a step budget running out after the delete would lose it.
        if (putBack) break;
        const del = await send("delete", current);
        if (!del.result.ok) break;
        continue;
      }
      const add = await send("add", from);
      if (add.result.ok) putBack = true;
      if (!add.result.ok) {
        const again = await session.readBinding(from).catch(() => null);
        if (again && sameBinding(again, from)) return { result: "restored", after: again, commands, error: firstError! };
        current = again;
        break;
      }
    } catch (err) {
      const interrupted = isConnectionLost(err) || (err instanceof CertfleetError && err.kind === "timeout");
      if (err instanceof CertfleetError && err.kind === "timeout" && writing && phase === "forward") {
        // A change that hangs is not sent again: its effect is unknown, so after reconnecting the
        // binding is read back and the original put back if it is not already there. Every
        // restore attempt from here shares one window: a host whose adds all hang must not
        // hold the run for one full timeout per attempt.
        firstError ??= err;
        phase = "restore";
        session.startRestoreWindow?.();
      }
      // The host's time budget and its restore window are spent: nothing more is sent.
      if (err instanceof BudgetSpentError) {
        firstError ??= err;
        break;
      }
      if (!interrupted || ++interruptions > (options.maxInterruptions ?? 3)) {
        firstError ??= err instanceof CertfleetError ? err : new CertfleetError("apply", String(err), host);
        break;
      }
      await session.reconnect().catch((e: unknown) => {
        firstError ??= e instanceof CertfleetError ? e : new CertfleetError("unreachable", String(e), host);
        interruptions = Number.POSITIVE_INFINITY;
      });
      if (interruptions === Number.POSITIVE_INFINITY) break;
    }
  }

  const error = firstError ?? new CertfleetError("apply", `binding ${from.endpoint} did not settle`, host);
  // Nothing was sent that could change the binding (the host went away before the first change):
  // it is as it was, and saying otherwise would send an operator to fix what is not broken.
  if (!mutated) return { result: "untouched", after: current, error, commands };
  if (fresh && current && sameBinding(current, from)) return { result: "restored", after: current, error, commands };
  // For an elevated cmd.exe on the host (what the summary tells the operator to open).
  const manual = manualRestore(from, current);
  return {
    result: "needs-attention",
    after: current,
    error,
    commands,
    manualCommands: manual.commands,
    ...(manual.why !== undefined ? { manualWhy: manual.why } : {}),
  };
}

/**
 * What `changeBinding` sends when all goes as planned (plan, --dry-run): read the binding, change
 * it (`update`, or where the host has none, delete then add), read it back. Built by the
 * builders `session.change` and `session.readBinding` use. Where update is missing and `add`
 * cannot re-create the binding, `changeBinding` refuses it after the first read (nothing
 * changed): that read is all it sends, and `refused` says why.
 */
export function plannedChange(shell: RemoteShell, from: Binding, to: Binding, update: HostCapabilities["update"], host?: string): { commands: string[]; refused?: string } {
  const read = showBindingCommand(shell, from, host);
  if (update !== "no") return { commands: [read, updateBindingCommand(shell, to, host), read] };
  try {
    addBindingCommand(shell, to, host);
    addBindingCommand(shell, from, host);
  } catch (err) {
    return { commands: [read], refused: err instanceof Error ? err.message : String(err) };
  }
  return { commands: [read, deleteBindingCommand(shell, from, host), addBindingCommand(shell, to, host), read] };
}

/** Read through a function: the session learns it while a change is in flight. */
function updateSupport(session: ChangeSession): HostCapabilities["update"] {
  return session.learned.update;
}

/**
 * What an operator gets for a binding certfleet could not put back: a complete sequence that is
 * safe to paste into the host's shell (elevated), or no command at all and why. Never a lone
 * delete: a delete is printed only when the add that puts the original back, with every original
 * setting, follows it; when that add cannot be built safely there is nothing to paste and the
 * report keeps the original record to restore from.
 */
export interface ManualRestore {
  commands: string[];
  /** set when `commands` is empty: why no command is safe. */
  why?: string;
}

export function manualRestore(original: Binding, current: Binding | null, shell: RemoteShell = "cmd"): ManualRestore {
  const message = (err: unknown) => (err instanceof Error ? err.message : String(err));
  let add: string;
  try {
    add = addBindingCommand(shell, original);
  } catch (err) {
    // A value that fails the grammar is never echoed back as a command to paste.
    return { commands: [], why: `the add command that would put the original back cannot be built safely (${message(err)}), and a delete alone would lose the binding` };
  }
  if (current === null) return { commands: [add] };
  try {
    // The delete names the original's own key (what `current` was read by): the add that follows puts that very binding back.
    return { commands: [deleteBindingCommand(shell, original), add] };
  } catch (err) {
    return { commands: [], why: `the delete of what the binding holds now cannot be built safely (${message(err)}), and the add fails while it is there` };
  }
}

/**
 * The report fields of a binding left for the operator: the command sequence to paste, or
 * (none being safe) why, in the reason, pointing at the original record the row carries.
 */
export function manualFields(m: { manualCommands: string[]; manualWhy?: string }, reason: string): { manualCommand?: string; reason: string } {
  if (m.manualCommands.length > 0) return { manualCommand: m.manualCommands.join("\n"), reason };
  return { reason: `${reason}; no command to paste: ${m.manualWhy ?? "none can be built safely"}; restore the original record shown in this row (before) by hand` };
}
