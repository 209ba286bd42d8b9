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
import { stepOwning } from "../host/steps.js";
import type { JournalWriter } from "../journal/journal.js";
import { hostJournal } from "../journal/host-journal.js";
import { journaledWhere, runRecord, type JournaledBinding, type JournaledConsumer, type JournaledDelivery } from "../journal/record.js";
import { settleDeliveries } from "../host/steps/deliver.js";
import { restoreConsumers } from "../host/consumer-restore.js";

export interface RollbackOptions {
  /** the journaled bindings of the hosts selected for this rollback. */
  items: JournaledBinding[];
  /** what delivery left per host: staged folders to delete, certificates certfleet imported. */
  deliveries?: JournaledDelivery[];
  /** consumer settings the consumer steps changed (journal/record.ts journaledConsumers) */
  consumers?: JournaledConsumer[];
  concurrency: number;
  journal?: JournalWriter;
  /** journal hosts `-l` did not select: not touched, reported as skipped. */
  skipped?: readonly string[];
}

export function rollbackHost(
  host: ResolvedHost,
  items: JournaledBinding[],
  deps: FleetDeps,
  runId: string,
  journal?: JournalWriter,
  delivery?: JournaledDelivery,
  consumerItems: JournaledConsumer[] = [],
): Promise<HostOutcome> {
  return visitHost(
    host,
    deps,
    async (session, elapsed) => {
      const hj = hostJournal(journal, { runId, host: host.name, address: host.address, port: host.port, hostKey: () => session.hostKey, now: deps.now });
      // The consumers' settings first (they name the certificate the bindings are going back to),
      // then the bindings; the key grants go last among the settings, as they were made first.
      const c = consumerItems.length > 0 ? await restoreConsumers(session, consumerItems, hj) : undefined;
      const b = await stepOwning("binding").restore(session, items, hj);
      let attention = b.attention || (c?.attention ?? false);
      let error = c?.error ?? b.error;
      let changed = b.changed + (c?.changed ?? 0);
      // Then what delivery left: staged files, and a certificate certfleet imported that nothing binds now.
      let commands: string[] | undefined;
      if (delivery && (delivery.leftovers.length > 0 || delivery.imported.length > 0)) {
        const d = await settleDeliveries(session, delivery, hj, { removeImported: true });
        changed += d.removed.length + d.cleaned.length;
        attention ||= d.attention;
        error ??= d.error;
        commands = d.commands;
      }
      return {
        name: host.name,
        address: host.address,
        status: attention ? "needs-attention" : error ? "failed" : changed > 0 ? "changed" : "unchanged",
        durationMs: elapsed(),
        ...(error ? { error: hostError(error, host.name) } : {}),
        bindings: b.rows,
        ...(c && c.rows.length > 0 ? { consumers: c.rows } : {}),
        ...(commands ? { commands } : {}),
      };
    },
    (r) => `${r.bindings.filter((b) => b.action === "restored").length} binding(s)${r.consumers ? ` and ${r.consumers.filter((c) => c.action === "restored").length} consumer setting(s)` : ""} restored`,
    {},
    // Only the server the journal recorded gets its bindings back.
    journaledWhere(items)?.hostKey,
  );
}

export async function runRollback(hosts: readonly ResolvedHost[], deps: FleetDeps, opts: RollbackOptions): Promise<RunOutcome> {
  const startedAt = deps.now().toISOString();
  const runId = randomUUID();
  opts.journal?.append(runRecord(runId, startedAt, "rollback"));
  // Inventory order, as every other report, not the order hosts happened to finish in the journal.
  const itemsByHost = groupBy(opts.items, (i) => i.host);
  const deliveryByHost = new Map((opts.deliveries ?? []).map((d) => [d.host, d]));
  const consumersByHost = groupBy(opts.consumers ?? [], (i) => i.host);
  const byName = new Map(hosts.map((h) => [h.name, h]));
  const journaled = (n: string) => itemsByHost.has(n) || deliveryByHost.has(n) || consumersByHost.has(n);
  const all = [...new Set([...itemsByHost.keys(), ...deliveryByHost.keys(), ...consumersByHost.keys()])];
  const names = [...hosts.map((h) => h.name).filter(journaled), ...all.filter((n) => !byName.has(n))];
  const limit = pLimit(Math.max(1, opts.concurrency));
  const results = await Promise.all(
    names.map((name) =>
      limit(async () => {
        const host = byName.get(name);
        const items = itemsByHost.get(name) ?? [];
        return host ? rollbackHost(host, items, deps, runId, opts.journal, deliveryByHost.get(name), consumersByHost.get(name) ?? []) : notInInventory(name, items);
      }),
    ),
  );
  return { command: "rollback", startedAt, finishedAt: deps.now().toISOString(), hosts: results, ...(opts.skipped?.length ? { skipped: [...opts.skipped] } : {}) };
}

/**
 * A journal host the inventory no longer has: reported once, never examined, so no command is
 * printed (a delete pasted on a host nobody read could remove a healthy binding). Each row holds
 * the original record to restore from.
 */
function notInInventory(name: string, items: readonly JournaledBinding[]): HostOutcome {
  const address = items[0]?.address ?? "";
  return {
    name,
    address,
    status: "needs-attention",
    durationMs: 0,
    error: new CertfleetError(
      "precondition",
      `host ${name} is in the journal (at ${address || "an unrecorded address"}) but not in the inventory: it was not examined; add it to the inventory and run rollback again with -l ${name}`,
      name,
    ),
    bindings: items.map((i) => ({ ...i.original, action: "none" as const, reason: "not examined (host not in the inventory); this row is the original record to restore" })),
  };
}
