/**
 * Changes one consumer's setting (a key grant, the WinRM listener's thumbprint, a registry value)
 * under the same rules as a binding: read first and refuse when it is neither the original nor
 * the target (compare-and-set: someone else's value is kept), journal the original before the
 * change, send the change once (never again after a lost connection: the value is re-read
 * instead), read it back, journal what it ended as.
 */
import { CertfleetError } from "../model/errors.js";
import type { HostSession } from "../session/host-session.js";
import type { ConsumerStepName, JournaledMove } from "../journal/record.js";
import type { HostJournal } from "../journal/host-journal.js";
import { applyCommand, undoCommand, type ConsumerMove } from "../plan/consumer-moves.js";
import type { RemoteShell } from "../model/host-state.js";
import { WINRM_ENUMERATE, keyAclReadCommand, regQueryCommand, REGISTRY_CONSUMERS } from "../windows/consumer-commands.js";
import { parseWinrmListeners } from "../windows/winrm-listener-parse.js";
import { parseRegBinaryHash } from "../windows/reg-parse.js";
import { parseIcaclsSave, sidsWithRead } from "../windows/key-acl-parse.js";
import { isConnectionLost } from "../transport/transport.js";

/** What a consumer's setting holds now: a thumbprint or null (value absent / SID without read). */
export type MoveValue = string | null;

/** The value a move sets (`to`), and the one it started from (`from`), in MoveValue terms. */
export function endsOf(move: JournaledMove): { from: MoveValue; to: MoveValue } {
  return move.kind === "key-grant" ? { from: null, to: move.sid } : { from: move.from, to: move.to };
}

/** The command that reads the setting a move changes. */
export function readMoveCommand(shell: RemoteShell, move: JournaledMove | ConsumerMove, host?: string): string {
  switch (move.kind) {
    case "winrm-listener":
      return WINRM_ENUMERATE;
    case "registry":
      return regQueryCommand(shell, move.consumer);
    case "key-grant":
      return keyAclReadCommand(shell, move.location, host);
  }
}

/**
 * What `applyMove` sends when the setting is still the original (plan, --dry-run): read it,
 * change it once, read it back. The same builders as the move itself.
 */
export function plannedMove(shell: RemoteShell, move: ConsumerMove, host?: string): string[] {
  const read = readMoveCommand(shell, move, host);
  return [read, applyCommand(shell, move, host), read];
}

/** Reads the setting a move changes. */
export async function readMoveValue(session: HostSession, move: JournaledMove): Promise<MoveValue> {
  const command = readMoveCommand(session.shell, move, session.host);
  switch (move.kind) {
    case "winrm-listener": {
      const out = await session.readOnly(command);
      const l = parseWinrmListeners(out.text).listeners.find((x) => x.transport === "HTTPS" && x.address.toLowerCase() === move.address.toLowerCase());
      if (!l) throw new CertfleetError("parse", `the WinRM HTTPS listener ${move.address} could not be read back`, session.host, out.text.slice(0, 2000));
      return l.certificateThumbprint;
    }
    case "registry": {
      const out = await session.readOnly(command);
      const r = parseRegBinaryHash(out.text, REGISTRY_CONSUMERS[move.consumer].value);
      if (r.state === "unreadable") throw new CertfleetError("parse", `${REGISTRY_CONSUMERS[move.consumer].value} could not be read back: ${r.reason}`, session.host, out.text.slice(0, 2000));
      return r.state === "present" ? r.thumbprint : null;
    }
    case "key-grant": {
      const out = await session.readOnly(command);
      const acl = parseIcaclsSave(out.text);
      if (!acl.ok) throw new CertfleetError("parse", `the key ACL of ${move.thumbprint} could not be read back: ${acl.reason}`, session.host, out.text.slice(0, 2000));
      return sidsWithRead(acl.acl).includes(move.sid) ? move.sid : null;
    }
  }
}

export type MoveResult =
  | { result: "changed"; commands: string[] }
  | { result: "unchanged"; commands: string[] }
  | { result: "failed"; commands: string[]; error: CertfleetError; value: MoveValue }
  | { result: "third-party"; commands: string[]; error: CertfleetError; value: MoveValue };

/** Sends one command that changes a setting; a lost connection is ridden out by reconnecting (the value is re-read, never re-sent). */
async function sendChange(session: HostSession, command: string): Promise<{ text: string; code: number | null } | null> {
  try {
    return await session.run(command);
  } catch (err) {
    if (isConnectionLost(err) || (err instanceof CertfleetError && err.kind === "timeout")) {
      await session.reconnect();
      return null;
    }
    throw err;
  }
}

/**
 * Moves a setting from `from` to `to` (forward: the move's own direction; back: its reverse).
 * A value that is already `to` is left (unchanged); one that is neither is someone else's.
 */
async function moveBetween(session: HostSession, move: JournaledMove, direction: "forward" | "back"): Promise<MoveResult> {
  const ends = endsOf(move);
  const [from, to] = direction === "forward" ? [ends.from, ends.to] : [ends.to, ends.from];
  const commands: string[] = [];
  const now = await readMoveValue(session, move);
  if (now === to) return { result: "unchanged", commands };
  if (now !== from && move.kind !== "key-grant") {
    return { result: "third-party", commands, value: now, error: new CertfleetError("precondition", `${describeMove(move)} names ${now ?? "nothing"}, neither ${from ?? "nothing"} nor ${to ?? "nothing"}: changed by someone else; left as it is`, session.host) };
  }
  const command = direction === "forward" ? applyCommand(session.shell, move, session.host) : undoCommand(session.shell, move, session.host);
  if (command === null) {
    return { result: "failed", commands, value: now, error: new CertfleetError("apply", `${describeMove(move)} cannot be put back to an empty value by its owner's tool`, session.host) };
  }
  commands.push(command);
  const out = await sendChange(session, command);
  const after = await readMoveValue(session, move);
  if (after === to) return { result: "changed", commands };
  return {
    result: "failed",
    commands,
    value: after,
    error: new CertfleetError("apply", `${describeMove(move)}: ${direction === "forward" ? "the change" : "the restore"} did not take (now ${after ?? "nothing"})`, session.host, out?.text.trim().slice(0, 2000)),
  };
}

export async function applyMove(session: HostSession, step: ConsumerStepName, move: JournaledMove, journal: HostJournal): Promise<MoveResult> {
  journal.consumerIntent(step, move);
  const r = await moveBetween(session, move, "forward");
  journal.consumerDone(step, move, r.result === "changed" ? "rebound" : r.result === "unchanged" ? "unchanged" : "failed");
  return r;
}

export async function undoMove(session: HostSession, step: ConsumerStepName, move: JournaledMove, journal: HostJournal): Promise<MoveResult> {
  const r = await moveBetween(session, move, "back");
  if (r.result === "changed") journal.consumerDone(step, move, "restored");
  else if (r.result === "failed") journal.consumerDone(step, move, "needs-attention");
  return r;
}

export function describeMove(move: JournaledMove): string {
  switch (move.kind) {
    case "key-grant":
      return `read on the key of ${move.thumbprint} for ${move.sid}`;
    case "winrm-listener":
      return `the WinRM HTTPS listener ${move.address}`;
    case "registry":
      return `${REGISTRY_CONSUMERS[move.consumer].value} (${move.consumer === "rdp" ? "RDP listener" : "Web Management Service"})`;
  }
}
