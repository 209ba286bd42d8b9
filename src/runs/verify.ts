/**
 * `certfleet verify`: the post-rollout verification report. Every binding on the expected
 * certificate or on an old one is read back and checked over TLS; a binding still on an old
 * certificate is a straggler (a mismatch); bindings on unrelated certificates are out of scope.
 */
import pLimit from "p-limit";
import type { ResolvedHost } from "../inventory/schema.js";
import { CertfleetError } from "../model/errors.js";
import { defaultOldThumbprints } from "../plan/old-certificates.js";
import type { Target } from "../certificate/target.js";
import type { BindingOutcome, HostOutcome, RunOutcome } from "../host/outcome.js";
import { hostError, visitHost, type FleetDeps } from "../host/visit.js";
import { verifyBindings } from "../verify/verify-bindings.js";
import { verifyConsumers } from "../verify/verify-consumers.js";
import { classifyBinding } from "../windows/binding-owner.js";
import { ownerCommands, type ManagedOwner } from "../windows/consumer-commands.js";
import type { VerifyDeps, VerifyTiming } from "../verify/verify-endpoint.js";

export interface VerifyRunOptions {
  target: Target;
  concurrency: number;
  timing: VerifyTiming;
  deps?: VerifyDeps;
}

export function verifyHost(host: ResolvedHost, deps: FleetDeps, opts: VerifyRunOptions): Promise<HostOutcome> {
  return visitHost(
    host,
    deps,
    async (session, elapsed) => {
      const state = await session.discover();
      const expected = opts.target.newCert.thumbprint;
      const old = new Set(opts.target.oldThumbprints.length > 0 ? opts.target.oldThumbprints : defaultOldThumbprints(state.certificates, opts.target.newCert));
      const rows: BindingOutcome[] = state.bindings.map((b) => {
        const scope = b.certHash === expected ? "new" : b.certHash !== null && old.has(b.certHash) ? "old" : b.certHash === null ? "none" : "unrelated";
        const reason = scope === "new" ? "bound to the expected certificate" : scope === "old" ? "STRAGGLER: still bound to an old certificate" : "out of scope: unrelated certificate";
        // A straggler whose owner manages it (AD FS, WAP, SSTP, Exchange): the owner's command moves it.
        const owner = classifyBinding(b);
        if (scope === "old" && owner.handling === "owner-managed") {
          const commands = ownerCommands(owner.owner as ManagedOwner, expected);
          return { ...b, scope, reason: `${reason}; owner-managed (${owner.owner}): run ${commands.join(" ; ")}` };
        }
        return { ...b, scope, reason };
      });
      deps.progress.hostStep?.(host.name, "verifying over TLS");
      const inScope = rows.filter((r) => r.scope === "new" || r.scope === "old");
      const results = await verifyBindings(host, inScope.map((r) => ({ binding: r, expected })), opts.timing, opts.deps);
      inScope.forEach((row, i) => {
        const v = results[i]!;
        row.proof = row.scope === "old" ? { ...v, ok: false, error: v.error ?? `http.sys still binds ${row.certHash}` } : v;
      });
      // The owners' own settings read back, the RDP listener by its handshake.
      const consumers = await verifyConsumers(host, state, expected, old, opts.timing);
      const bad = [
        ...inScope.filter((r) => !r.proof!.ok).map((b) => `${b.endpoint}: ${b.proof!.error ?? "mismatch"}`),
        ...consumers.filter((c) => c.proof && !c.proof.ok && !c.proof.skipped).map((c) => `${c.name}: ${c.proof!.error ?? "mismatch"}`),
      ];
      const error = bad.length > 0 ? new CertfleetError("verify", bad.join("; "), host.name) : undefined;
      return {
        name: host.name,
        address: host.address,
        status: error ? "failed" : "ok",
        durationMs: elapsed(),
        ...(error ? { error: hostError(error, host.name) } : {}),
        certificates: state.certificates,
        bindings: rows,
        ...(consumers.length ? { consumers } : {}),
        ...(state.warnings.length ? { warnings: state.warnings } : {}),
      } satisfies HostOutcome;
    },
    (r) => `${r.bindings.filter((b) => b.proof?.ok && !b.proof.skipped).length} endpoint(s) serve the expected certificate`,
  );
}

export async function runVerify(hosts: readonly ResolvedHost[], deps: FleetDeps, opts: VerifyRunOptions): Promise<RunOutcome> {
  const startedAt = deps.now().toISOString();
  const limit = pLimit(Math.max(1, opts.concurrency));
  const results = await Promise.all(hosts.map((h) => limit(() => verifyHost(h, deps, opts))));
  return { command: "verify", startedAt, finishedAt: deps.now().toISOString(), target: opts.target, hosts: results };
}
