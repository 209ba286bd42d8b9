/**
 * The consumer steps' plan for one host (pure): from discovery's readings and the target, what
 * the grant, owners and rdp steps move (planConsumerMoves), which http.sys bindings the owners
 * step moves together with their owner's setting (so the rebind step leaves them), and which
 * owner-managed bindings are left to their owner (unless the operator chose to rebind them).
 */
import type { Binding } from "../model/binding.js";
import { bindingKey } from "../model/binding.js";
import type { HostState } from "../model/host-state.js";
import type { Target } from "../certificate/target.js";
import { namesOf } from "../certificate/names.js";
import { classifyBinding } from "../windows/binding-owner.js";
import type { KeyAcl } from "../windows/key-acl-parse.js";
import { defaultOldThumbprints } from "./old-certificates.js";
import { planConsumerMoves, type ConsumerMove, type OwnerManagedUse } from "./consumer-moves.js";
import type { HostPlan, PlannedBinding } from "./schema.js";

export interface HostConsumerPlan {
  /** why nothing may change on the host (a WinRM Hostname the new certificate does not cover, ...) */
  blocked: string | null;
  moves: ConsumerMove[];
  /** binding keys the owners step moves with their owner's setting: the rebind step leaves them */
  ownedBindings: ReadonlySet<string>;
  /** owner-managed bindings on an old certificate left to their owner (empty when the operator chose to rebind them) */
  ownerManaged: OwnerManagedUse[];
  notes: string[];
}

const EMPTY: HostConsumerPlan = { blocked: null, moves: [], ownedBindings: new Set(), ownerManaged: [], notes: [] };

export function oldThumbprintsOf(state: HostState, target: Target): string[] {
  return target.oldThumbprints.length > 0 ? target.oldThumbprints : defaultOldThumbprints(state.certificates, target.newCert);
}

export function planHostConsumers(state: HostState, target: Target): HostConsumerPlan {
  const readings = state.consumers;
  const newThumb = target.newCert.thumbprint;
  const oldThumbs = oldThumbprintsOf(state, target);
  const old = new Set(oldThumbs);
  const leave = (target.ownerManaged ?? "leave") === "leave";
  const onOld = (b: Binding) => b.certHash !== null && old.has(b.certHash);
  const ownerManagedBindings = state.bindings.filter((b) => onOld(b) && classifyBinding(b).handling === "owner-managed");
  const inStore = state.certificates.find((c) => c.thumbprint === newThumb);
  const base = {
    newThumbprint: newThumb,
    newCertNames: target.newCert.dnsNames ?? namesOf(inStore?.subject, inStore?.dnsNames),
    oldThumbprints: oldThumbs,
    bindings: state.bindings,
  };
  if (!readings) {
    // Discovery did not read the owners' settings: only the owner-managed rule applies.
    const only = planConsumerMoves({ ...base, winrmListeners: null, rdp: null, wmsvc: null, newKey: null, oldKeyAcls: {} });
    return leave && only.blocked === null ? { ...EMPTY, ownerManaged: only.ownerManaged } : EMPTY;
  }
  const keys = readings.keys ?? {};
  const newKey = keys[newThumb];
  const oldKeyAcls: Record<string, KeyAcl> = {};
  for (const t of oldThumbs) {
    const k = keys[t];
    if (k?.ok) oldKeyAcls[t] = k.acl;
  }
  const plan = planConsumerMoves({
    ...base,
    winrmListeners: readings.winrmListeners,
    rdp: readings.rdp,
    wmsvc: readings.wmsvc,
    newKey: newKey?.ok ? { location: newKey.location, acl: newKey.acl } : null,
    oldKeyAcls,
  });
  if (plan.blocked !== null) return { ...EMPTY, blocked: plan.blocked };
  const moves = plan.moves;
  if (moves.length > 0) {
    if (!state.elevated) return { ...EMPTY, blocked: "the remote session is not elevated: the consumers' settings cannot be changed" };
    if (!inStore) return { ...EMPTY, blocked: `the new certificate ${newThumb} is not in LocalMachine\\My, and a consumer (${moves.map((m) => m.kind).join(", ")}) must move to it` };
    if (inStore.hasPrivateKey === false) return { ...EMPTY, blocked: `the new certificate ${newThumb} has no usable private key on this host` };
  }
  // The owners step moves a WinRM or WMSvc binding together with its owner's own setting.
  const listenerMoves = moves.some((m) => m.kind === "winrm-listener");
  const wmsvcMoves = moves.some((m) => m.kind === "registry" && m.consumer === "wmsvc");
  const owned = new Set<string>();
  for (const b of state.bindings) {
    if (!onOld(b)) continue;
    const c = classifyBinding(b);
    if ((c.owner === "winrm-https" && listenerMoves) || (c.owner === "wmsvc" && wmsvcMoves)) owned.add(bindingKey(b));
  }
  // (planConsumerMoves' note on an RDP listener with its self-signed certificate is left out: that
  // listener does not use the old certificate, and every host without an RDP certificate has it.)
  const notes: string[] = [];
  if (!leave && ownerManagedBindings.length > 0) notes.push(`owner-managed binding(s) ${ownerManagedBindings.map((b) => b.endpoint).join(", ")} rebound by netsh as asked (--rebind-owner-managed); their owner's own configuration still names the old certificate`);
  return { blocked: null, moves, ownedBindings: owned, ownerManaged: leave ? plan.ownerManaged : [], notes };

}

/**
 * The http.sys plan split between the rebind step and the owners step (pure): bindings the owners
 * step moves with their owner's setting, and owner-managed bindings left to their owner, are
 * `none` in the rebind part (with the reason); the owners part holds only the former, as planned.
 */
export function splitByOwner(plan: HostPlan, consumers: HostConsumerPlan): { rebind: HostPlan; owners: HostPlan } {
  const managed = new Map(consumers.ownerManaged.map((o) => [o.binding, o]));
  const rebindBindings = plan.bindings.map((p): PlannedBinding => {
    if (p.action !== "rebind") return p;
    if (consumers.ownedBindings.has(bindingKey(p.current))) {
      return { current: p.current, action: "none", scope: p.scope, reason: `moved with its owner's own setting by the owners step (${classifyBinding(p.current).owner})` };
    }
    const o = p.current.kind === "ipport" || p.current.kind === "hostnameport" ? managed.get(p.current.endpoint) : undefined;
    if (o) return { current: p.current, action: "none", scope: p.scope, reason: `owner-managed (${o.owner}): left to its owner, needs attention: its commands are with the host's consumers` };
    return p;
  });
  const ownersBindings = plan.bindings.filter((p) => p.action === "rebind" && consumers.ownedBindings.has(bindingKey(p.current)));
  const outcomeOf = (bs: PlannedBinding[]): HostPlan["outcome"] => (plan.outcome === "blocked" ? "blocked" : bs.some((b) => b.action === "rebind") ? "rebind" : "unchanged");
  return {
    rebind: { ...plan, bindings: rebindBindings, outcome: outcomeOf(rebindBindings) },
    owners: { ...plan, findings: [], bindings: ownersBindings, outcome: outcomeOf(ownersBindings) === "blocked" ? "unchanged" : outcomeOf(ownersBindings) },
  };
}
