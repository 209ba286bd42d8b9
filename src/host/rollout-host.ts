/**
 * One host of a rollout: discover, plan, (dry-run: list the exact commands, planned-commands.ts), apply with the safety
 * protocol, read back, prove by TLS, and put everything back if the proof fails.
 */
import { oneRowPerBinding } from "./binding-rows.js";
import type { ResolvedHost } from "../inventory/schema.js";
import { bindingKey, type Binding } from "../model/binding.js";
import { CertfleetError } from "../model/errors.js";
import type { Target } from "../certificate/target.js";
import type { BindingOutcome, ConsumerRow, HostOutcome } from "./outcome.js";
import { withConsumerKeys } from "./consumer-keys.js";
import { stepBlocks } from "./step-blocks.js";
import { plannedCommands, planSteps } from "./planned-commands.js";
import type { HostState } from "../model/host-state.js";
import { proveRdp } from "../verify/verify-rdp.js";
import type { HostSession } from "../session/host-session.js";
import type { VerifyDeps, VerifyTiming } from "../verify/verify-endpoint.js";
import { verifyBindings } from "../verify/verify-bindings.js";
import { hostError, visitHost, type FleetDeps } from "./visit.js";
import type { HostStep, PlannedStep } from "./step.js";
import { HOST_STEPS, stepOwning } from "./steps.js";
import type { JournalWriter } from "../journal/journal.js";
import { hostJournal, type HostJournal } from "../journal/host-journal.js";
import { journaledWhere, type JournaledBinding, type JournaledDelivery } from "../journal/record.js";
import { settleDeliveries } from "./steps/deliver.js";

export interface RolloutHostOptions {
  target: Target;
  dryRun: boolean;
  journal?: JournalWriter;
  runId: string;
  verify: { enabled: boolean; timing: VerifyTiming; deps?: VerifyDeps };
  /** a resumed rollout: this host's journaled bindings, some of them half-done (no outcome). */
  resume?: JournaledBinding[];
  /** a resumed run: what the journal says this host received from delivery (staged leftovers are deleted first). */
  resumeDelivery?: JournaledDelivery;
  wave?: number;
  /** the steps to run (default HOST_STEPS; `certfleet deliver` runs only the deliver step). */
  steps?: readonly HostStep[];
}

export function rolloutHost(host: ResolvedHost, deps: FleetDeps, opts: RolloutHostOptions): Promise<HostOutcome> {
  const wave = opts.wave === undefined ? {} : { wave: opts.wave };
  return visitHost(
    host,
    deps,
    async (session, elapsed) => {
      const journal = hostJournal(opts.dryRun ? undefined : opts.journal, { runId: opts.runId, host: host.name, address: host.address, port: host.port, hostKey: () => session.hostKey, now: deps.now });
      let resumed: Array<{ item: JournaledBinding; after: Binding }> = [];
      if (opts.resume && opts.resume.some((j) => j.outcome === undefined) && !opts.dryRun) {
        deps.progress.hostStep?.(host.name, "settling what the interrupted run left half-done");
        const settled = await stepOwning("binding").settle(session, opts.resume, journal);
        if (!settled.ok) {
          const { rows, attention } = settled.restore;
          const status = attention ? "needs-attention" : "failed";
          return { name: host.name, address: host.address, ...wave, status, durationMs: elapsed(), error: hostError(settled.error, host.name), bindings: rows } satisfies HostOutcome;
        }
        resumed = settled.finished;
      }
      if (opts.resumeDelivery && opts.resumeDelivery.leftovers.length > 0 && !opts.dryRun) {
        // Staged files an interrupted run left: deleted (with the proof) before anything else.
        deps.progress.hostStep?.(host.name, "deleting the files an interrupted delivery staged");
        const left = await settleDeliveries(session, opts.resumeDelivery, journal, { removeImported: false });
        if (left.error) return { name: host.name, address: host.address, ...wave, status: "needs-attention", durationMs: elapsed(), error: hostError(left.error, host.name), bindings: [], commands: left.commands } satisfies HostOutcome;
      }
      deps.progress.hostStep?.(host.name, "discovering");
      const state = await withConsumerKeys(session, await session.discover(), opts.target);
      const now = deps.now();
      // Each step plans against the state the steps before it leave (the rebind: after delivery).
      const planFrom = (from: HostState, steps: readonly HostStep[]) => planSteps(from, steps, opts.target, now);
      let planned = planFrom(state, opts.steps ?? HOST_STEPS);
      const rowsOf = (f: (p: PlannedStep) => BindingOutcome[]) => oneRowPerBinding(planned.flatMap((p) => f(p.plan)));
      const plannedConsumers = planned.flatMap((p) => p.plan.consumerRows?.() ?? []);
      const warnings = [...state.warnings, ...planned.flatMap((p) => p.plan.warnings ?? [])];
      const base = { name: host.name, address: host.address, ...wave, certificates: state.certificates, ...(warnings.length ? { warnings } : {}), ...(plannedConsumers.length ? { consumers: plannedConsumers } : {}) };
      // A grant waiting for the key a delivery earlier in the run imports is not a block yet: the
      // keys are read and the later steps planned again once the delivery is done (below).
      const { blocked, delivering } = stepBlocks(planned.map((p) => p.plan));
      if (blocked) {
        return { ...base, status: "failed", durationMs: elapsed(), error: hostError(blocked, host.name), bindings: rowsOf((p) => p.notAttemptedRows()) } satisfies HostOutcome;
      }
      if (opts.dryRun) {
        // Beside the commands: what they assume that discovery could not tell.
        const notes = planned.flatMap((p) => p.plan.commandNotes ?? []);
        return { ...base, ...(notes.length ? { warnings: [...warnings, ...notes] } : {}), status: "unchanged", durationMs: elapsed(), bindings: rowsOf((p) => p.rows()), commands: plannedCommands(state, planned, opts.target, now, { shell: session.shell, host: host.name, canStageFiles: session.canStageFiles }) } satisfies HostOutcome;
      }
      if (planned.every((p) => p.plan.unchanged)) {
        if (resumed.length === 0) return { ...base, status: "unchanged", durationMs: elapsed(), bindings: rowsOf((p) => p.rows()) } satisfies HostOutcome;
        // The interrupted run's bindings are now on the new certificate: report them as rebound
        // and prove them like any other, putting the host back if the proof fails.
        const rows = resumedRows(rowsOf((p) => p.rows()), opts.resume ?? []);
        const done: DoneStep[] = [{ step: stepOwning("binding"), bindings: rows }];
        if (!opts.verify.enabled) return { ...base, status: "changed", durationMs: elapsed(), bindings: rows } satisfies HostOutcome;
        deps.progress.hostStep?.(host.name, "verifying over TLS");
        return await verifyOrRestore(session, host, base, done, [], journal, opts, elapsed);
      }
      // The steps in order; when one fails (and has put back its own part), the steps before it go back too.
      const done: DoneStep[] = [];
      const commands: string[] = [];
      for (let i = 0; i < planned.length; i++) {
        const { step, plan } = planned[i]!;
        if (plan.blocked) {
          // Still blocked after the delivery was re-planned: put back what the run did, and say why.
          const undone = await undoSteps(session, done, opts.target, journal);
          commands.push(...undone.commands);
          return { ...base, ...consumersOf(done), status: undone.attention ? "needs-attention" : "failed", durationMs: elapsed(), error: hostError(plan.blocked, host.name), bindings: oneRowPerBinding([...done.flatMap((d) => d.bindings), ...planned.slice(i).flatMap((p) => p.plan.notAttemptedRows())]), commands } satisfies HostOutcome;
        }
        if (plan.unchanged) {
          done.push({ step, plan, bindings: plan.rows(), consumers: plan.consumerRows?.() ?? [] });
          continue;
        }
        deps.progress.hostStep?.(host.name, plan.describe());
        const applied = await plan.apply(session, journal);
        commands.push(...applied.commands);
        done.push({ step, plan, bindings: applied.bindings, consumers: applied.consumers ?? [] });
        if (applied.status !== "changed") {
          const undone = await undoSteps(session, done.slice(0, -1), opts.target, journal);
          commands.push(...undone.commands);
          const status = applied.status === "needs-attention" || undone.attention ? "needs-attention" : applied.status;
          return { ...base, ...consumersOf(done), status, durationMs: elapsed(), error: hostError(applied.error, host.name), bindings: oneRowPerBinding(done.flatMap((d) => d.bindings)), commands } satisfies HostOutcome;
        }
        if (i === delivering && plan.stateAfter) {
          // The certificate is in the store now: read its key (when a consumer needs it) and plan
          // the remaining steps against the host as the delivery left it.
          const delivered = await withConsumerKeys(session, plan.stateAfter(state), opts.target);
          planned = [...planned.slice(0, i + 1), ...planFrom(delivered, planned.slice(i + 1).map((p) => p.step))];
        }
      }
      if (!opts.verify.enabled) {
        return { ...base, ...consumersOf(done), status: "changed", durationMs: elapsed(), bindings: oneRowPerBinding(done.flatMap((d) => d.bindings)), commands } satisfies HostOutcome;
      }
      deps.progress.hostStep?.(host.name, "verifying over TLS");
      return await verifyOrRestore(session, host, base, done, commands, journal, opts, elapsed);
    },
    summaryOf,
    wave,
    // A host resumed from a journal must still be the server the journal recorded.
    opts.resume && opts.resume.length > 0 ? journaledWhere(opts.resume)?.hostKey : undefined,
  );
}

interface DoneStep {
  step: HostStep;
  plan?: PlannedStep;
  bindings: BindingOutcome[];
  consumers?: ConsumerRow[];
}

/** The consumer rows of the steps done, for the outcome (absent when there are none). */
function consumersOf(done: readonly DoneStep[]): { consumers?: ConsumerRow[] } {
  const rows = done.flatMap((d) => d.consumers ?? []);
  return rows.length ? { consumers: rows } : {};
}

/** Puts back, last step first, what the given steps did. */
async function undoSteps(session: HostSession, done: readonly DoneStep[], target: Target, journal: HostJournal): Promise<{ commands: string[]; attention: boolean }> {
  const commands: string[] = [];
  let attention = false;
  for (const d of [...done].reverse()) {
    const u = d.plan?.undo ? await d.plan.undo(session, journal) : await d.step.undo(session, d.bindings, target, journal, d.consumers);
    commands.push(...u.commands);
    attention ||= u.attention;
  }
  return { commands, attention };
}

/** The TLS proof of every moved binding; when an endpoint does not serve what http.sys holds, every step goes back. */
async function verifyOrRestore(
  session: HostSession,
  host: ResolvedHost,
  base: Omit<HostOutcome, "status" | "durationMs" | "bindings">,
  done: readonly DoneStep[],
  commands: string[],
  journal: HostJournal,
  opts: RolloutHostOptions,
  elapsed: () => number,
): Promise<HostOutcome> {
  const rows = oneRowPerBinding(done.flatMap((d) => d.bindings));
  const rebound = rows.filter((r) => r.action === "rebind");
  const results = await verifyBindings(
    host,
    rebound.map((r) => ({ binding: r, expected: opts.target.newCert.thumbprint })),
    opts.verify.timing,
    opts.verify.deps,
  );
  rebound.forEach((r, i) => (r.proof = results[i]));
  const bad = rebound.filter((r) => r.proof && !r.proof.ok).map((r) => `${r.endpoint}: ${r.proof!.error ?? "mismatch"}`);
  // The RDP listener moved: prove it by its own handshake (X.224, then TLS on 3389).
  const consumers = consumersOf(done);
  for (const row of consumers.consumers ?? []) {
    if (row.action !== "moved" || row.owner !== "rdp") continue;
    const proof = await proveRdp(host, opts.target.newCert.thumbprint, opts.verify.timing);
    row.proof = proof;
    if (!proof.ok && !proof.skipped) bad.push(`RDP listener: ${proof.error ?? "mismatch"}`);
  }
  if (bad.length === 0) return { ...base, ...consumers, status: "changed", durationMs: elapsed(), bindings: rows, commands };

  // The endpoint does not serve what http.sys now holds: put the host back as it was.
  const error = new CertfleetError("verify", `${bad.join("; ")}; the host was restored`, host.name);
  const undone = await undoSteps(session, done, opts.target, journal);
  commands.push(...undone.commands);
  return { ...base, ...consumers, status: undone.attention ? "needs-attention" : "failed", durationMs: elapsed(), error: hostError(error, host.name), bindings: rows, commands };
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
  const managed = (r.consumers ?? []).filter((c) => c.action === "owner-managed").length;
  const attention = managed > 0 ? `; ${managed} owner-managed binding(s) left to their owner: needs attention` : "";
  const moved = (r.consumers ?? []).filter((c) => c.action === "moved").length;
  const consumers = moved > 0 ? ` and ${moved} consumer setting(s) moved` : "";
  if (r.commands && r.status === "unchanged") return `${r.bindings.filter((b) => b.action === "rebind").length} binding(s) would change${attention}`;
  const delivered = r.commands?.some((c) => c.includes("-importpfx")) ? "certificate delivered; " : "";
  if (r.status === "changed" && changed === 0 && moved === 0 && delivered) return `certificate delivered${attention}`;
  return (r.status === "changed" ? `${delivered}${changed} binding(s) rebound${consumers} and verified` : "nothing to do") + attention;
}
