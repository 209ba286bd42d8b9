/**
 * The private keys the grant step needs, read only when a service consumer (the RDP listener, the
 * WinRM listener, WMSvc) names an old certificate: then the new key's location and ACL (to grant
 * on it) and each old key's ACL (whose extra readers carry over). Two reads per certificate
 * (`certutil -store My <thumbprint>`, the key file's ACL); none on a host where only IIS or nobody
 * uses the old certificate: http.sys reads keys as SYSTEM, and nothing else was seen to need them.
 */
import type { Target } from "../certificate/target.js";
import type { HostState } from "../model/host-state.js";
import type { KeyReading } from "../model/consumer.js";
import type { HostSession } from "../session/host-session.js";
import { oldThumbprintsOf } from "../plan/consumer-steps.js";
import { keyAclReadCommand, keyLocationCommand } from "../windows/consumer-commands.js";
import { parseIcaclsSave, parseKeyLocation } from "../windows/key-acl-parse.js";

/** Which certificates' keys the consumer steps need read on this host (pure). */
export function keysNeeded(state: HostState, target: Target): string[] {
  const c = state.consumers;
  if (!c) return [];
  const old = new Set(oldThumbprintsOf(state, target));
  const named = [
    ...(c.winrmListeners ?? []).filter((l) => l.transport === "HTTPS").map((l) => l.certificateThumbprint),
    c.rdp?.state === "present" ? c.rdp.thumbprint : null,
    c.wmsvc?.state === "present" ? c.wmsvc.thumbprint : null,
  ].filter((t): t is string => t !== null && old.has(t));
  if (named.length === 0) return [];
  const newThumb = target.newCert.thumbprint;
  const inStore = (t: string) => state.certificates.some((x) => x.thumbprint === t && (x.store ?? "My") === "My");
  return [...new Set([newThumb, ...named])].filter(inStore);
}

async function readKey(session: HostSession, thumbprint: string): Promise<KeyReading> {
  const loc = parseKeyLocation((await session.readOnly(keyLocationCommand(thumbprint, session.host))).text);
  if (!loc.ok) return { ok: false, reason: loc.reason };
  const acl = parseIcaclsSave((await session.readOnly(keyAclReadCommand(session.shell, loc.location, session.host))).text);
  if (!acl.ok) return { ok: false, reason: acl.reason };
  return { ok: true, location: loc.location, acl: acl.acl };
}

/** The state with the keys the consumer steps need (unchanged when none is needed). */
export async function withConsumerKeys(session: HostSession, state: HostState, target: Target): Promise<HostState> {
  const wanted = keysNeeded(state, target);
  if (wanted.length === 0 || !state.consumers) return state;
  const keys: Record<string, KeyReading> = {};
  for (const t of wanted) keys[t] = await readKey(session, t);
  return { ...state, consumers: { ...state.consumers, keys } };
}
