/**
 * What moving a host's consumers from the old certificate to the new one takes, beyond the
 * http.sys rebind (pure). Each move carries its original value, so that the step that applies it
 * can journal it first and put it back on failure, rollback or resume; `applyCommand` and
 * `undoCommand` give the exact line for either shell. Order matters and is kept: key grants
 * first (no consumer may move to a key its service cannot read), then the WinRM listener, the
 * WMSvc value (after its :8172 binding moved), the RDP value last. Owner-managed bindings are
 * never moved here: they come back with the owner's commands for the report.
 */
import type { RemoteShell } from "../model/host-state.js";
import type { Binding } from "../model/binding.js";
import { classifyBinding } from "../windows/binding-owner.js";
import {
  keyGrantReadCommand,
  keyRemoveGrantCommand,
  ownerCommands,
  regDeleteValueCommand,
  regSetHashCommand,
  winrmSetThumbprintCommand,
  type ManagedOwner,
  type RegistryConsumer,
} from "../windows/consumer-commands.js";
import { extraReaders, WELL_KNOWN, sidsWithRead, type KeyAcl, type KeyLocation } from "../windows/key-acl-parse.js";
import type { RegHashReading } from "../windows/reg-parse.js";
import type { WinrmListener } from "../windows/winrm-listener-parse.js";
import { winrmHostnameBlock } from "./consumer-inventory.js";


/**
 * Why a grant cannot be planned yet: the new key is not readable. When the run delivers the new
 * certificate first, this is known only after the import (host/rollout-host.ts re-plans then).
 */
export const NEW_KEY_UNREADABLE = "the new certificate's private key could not be located or its ACL read, and accounts must be granted read on it";

export type ConsumerMove =
  | { kind: "key-grant"; thumbprint: string; location: KeyLocation; sid: string; why: string }
  | { kind: "winrm-listener"; address: string; from: string | null; to: string }
  | { kind: "registry"; consumer: RegistryConsumer; from: string | null; to: string };

export interface OwnerManagedUse {
  owner: ManagedOwner;
  binding: string;
  evidence: string[];
  /** what the operator runs instead */
  commands: string[];
}

export interface ConsumerMoveInput {
  newThumbprint: string;
  newCertNames: readonly string[];
  oldThumbprints: readonly string[];
  bindings: readonly Binding[];
  winrmListeners: readonly WinrmListener[] | null;
  rdp: RegHashReading | null;
  wmsvc: RegHashReading | null;
  /** the new key's location and ACL as read; null when they could not be read */
  newKey: { location: KeyLocation; acl: KeyAcl } | null;
  /** ACLs of the old keys, by thumbprint (missing: not read) */
  oldKeyAcls: Readonly<Record<string, KeyAcl>>;
}

export type ConsumerMovePlan = { blocked: string } | { blocked: null; moves: ConsumerMove[]; ownerManaged: OwnerManagedUse[]; notes: string[] };

export function planConsumerMoves(input: ConsumerMoveInput): ConsumerMovePlan {
  const old = new Set(input.oldThumbprints);
  const notes: string[] = [];
  const listeners = (input.winrmListeners ?? []).filter((l) => l.transport === "HTTPS" && l.certificateThumbprint !== null && old.has(l.certificateThumbprint));
  const hostnameBlock = winrmHostnameBlock(listeners, input.newCertNames);
  if (hostnameBlock) return { blocked: hostnameBlock };
  const unreadable = [input.rdp, input.wmsvc].filter((r): r is Extract<RegHashReading, { state: "unreadable" }> => r?.state === "unreadable");
  if (unreadable.length > 0) return { blocked: `a consumer's registry value could not be read (${unreadable.map((u) => u.reason).join("; ")}), so it could not be put back` };

  const rdpMoves = input.rdp?.state === "present" && old.has(input.rdp.thumbprint);
  const wmsvcMoves = input.wmsvc?.state === "present" && old.has(input.wmsvc.thumbprint);

  // Key grants: every extra reader of an old key in use, and NETWORK SERVICE for RDP.
  const wanted = new Map<string, string>();
  for (const t of input.oldThumbprints) {
    const acl = input.oldKeyAcls[t];
    if (acl) for (const sid of extraReaders(acl)) if (!wanted.has(sid)) wanted.set(sid, `reads the old key ${t.slice(0, 8)}…`);
  }
  if (rdpMoves && !wanted.has(WELL_KNOWN.networkService)) wanted.set(WELL_KNOWN.networkService, "the RDP listener (TermService runs as NETWORK SERVICE)");
  const moves: ConsumerMove[] = [];
  if (wanted.size > 0) {
    if (!input.newKey) return { blocked: NEW_KEY_UNREADABLE };
    const has = new Set(sidsWithRead(input.newKey.acl));
    for (const [sid, why] of wanted) {
      if (!has.has(sid)) moves.push({ kind: "key-grant", thumbprint: input.newThumbprint, location: input.newKey.location, sid, why });
    }
  }
  for (const l of listeners) moves.push({ kind: "winrm-listener", address: l.address, from: l.certificateThumbprint, to: input.newThumbprint });
  if (wmsvcMoves) moves.push({ kind: "registry", consumer: "wmsvc", from: (input.wmsvc as { thumbprint: string }).thumbprint, to: input.newThumbprint });
  if (rdpMoves) moves.push({ kind: "registry", consumer: "rdp", from: (input.rdp as { thumbprint: string }).thumbprint, to: input.newThumbprint });
  if (input.rdp?.state === "absent") notes.push("the RDP listener uses its self-signed certificate; left as it is");

  const ownerManaged: OwnerManagedUse[] = [];
  for (const b of input.bindings) {
    if (b.certHash === null || !old.has(b.certHash)) continue;
    const c = classifyBinding(b);
    if (c.handling !== "owner-managed") continue;
    const owner = c.owner as ManagedOwner;
    ownerManaged.push({ owner, binding: b.endpoint, evidence: c.evidence, commands: ownerCommands(owner, input.newThumbprint) });
  }
  return { blocked: null, moves, ownerManaged, notes };
}

export function applyCommand(shell: RemoteShell, move: ConsumerMove, host?: string): string {
  switch (move.kind) {
    case "key-grant":
      return keyGrantReadCommand(shell, move.location, move.sid, host);
    case "winrm-listener":
      return winrmSetThumbprintCommand(shell, move.address, move.to, host);
    case "registry":
      return regSetHashCommand(shell, move.consumer, move.to, host);
  }
}

/** Puts the original back: removes only the grant certfleet added; deletes a value that was absent. */
export function undoCommand(shell: RemoteShell, move: ConsumerMove, host?: string): string | null {
  switch (move.kind) {
    case "key-grant":
      return keyRemoveGrantCommand(shell, move.location, move.sid, host);
    case "winrm-listener":
      return move.from === null ? null : winrmSetThumbprintCommand(shell, move.address, move.from, host);
    case "registry":
      return move.from === null ? regDeleteValueCommand(shell, move.consumer) : regSetHashCommand(shell, move.consumer, move.from, host);
  }
}
