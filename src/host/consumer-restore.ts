/**
 * Rollback of the consumer steps: every journaled consumer setting back to its original, last
 * journaled first (the RDP value and the owners' settings before the key grants they needed).
 * A setting already as it was is left; one that names neither the original nor certfleet's value
 * was changed by someone else and is left too (reported); a grant certfleet added is removed.
 */
import type { CertfleetError } from "../model/errors.js";
import type { HostSession } from "../session/host-session.js";
import type { HostJournal } from "../journal/host-journal.js";
import type { JournaledConsumer } from "../journal/record.js";
import { undoCommand, type ConsumerMove } from "../plan/consumer-moves.js";
import { undoMove } from "./consumer-move.js";
import type { ConsumerRow } from "./outcome.js";
import { moveRow } from "./steps/consumers.js";

export interface ConsumerRestoreResult {
  rows: ConsumerRow[];
  changed: number;
  attention: boolean;
  error?: CertfleetError;
}

export async function restoreConsumers(session: HostSession, items: readonly JournaledConsumer[], journal: HostJournal): Promise<ConsumerRestoreResult> {
  const rows: ConsumerRow[] = [];
  let changed = 0;
  let attention = false;
  let error: CertfleetError | undefined;
  await session.ensureShell();
  for (const item of [...items].reverse()) {
    const r = await undoMove(session, item.step, item.move, journal);
    if (r.result === "changed") {
      changed++;
      rows.push(moveRow(item.move, "restored"));
    } else if (r.result === "unchanged") {
      rows.push(moveRow(item.move, "none", "already as it was before the rollout"));
    } else if (r.result === "third-party") {
      rows.push(moveRow(item.move, "none", r.error.message));
    } else {
      attention = true;
      error ??= r.error;
      const manual = undoCommand(session.shell, item.move as ConsumerMove, session.host);
      rows.push({ ...moveRow(item.move, "failed", r.error.message), ...(manual ? { manualCommand: manual } : {}) });
    }
  }
  return { rows, changed, attention, ...(error ? { error } : {}) };
}
