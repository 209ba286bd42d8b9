/**
 * One host of a rollout: discover, plan, (dry-run: list the commands), apply with the safety
 * protocol, read back, prove by TLS, and put everything back if the proof fails.
 */
import type { ResolvedHost } from "../inventory/schema.js";
import { bindingKey, type Binding } from "../model/binding.js";
import { CertfleetError } from "../model/errors.js";
import { planHost } from "../plan/plan-host.js";
import type { Target } from "../certificate/target.js";
import { dryRunCommands, planError, plannedRows } from "./planned.js";
import type { BindingOutcome, HostOutcome } from "./outcome.js";
import type { HostSession } from "../session/host-session.js";
import type { VerifyDeps, VerifyTiming } from "../verify/verify-endpoint.js";
import { verifyBindings } from "../verify/verify-bindings.js";
import { hostError, visitHost, type FleetDeps } from "./visit.js";
import { applyHostPlan } from "./apply-host.js";
import { putBack } from "./put-back.js";
import type { JournalWriter } from "../journal/journal.js";
import { hostJournal, type HostJournal } from "../journal/host-journal.js";
import type { JournaledBinding } from "../journal/record.js";
import { settleInterrupted } from "./settle-restore.js";

export interface RolloutHostOptions {
  target: Target;
  dryRun: boolean;
  journal?: JournalWriter;
  runId: string;
  verify: { enabled: boolean; timing: VerifyTiming; deps?: VerifyDeps };
  /** a resumed rollout: this host's journaled bindings, some of them half-done (no outcome). */
  resume?: JournaledBinding[];
  wave?: number;
}

export function rolloutHost(host: ResolvedHost, deps: FleetDeps, opts: RolloutHostOptions): Promise<HostOutcome> {
  const wave = opts.wave === undefined ? {} : { wave: opts.wave };
  return visitHost(
    host,
    deps,
    async (session, elapsed) => {
      const journal = hostJournal(opts.dryRun ? undefined : opts.journal, { runId: opts.runId, host: host.name, address: host.address, now: deps.now });
      let resumed: Array<{ item: JournaledBinding; after: Binding }> = [];
      if (opts.resume && opts.resume.some((j) => j.outcome === undefined) && !opts.dryRun) {
        deps.progress.hostStep?.(host.name, "settling what the interrupted run left half-done");
        const settled = await settleInterrupted(session, opts.resume, journal);
        if (!settled.ok) {
          const { rows, attention } = settled.restore;
          const status = attention ? "needs-attention" : "failed";
          return { name: host.name, address: host.address, ...wave, status, durationMs: elapsed(), error: hostError(settled.error, host.name), bindings: rows } satisfies HostOutcome;
        }
        resumed = settled.finished;
      }
      deps.progress.hostStep?.(host.name, "discovering");
      const state = await session.discover();
      const plan = planHost(state, opts.target, deps.now());
      const base = { name: host.name, address: host.address, ...wave, certificates: state.certificates, ...(state.warnings.length ? { warnings: state.warnings } : {}) };
      const blocked = planError(plan, host.name);
      if (blocked) {
        // Nothing was attempted: the rows must not claim a rebind happened.
        const rows = plannedRows(plan).map((r) => (r.action === "rebind" ? { ...r, action: "none" as const, reason: `not changed (host blocked); ${r.reason}` } : r));
        return { ...base, status: "failed", durationMs: elapsed(), error: hostError(blocked, host.name), bindings: rows } satisfies HostOutcome;
      }
      if (opts.dryRun) {
        return { ...base, status: "unchanged", durationMs: elapsed(), bindings: plannedRows(plan), commands: dryRunCommands(plan, session.shell, host.name) } satisfies HostOutcome;
      }
      if (plan.outcome === "unchanged") {
        if (resumed.length === 0) return { ...base, status: "unchanged", durationMs: elapsed(), bindings: plannedRows(plan) } satisfies HostOutcome;
        // The interrupted run's bindings are now on the new certificate: report them as rebound
        // and prove them like any other, putting the host back if the proof fails.
        const rows = resumedRows(plannedRows(plan), opts.resume ?? []);
        if (!opts.verify.enabled) return { ...base, status: "changed", durationMs: elapsed(), bindings: rows } satisfies HostOutcome;
        deps.progress.hostStep?.(host.name, "verifying over TLS");
        return await verifyOrRestore(session, host, base, rows, [], journal, opts, elapsed);
      }
      deps.progress.hostStep?.(host.name, `rebinding ${plan.bindings.filter((b) => b.action === "rebind").length} binding(s)`);
      const applied = await applyHostPlan(session, plan, { journal });
      if (applied.status !== "changed") {
        return { ...base, status: applied.status, durationMs: elapsed(), error: hostError(applied.error, host.name), bindings: applied.bindings, commands: applied.commands } satisfies HostOutcome;
      }
      if (!opts.verify.enabled) {
        return { ...base, status: "changed", durationMs: elapsed(), bindings: applied.bindings, commands: applied.commands } satisfies HostOutcome;
      }
      deps.progress.hostStep?.(host.name, "verifying over TLS");
      return await verifyOrRestore(session, host, base, applied.bindings, applied.commands, journal, opts, elapsed);
    },
    summaryOf,
    wave,
  );
}

async function verifyOrRestore(
  session: HostSession,
  host: ResolvedHost,
  base: Omit<HostOutcome, "status" | "durationMs" | "bindings">,
  rows: BindingOutcome[],
  commands: string[],
  journal: HostJournal,
  opts: RolloutHostOptions,
  elapsed: () => number,
): Promise<HostOutcome> {
  const rebound = rows.filter((r) => r.action === "rebind");
  const results = await verifyBindings(
    host,
    rebound.map((r) => ({ binding: r, expected: opts.target.newCert.thumbprint })),
    opts.verify.timing,
    opts.verify.deps,
  );
  rebound.forEach((r, i) => (r.proof = results[i]));
  const bad = rebound.filter((r) => r.proof && !r.proof.ok);
  if (bad.length === 0) return { ...base, status: "changed", durationMs: elapsed(), bindings: rows, commands };

  // The endpoint does not serve what http.sys now holds: put the host back as it was.
  const error = new CertfleetError("verify", `${bad.map((r) => `${r.endpoint}: ${r.proof!.error ?? "mismatch"}`).join("; ")}; the host was restored`, host.name);
  const moves = rebound.map((r) => ({ original: r.before!, moved: r.after ?? { ...r.before!, certHash: opts.target.newCert.thumbprint } }));
  const backs = await putBack(session, moves, journal);
  let attention = false;
  backs.forEach((back, i) => {
    const r = rebound[i]!;
    commands.push(...back.commands);
    if (back.result === "changed") {
      r.action = "restored";
      r.after = back.after;
    } else {
      attention = true;
      r.action = "failed";
      if (back.result === "needs-attention") r.manualCommand = back.manualCommands.join("\n");
    }
  });
  return { ...base, status: attention ? "needs-attention" : "failed", durationMs: elapsed(), error: hostError(error, host.name), bindings: rows, commands };
}

/** Rows of bindings that a journal shows were moved by the interrupted run, marked as rebound. */
function resumedRows(rows: BindingOutcome[], items: readonly JournaledBinding[]): BindingOutcome[] {
  return rows.map((r) => {
    const item = items.find((i) => bindingKey(i.original) === bindingKey(r));
    if (!item || item.desired.certHash === item.original.certHash || r.certHash !== item.desired.certHash) return r;
    const { kind, endpoint, certHash, appId, storeName, settings } = r;
    return { ...r, action: "rebind", before: item.original, after: { kind, endpoint, certHash, appId, storeName, settings }, reason: `${r.reason ?? ""}; moved by the interrupted run (journal)` };
  });
}

function summaryOf(r: HostOutcome): string {
  const changed = r.bindings.filter((b) => b.action === "rebind").length;
  if (r.error) return `${r.error.kind}: ${r.error.message}`;
  if (r.commands && r.status === "unchanged") return `${r.bindings.filter((b) => b.action === "rebind").length} binding(s) would change`;
  return r.status === "changed" ? `${changed} binding(s) rebound and verified` : "nothing to do";
}
