/** Checks a set of bindings of one host over TLS, each against its expected thumbprint. */
import type { ResolvedHost } from "../inventory/schema.js";
import type { Binding } from "../model/binding.js";
import type { TlsProof } from "./proof.js";
import { endpointTarget } from "./endpoint-target.js";
import { probeTls } from "./tls-probe.js";
import { verifyEndpoint, type VerifyDeps, type VerifyTiming } from "./verify-endpoint.js";

export const realVerifyDeps: VerifyDeps = {
  probe: probeTls,
  now: () => Date.now(),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

export async function verifyBindings(
  host: Pick<ResolvedHost, "address" | "address6" | "tls">,
  checks: ReadonlyArray<{ binding: Pick<Binding, "kind" | "endpoint">; expected: string }>,
  timing: VerifyTiming,
  deps: VerifyDeps = realVerifyDeps,
): Promise<TlsProof[]> {
  // Endpoints of one host are checked together: the window is shared, not multiplied.
  return Promise.all(checks.map((c) => verifyEndpoint(endpointTarget(c.binding, host), c.expected, timing, deps)));
}
