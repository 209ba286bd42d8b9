/**
 * Proves that a binding's endpoint serves the expected certificate, retrying within a window:
 * IIS can keep serving the previous certificate until its application pool recycles.
 */
import type { TlsProof } from "./proof.js";
import { nameCovers } from "../certificate/names.js";
import type { EndpointTarget } from "./endpoint-target.js";
import type { ProbeTarget, ServedCertificate } from "./tls-probe.js";

export interface VerifyTiming {
  /** keep trying for this long after the first attempt (0: one attempt). */
  windowMs: number;
  /** pause between attempts. */
  intervalMs: number;
  handshakeTimeoutMs: number;
}

export interface VerifyDeps {
  probe: (t: ProbeTarget) => Promise<ServedCertificate>;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  /** told of every failed attempt before the next one: the operator sees what is waited for */
  onRetry?: (last: TlsProof) => void;
  /** true once the operator asked to stop (Ctrl-C): no further attempt */
  stopped?: () => boolean;
}

export async function verifyEndpoint(
  target: EndpointTarget,
  expected: string,
  timing: VerifyTiming,
  deps: VerifyDeps,
): Promise<TlsProof> {
  if (!target.check) return { ok: true, skipped: true, expectedThumbprint: expected, error: `not checked: ${target.reason}` };
  const start = deps.now();
  let attempts = 0;
  let last: TlsProof | undefined;
  for (;;) {
    attempts++;
    try {
      const served = await deps.probe({ host: target.host, port: target.port, serverName: target.serverName, timeoutMs: timing.handshakeTimeoutMs });
      const sniCovered = target.serverName ? served.dnsNames.some((n) => nameCovers(n, target.serverName!)) : undefined;
      last = {
        ok: served.thumbprint === expected,
        servedThumbprint: served.thumbprint,
        expectedThumbprint: expected,
        target: target.label,
        ...(target.serverName ? { serverName: target.serverName } : {}),
        notAfter: served.notAfter,
        ...(sniCovered === undefined ? {} : { sniCovered }),
        chainComplete: served.chainComplete,
        attempts,
      };
      if (!last.ok) last.error = `served ${served.thumbprint}, expected ${expected}`;
    } catch (err) {
      last = {
        ok: false,
        expectedThumbprint: expected,
        target: target.label,
        ...(target.serverName ? { serverName: target.serverName } : {}),
        attempts,
        error: `TLS handshake failed: ${err instanceof Error ? err.message : String(err)}`,
      };
    }
    if (last.ok || deps.now() - start + timing.intervalMs > timing.windowMs) return last;
    if (deps.stopped?.()) return { ...last, error: `${last.error ?? "mismatch"} (stopped by Ctrl-C before the window ended)` };
    deps.onRetry?.(last);
    await deps.sleep(timing.intervalMs);
    if (deps.stopped?.()) return { ...last, error: `${last.error ?? "mismatch"} (stopped by Ctrl-C before the window ended)` };
  }
}
