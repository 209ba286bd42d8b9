/**
 * `certfleet rollback --journal FILE`: put every journaled binding back to the record it had before
 * certfleet first touched it, with the same safe change as a rollout (re-read, compare, restore,
 * read back). Bindings already as they were are left alone, so rollback can be run again.
 */
import { randomUUID } from "node:crypto";
import pLimit from "p-limit";
import { groupBy } from "../lib/group-by.js";
import type { ResolvedHost } from "../inventory/schema.js";
import { CertfleetError } from "../model/errors.js";
import type { HostOutcome, RunOutcome } from "../host/outcome.js";
import { hostError, visitHost, type FleetDeps } from "../host/visit.js";
import { manualRestore } from "../host/change-binding.js";
import { stepOwning } from "../host/steps.js";
import type { JournalWriter } from "../journal/journal.js";
import { hostJournal } from "../journal/host-journal.js";
import { runRecord, type JournaledBinding, type JournaledConsumer } from "../journal/record.js";
import { restoreConsumers } from "../host/consumer-restore.js";

export interface RollbackOptions {
  items: JournaledBinding[];
  /** consumer settings the consumer steps changed (journal/record.ts journaledConsumers) */
  consumers?: JournaledConsumer[];
  concurrency: number;
  journal?: JournalWriter;
}

export function rollbackHost(host: ResolvedHost, items: JournaledBinding[], deps: FleetDeps, runId: string, journal?: JournalWriter, consumerItems: JournaledConsumer[] = []): Promise<HostOutcome> {
  return visitHost(
    host,
    deps,
    async (session, elapsed) => {
      const hj = hostJournal(journal, { runId, host: host.name, address: host.address, now: deps.now });
      // The consumers' settings first (they name the certificate the bindings are going back to),
      // then the bindings; the key grants go last among the settings, as they were made first.
      const c = consumerItems.length > 0 ? await restoreConsumers(session, consumerItems, hj) : undefined;
      const b = await stepOwning("binding").restore(session, items, hj);
      const attention = b.attention || (c?.attention ?? false);
      const error = c?.error ?? b.error;
      const changed = b.changed + (c?.changed ?? 0);
      return {
        name: host.name,
        address: host.address,
        status: attention ? "needs-attention" : error ? "failed" : changed > 0 ? "changed" : "unchanged",
        durationMs: elapsed(),
        ...(error ? { error: hostError(error, host.name) } : {}),
        bindings: b.rows,
        ...(c && c.rows.length > 0 ? { consumers: c.rows } : {}),
      };
    },
    (r) => `${r.bindings.filter((b) => b.action === "restored").length} binding(s)${r.consumers ? ` and ${r.consumers.filter((c) => c.action === "restored").length} consumer setting(s)` : ""} restored`,
  );
}

export async function runRollback(hosts: readonly ResolvedHost[], deps: FleetDeps, opts: RollbackOptions): Promise<RunOutcome> {
  const startedAt = deps.now().toISOString();
  const runId = randomUUID();
  opts.journal?.append(runRecord(runId, startedAt, "rollback"));
  // Inventory order, as every other report, not the order hosts happened to finish in the journal.
  const itemsByHost = groupBy(opts.items, (i) => i.host);
  const consumersByHost = groupBy(opts.consumers ?? [], (i) => i.host);
  const journaled = new Set([...itemsByHost.keys(), ...consumersByHost.keys()]);
  const byName = new Map(hosts.map((h) => [h.name, h]));
  const names = [...hosts.map((h) => h.name).filter((n) => journaled.has(n)), ...[...journaled].filter((n) => !byName.has(n))];
  const limit = pLimit(Math.max(1, opts.concurrency));
  const results = await Promise.all(
    names.map((name) =>
      limit(async () => {
        const host = byName.get(name);
        const items = itemsByHost.get(name) ?? [];
        if (!host) {
          return {
            name,
            address: items[0]?.address ?? "",
            status: "needs-attention",
            durationMs: 0,
            error: new CertfleetError("precondition", `host ${name} is in the journal but not in the inventory: restore it by hand (see manualCommand)`, name),
            bindings: items.map((i) => ({ ...i.original, action: "failed" as const, manualCommand: manualRestore(i.original, i.desired).join("\n") })),
          } satisfies HostOutcome;
        }
        return rollbackHost(host, items, deps, runId, opts.journal, consumersByHost.get(name) ?? []);
      }),
    ),
  );
  return { command: "rollback", startedAt, finishedAt: deps.now().toISOString(), hosts: results };
}
