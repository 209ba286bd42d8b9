/**
 * The RDP listener's proof: an X.224 Connection Request asking for PROTOCOL_SSL, then the TLS
 * handshake, at the host's 3389 (or the inventory's `tls.endpoints["0.0.0.0:3389"]`): the
 * certificate it serves must be the expected one. A listener that refuses TLS, or serves its
 * self-signed certificate because TermService cannot read the key, fails the proof.
 */
import type { ResolvedHost } from "../inventory/schema.js";
import { endpointTarget } from "./endpoint-target.js";
import type { TlsProof } from "./proof.js";
import { probeRdp } from "./rdp-probe.js";
import type { VerifyTiming } from "./verify-endpoint.js";

export const RDP_ENDPOINT = "0.0.0.0:3389";

export async function proveRdp(host: Pick<ResolvedHost, "address" | "address6" | "tls">, expected: string, timing: Pick<VerifyTiming, "handshakeTimeoutMs">): Promise<TlsProof> {
  const target = endpointTarget({ kind: "ipport", endpoint: RDP_ENDPOINT }, host);
  if (!target.check) return { ok: true, skipped: true, expectedThumbprint: expected, error: `not checked: ${target.reason}` };
  try {
    const served = await probeRdp({ host: target.host, port: target.port, timeoutMs: timing.handshakeTimeoutMs });
    const ok = served.thumbprint === expected;
    return { ok, servedThumbprint: served.thumbprint, expectedThumbprint: expected, target: target.label, notAfter: served.notAfter, attempts: 1, ...(ok ? {} : { error: `the RDP listener serves ${served.thumbprint}, not ${expected}` }) };
  } catch (err) {
    return { ok: false, expectedThumbprint: expected, target: target.label, attempts: 1, error: err instanceof Error ? err.message : String(err) };
  }
}
