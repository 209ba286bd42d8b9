/**
 * The consumers discovery found, as report rows (pure): the owners' own settings (WinRM HTTPS
 * listeners, the RDP and WMSvc values) and the http.sys bindings whose owner is not IIS or nobody
 * (WinRM, WMSvc, AD FS, WAP, SSTP, Exchange), each with the evidence that named its owner. IIS
 * and unowned bindings are the report's binding rows already; an absent registry value is no consumer.
 */
import type { HostState } from "../model/host-state.js";
import { consumersOf } from "../plan/consumer-inventory.js";
import type { ConsumerRow } from "./outcome.js";

export function discoveredConsumers(state: HostState): ConsumerRow[] {
  const c = state.consumers;
  const all = consumersOf({ bindings: state.bindings, winrmListeners: c?.winrmListeners ?? null, rdp: c?.rdp ?? null, wmsvc: c?.wmsvc ?? null });
  return all
    .filter((x) => x.source !== "binding" || (x.owner !== "iis" && x.owner !== "none"))
    // An absent value names nothing (RDP on its self-signed certificate): not a consumer.
    .filter((x) => !(x.source === "registry" && x.certHash === null && x.evidence.some((e) => e.startsWith("no value"))))
    .map((x) => ({ owner: x.owner, source: x.source, name: x.name, certHash: x.certHash, handling: x.handling, reason: x.evidence.join("; ") }));
}
