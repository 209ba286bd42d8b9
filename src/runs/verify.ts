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
import { certificateLabels, nameCertificates } from "../verify/certificate-names.js";
import { realVerifyDeps, verifyBindings } from "../verify/verify-bindings.js";
import { handOver, type HostResultSink } from "./results-file.js";
import { verifyConsumers } from "../verify/verify-consumers.js";
import { classifyBinding } from "../windows/binding-owner.js";
import { ownerCommands, type ManagedOwner } from "../windows/consumer-commands.js";
import type { VerifyDeps, VerifyTiming } from "../verify/verify-endpoint.js";

export interface VerifyRunOptions {
  target: Target;
  concurrency: number;
  timing: VerifyTiming;
  deps?: VerifyDeps;
  /** the operator pressed Ctrl-C: no new host starts, no endpoint waits any longer */
  stopRequested?: () => boolean;
  /** each host's outcome goes here as it finishes, and the run keeps none (results-file.ts) */
  sink?: HostResultSink;
}

export function verifyHost(host: ResolvedHost, deps: FleetDeps, opts: VerifyRunOptions): Promise<HostOutcome> {
  return visitHost(
    host,
    deps,
    async (session, elapsed) => {
      const state = await session.discover();
      const expected = opts.target.newCert.thumbprint;
      const old = new Set(opts.target.oldThumbprints.length > 0 ? opts.target.oldThumbprints : defaultOldThumbprints(state.certificates, opts.target.newCert));
      // Old is told from unrelated by the expected certificate's subject: from the file given, or
      // from this host's store. With a bare thumbprint and a store without that certificate, a
      // binding on another certificate may be a straggler: it is never passed as "out of scope".
      const undecidable =
        opts.target.oldThumbprints.length === 0 && opts.target.newCert.subject === undefined && !state.certificates.some((c) => c.thumbprint === expected);
      // Stragglers whose owner manages them (AD FS, WAP, SSTP, Exchange): the owner's command moves them.
      const managed = new Map<BindingOutcome, { owner: ManagedOwner; commands: string[] }>();
      const rows: BindingOutcome[] = state.bindings.map((b) => {
        const scope = b.certHash === expected ? "new" : b.certHash !== null && old.has(b.certHash) ? "old" : b.certHash === null ? "none" : "unrelated";
        if (scope === "unrelated" && undecidable) return { ...b, scope, reason: "not judged: old or unrelated cannot be told without the expected certificate's subject" };
        const reason = scope === "new" ? "bound to the expected certificate" : scope === "old" ? "STRAGGLER: still bound to an old certificate" : "out of scope: unrelated certificate";
        const owner = classifyBinding(b);
        if (scope === "old" && owner.handling === "owner-managed") {
          const commands = ownerCommands(owner.owner as ManagedOwner, expected);
          const row: BindingOutcome = { ...b, scope, reason: `${reason}; owner-managed (${owner.owner}): run ${commands.join(" ; ")}` };
          managed.set(row, { owner: owner.owner as ManagedOwner, commands });
          return row;
        }
        return { ...b, scope, reason };
      });
      deps.progress.hostStep?.(host.name, "verifying over TLS");
      const names = certificateLabels(state.certificates, { expected, expectedSubject: opts.target.newCert.subject, expectedNotAfter: opts.target.newCert.notAfter, old });
      const short = (t: string | undefined) => (t ? `${t.slice(0, 8)}… (${names.labels.get(t) ?? "unknown certificate"})` : "nothing");
      // The operator sees what is waited for: endpoint, served vs expected, attempt n.
      const base = opts.deps ?? realVerifyDeps;
      const verifyDeps: VerifyDeps = {
        ...base,
        onRetry: (r) => deps.progress.hostStep?.(host.name, `attempt ${r.attempts ?? "?"}: ${r.target ?? "endpoint"} serves ${short(r.servedThumbprint)}`),
        ...(opts.stopRequested ? { stopped: opts.stopRequested } : {}),
      };
      const inScope = rows.filter((r) => r.scope === "new" || r.scope === "old");
      // A straggler http.sys still binds to an old certificate cannot heal by waiting: one attempt.
      const [current, stragglers] = [inScope.filter((r) => r.scope === "new"), inScope.filter((r) => r.scope === "old")];
      const [a, b] = await Promise.all([
        verifyBindings(host, current.map((r) => ({ binding: r, expected })), opts.timing, verifyDeps),
        verifyBindings(host, stragglers.map((r) => ({ binding: r, expected })), { ...opts.timing, windowMs: 0 }, verifyDeps),
      ]);
      current.forEach((row, i) => (row.proof = a[i]!));
      stragglers.forEach((row, i) => {
        const v = b[i]!;
        row.proof = { ...v, ok: false, error: v.error ?? `http.sys still binds ${row.certHash}` };
      });
      for (const row of inScope) if (row.proof!.error) row.proof!.error = nameCertificates(row.proof!.error, names);
      // The owners' own settings read back, the RDP listener by its handshake.
      const consumers = await verifyConsumers(host, state, expected, old, opts.timing);
      // Listed with the owner's commands, as a rollout lists them.
      for (const [r, m] of managed) {
        consumers.push({ owner: m.owner, source: "binding", name: r.endpoint, certHash: r.certHash, handling: "owner-managed", action: "owner-managed", reason: "left to its owner: still on an old certificate", manualCommand: m.commands.join("\n") });
      }
      const bad = [
        ...inScope
          .filter((r) => !r.proof!.ok)
          .map((b) => {
            // It waits for the owner's command, not for an app pool: the message (and so the remedy) says so.
            const m = managed.get(b);
            return `${b.endpoint}: ${b.proof!.error ?? "mismatch"}${m ? ` (owner-managed (${m.owner}): left to its owner; run its commands)` : ""}`;
          }),
        ...consumers.filter((c) => c.proof && !c.proof.ok && !c.proof.skipped).map((c) => `${c.name}: ${c.proof!.error ?? "mismatch"}`),
      ];
      const unjudged = rows.filter((r) => r.scope === "unrelated" && undecidable);
      if (unjudged.length > 0) {
        bad.unshift(
          `the expected certificate ${expected} is not in this host's LocalMachine\\My store and ${unjudged.length} binding(s) use other certificates (${unjudged.map((r) => `${r.endpoint} on ${r.certHash}`).join(", ")}): old or unrelated cannot be told from a thumbprint alone; pass --expect the certificate file`,
        );
      }
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
  const results = await Promise.all(
    hosts.map((h) =>
      limit(async () => {
        if (!opts.stopRequested?.()) return handOver(await verifyHost(h, deps, opts), opts.sink);
        deps.progress.hostDone?.(h.name, "halted", "not checked: stopped by the operator");
        return handOver({ name: h.name, address: h.address, status: "halted", durationMs: 0, bindings: [] } satisfies HostOutcome, opts.sink);
      }),
    ),
  );
  return { command: "verify", startedAt, finishedAt: deps.now().toISOString(), target: opts.target, hosts: results.filter((r) => r !== undefined) };
}
