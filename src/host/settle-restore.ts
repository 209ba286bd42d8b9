/**
 * What a journal can still do for one host after the run that wrote it was interrupted: put
 * every journaled binding back (rollback), or settle the host (a resumed rollout): finish each
 * binding the run left half-done and, when one cannot be finished, put every binding of the host
 * back, so that the host ends fully rebound or fully as it was (DESIGN.md safety protocol, 5 and 7).
 */
import type { Binding } from "../model/binding.js";
import { CertfleetError } from "../model/errors.js";
import type { BindingOutcome } from "./outcome.js";
import type { HostSession } from "../session/host-session.js";
import { sameBinding } from "../windows/commands.js";
import { changeBinding, manualFields, manualRestore } from "./change-binding.js";
import type { JournaledBinding } from "../journal/record.js";
import type { HostJournal } from "../journal/host-journal.js";

export interface RestoreResult {
  rows: BindingOutcome[];
  /** bindings that were not as before and now are. */
  changed: number;
  /** a binding could not be put back: its row carries the command to run by hand. */
  attention: boolean;
  error?: CertfleetError;
}

/** Puts every journaled binding back to its original record; bindings already so are left alone. */
export async function restoreJournaled(session: HostSession, items: readonly JournaledBinding[], journal: HostJournal, options: { finishing?: boolean } = {}): Promise<RestoreResult> {
  const rows: BindingOutcome[] = [];
  let changed = 0;
  let attention = false;
  let error: CertfleetError | undefined;
  for (const item of items) {
    // --host-timeout: a rollback starts no new binding once the host's budget is spent (a resume
    // putting a host back, `finishing`, uses the restore window instead). The binding was not
    // read: the complete sequence that puts the original back is printed either way.
    if (!options.finishing && session.budgetSpent()) {
      const manual = manualRestore(item.original, item.desired);
      rows.push({
        ...item.original,
        action: "failed",
        ...manualFields({ manualCommands: manual.commands, ...(manual.why ? { manualWhy: manual.why } : {}) }, "not restored: the host's time budget (--host-timeout) ran out first; run rollback again for this host, or paste"),
      });
      attention = true;
      error ??= new CertfleetError("timeout", "the host's time budget (--host-timeout) ran out before every binding was put back", session.host);
      continue;
    }
    const current = await session.readBinding(item.original);
    if (current && sameBinding(current, item.original)) {
      rows.push({ ...current, action: "none", before: current, after: current, reason: "already as it was before the rollout" });
      continue;
    }
    if (current && current.certHash !== item.original.certHash && current.certHash !== item.desired.certHash) {
      // Neither what certfleet found nor what it wrote: someone bound a third certificate since.
      // That is theirs to keep; putting the old one back over it would undo their fix.
      rows.push({ ...current, action: "none", before: current, after: current, reason: `changed by someone else since the rollout (now ${current.certHash}); left as it is` });
      continue;
    }
    journal.intent(current ?? item.desired, item.original);
    const out = await changeBinding(session, current ?? item.original, item.original, { allowMissing: true });
    const row: BindingOutcome = { ...item.original, before: current ?? undefined, after: out.after ?? undefined, action: "restored", reason: current ? `was ${current.certHash}` : "was missing" };
    if (out.result === "changed") {
      changed++;
    } else {
      row.action = "failed";
      error ??= out.error;
      if (out.result === "needs-attention") {
        attention = true;
        Object.assign(row, manualFields(out, `${row.reason}; ${out.error.message}`));
      }
    }
    journal.done(item.original, out.result === "changed" ? "restored" : out.result === "needs-attention" ? "needs-attention" : "failed");
    rows.push(row);
  }
  return { rows, changed, attention, ...(error ? { error } : {}) };
}

export type SettleResult =
  | { ok: true; finished: Array<{ item: JournaledBinding; after: Binding }> }
  | { ok: false; error: CertfleetError; restore: RestoreResult };

/**
 * `items` are all the host's journaled bindings; those without an outcome are half-done. Each is
 * moved from whatever http.sys holds now (the original, nothing, or already the target) to the
 * record the interrupted run was heading for, which for a host it was putting back is the original.
 */
export async function settleInterrupted(session: HostSession, items: readonly JournaledBinding[], journal: HostJournal): Promise<SettleResult> {
  const finished: Array<{ item: JournaledBinding; after: Binding }> = [];
  for (const item of items.filter((i) => i.outcome === undefined)) {
    if (session.budgetSpent()) {
      // --host-timeout: nothing new starts; what the interrupted run moved goes back (restore window).
      const error = new CertfleetError("timeout", "the host's time budget (--host-timeout) ran out before every half-done binding was finished; the host was put back", session.host);
      return { ok: false, error, restore: await restoreJournaled(session, items, journal, { finishing: true }) };
    }
    const current = await session.readBinding(item.original);
    if (current && current.certHash !== item.original.certHash && current.certHash !== item.desired.certHash) {
      // Someone else bound a third certificate since the crash: theirs is kept, as in a rollout.
      journal.done(item.original, "unchanged");
      continue;
    }
    const out = await changeBinding(session, current ?? item.original, item.desired, { allowMissing: true });
    if (out.result === "changed") {
      journal.done(item.original, sameBinding(item.desired, item.original) ? "restored" : "rebound");
      finished.push({ item, after: out.after });
      continue;
    }
    journal.done(item.original, out.result === "needs-attention" ? "needs-attention" : "failed");
    // A host ends fully rebound or fully as it was: the bindings the interrupted run (or this
    // one) already moved go back too.
    return { ok: false, error: out.error, restore: await restoreJournaled(session, items, journal, { finishing: true }) };
  }
  return { ok: true, finished };
}
