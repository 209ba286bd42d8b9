/**
 * verify's look at the certificate's other consumers: the owners' own settings read back (a WinRM
 * listener or WMSvc value that names another certificate than the binding http.sys serves is a
 * mismatch, even when http.sys serves the expected one: the owner re-applies its own setting on
 * restart), an owner setting or RDP value still on an old certificate (a straggler), and the RDP
 * listener proven by its handshake when it names the expected certificate.
 */
import type { ResolvedHost } from "../inventory/schema.js";
import type { HostState } from "../model/host-state.js";
import type { ConsumerRow } from "../host/outcome.js";
import { ownerMismatches } from "../plan/consumer-inventory.js";
import { REGISTRY_CONSUMERS } from "../windows/consumer-commands.js";
import { proveRdp } from "./verify-rdp.js";
import type { VerifyTiming } from "./verify-endpoint.js";

/** The consumer rows verify reports, before the RDP handshake (pure). */
export function consumerVerifyRows(state: HostState, expected: string, old: ReadonlySet<string>): ConsumerRow[] {
  const c = state.consumers;
  if (!c) return [];
  const rows: ConsumerRow[] = [];
  const inScope = (t: string | null) => t !== null && (t === expected || old.has(t));
  const mismatches = ownerMismatches({ bindings: state.bindings, winrmListeners: c.winrmListeners, rdp: c.rdp, wmsvc: c.wmsvc });
  for (const l of (c.winrmListeners ?? []).filter((x) => x.transport === "HTTPS")) {
    const name = `Listener?Address=${l.address}+Transport=HTTPS`;
    const mismatch = mismatches.find((m) => m.owner === "winrm-https" && m.ownerSetting === name);
    if (!inScope(l.certificateThumbprint) && !mismatch) continue;
    rows.push(settingRow("winrm-https", "winrm-listener", name, l.certificateThumbprint, expected, mismatch ? `${mismatch.binding} (http.sys serves ${mismatch.bindingHash ?? "nothing"})` : undefined));
  }
  if (c.wmsvc?.state === "present") {
    const name = `${REGISTRY_CONSUMERS.wmsvc.key}\\${REGISTRY_CONSUMERS.wmsvc.value}`;
    const mismatch = mismatches.find((m) => m.owner === "wmsvc");
    if (inScope(c.wmsvc.thumbprint) || mismatch) rows.push(settingRow("wmsvc", "registry", name, c.wmsvc.thumbprint, expected, mismatch ? `${mismatch.binding} (http.sys serves ${mismatch.bindingHash ?? "nothing"})` : undefined));
  }
  if (c.rdp?.state === "present" && inScope(c.rdp.thumbprint)) {
    rows.push(settingRow("rdp", "registry", `${REGISTRY_CONSUMERS.rdp.key}\\${REGISTRY_CONSUMERS.rdp.value}`, c.rdp.thumbprint, expected, undefined));
  }
  return rows;
}

function settingRow(owner: string, source: ConsumerRow["source"], name: string, hash: string | null, expected: string, drift: string | undefined): ConsumerRow {
  const base = { owner, source, name, certHash: hash };
  if (hash !== expected) {
    const error = `MISMATCH: ${name} names ${hash ?? "no certificate"}, not ${expected}${drift ? `, while its binding ${drift}` : ""}; the owner re-applies its own setting on restart`;
    return { ...base, reason: error, proof: { ok: false, expectedThumbprint: expected, error } };
  }
  if (drift) {
    const error = `MISMATCH: ${name} names the expected certificate but its binding ${drift}`;
    return { ...base, reason: error, proof: { ok: false, expectedThumbprint: expected, error } };
  }
  return { ...base, reason: "names the expected certificate", ...(owner === "rdp" ? {} : { proof: { ok: true, expectedThumbprint: expected } }) };
}

/** The rows with the RDP listener proven by its handshake. */
export async function verifyConsumers(host: ResolvedHost, state: HostState, expected: string, old: ReadonlySet<string>, timing: VerifyTiming): Promise<ConsumerRow[]> {
  const rows = consumerVerifyRows(state, expected, old);
  for (const r of rows) if (r.owner === "rdp" && !r.proof) r.proof = await proveRdp(host, expected, timing);
  return rows;
}
