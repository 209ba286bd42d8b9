/**
 * Moves one http.sys binding from one full record to another, safely: every step re-reads the
 * binding and decides from what http.sys really holds, so a dropped session, a timeout or a failed
 * add all land in one of three ends: the target record, the original record, or (only when even
 * the restore failed) a report of exactly what to run by hand.
 */
import type { Binding } from "../model/binding.js";
import { CertfleetError } from "../model/errors.js";
import type { HostSession } from "../session/host-session.js";
import { isConnectionLost } from "../transport/transport.js";
import { addBindingCommand, deleteBindingCommand, sameBinding, updateBindingCommand } from "../windows/commands.js";
import { classifyNetshResult } from "../windows/netsh-result.js";

export interface HostCapabilities {
  /** whether `netsh http update sslcert` exists; learned at the first try (absent on 2012 R2). */
  update: "unknown" | "yes" | "no";
}

export type ChangeOutcome =
  | { result: "changed"; after: Binding; commands: string[] }
  /** nothing was changed: compare-and-set refused, or the first change failed without effect. */
  | { result: "untouched"; after: Binding | null; error: CertfleetError; commands: string[] }
  /** the change failed after the original was removed; the original is back and read back. */
  | { result: "restored"; after: Binding; error: CertfleetError; commands: string[] }
  | { result: "needs-attention"; after: Binding | null; error: CertfleetError; manualCommands: string[]; commands: string[] };

export interface ChangeOptions {
  /** true for rollback and resume: a missing binding is re-created rather than refused. */
  allowMissing?: boolean;
  /** how many lost connections or timeouts to ride out for this binding. */
  maxInterruptions?: number;
}

const MAX_STEPS = 12;

export async function changeBinding(
  session: HostSession,
  from: Binding,
  to: Binding,
  caps: HostCapabilities,
  options: ChangeOptions = {},
): Promise<ChangeOutcome> {
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

  const exec = async (command: string) => {
    commands.push(command);
    mutated = true;
    fresh = false;
    writing = true;
    const out = await session.run(command);
    writing = false;
    return { out, result: classifyNetshResult(out.text, out.code) };
  };
  const fail = (what: string, text: string) => {
    const r = classifyNetshResult(text, null);
    // Error 5 / 740 on a change means the session lost (or never had) its elevation.
    const kind = !r.ok && (r.reason === "access-denied" || r.reason === "elevation-required") ? "elevation" : "apply";
    return new CertfleetError(kind, `${what} ${to.endpoint} failed`, host, text.trim());
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
          const add = await exec(addBindingCommand(session.shell, to, host));
          if (!add.result.ok) {
            firstError ??= fail("add of", add.out.text);
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
        if (caps.update !== "no") {
          const upd = await exec(updateBindingCommand(session.shell, to, host));
          if (upd.result.ok) {
            caps.update = "yes";
            continue;
          }
          if (upd.result.reason === "command-not-found" || upd.result.reason === "syntax") {
            caps.update = "no";
          } else {
            firstError = fail("update of", upd.out.text);
            continue;
          }
        }
        // Both add commands must be buildable BEFORE the delete: never remove what cannot be put back.
        let addTo: string;
        try {
          addTo = addBindingCommand(session.shell, to, host);
          addBindingCommand(session.shell, from, host);
        } catch (err) {
          return { result: "untouched", after: current, commands, error: err as CertfleetError };
        }
        const del = await exec(deleteBindingCommand(session.shell, from, host));
        if (!del.result.ok) {
          firstError = fail("delete of", del.out.text);
          continue;
        }
        const add = await exec(addTo);
        if (!add.result.ok) {
          firstError = fail("add of", add.out.text);
          phase = "restore";
        }
        continue;
      }

      // phase === "restore": put `from` back exactly.
      if (current && sameBinding(current, from)) {
        return { result: "restored", after: current, commands, error: firstError! };
      }
      if (current !== null) {
        if (caps.update === "yes" && !triedUpdateBack) {
          triedUpdateBack = true;
          const upd = await exec(updateBindingCommand(session.shell, from, host));
          if (upd.result.ok) continue;
        }
        // Re-created, yet it reads back differently (a value netsh cannot reproduce): deleting it
        // again cannot do better, and a step budget running out after the delete would lose it.
        if (putBack) break;
        const del = await exec(deleteBindingCommand(session.shell, current, host));
        if (!del.result.ok) break;
        continue;
      }
      const add = await exec(addBindingCommand(session.shell, from, host));
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
        // binding is read back and the original put back if it is not already there.
        firstError ??= err;
        phase = "restore";
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
  return {
    result: "needs-attention",
    after: current,
    error,
    commands,
    manualCommands: manualRestore(from, current),
  };
}

/** What an operator runs by hand (cmd.exe, elevated) to put `original` back. */
export function manualRestore(original: Binding, current: Binding | null): string[] {
  const cmds: string[] = [];
  const build = (f: () => string, what: string) => {
    try {
      cmds.push(f());
    } catch (err) {
      // A value that fails the grammar is never echoed back as a command to paste.
      cmds.push(`REM cannot build the ${what} command safely: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  if (current !== null) build(() => deleteBindingCommand("cmd", current), "delete");
  build(() => addBindingCommand("cmd", original), "add");
  return cmds;
}
