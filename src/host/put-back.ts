/**
 * Puts moved bindings back to their originals, last moved first, each journaled before it is
 * touched (so a run killed mid-undo is finished by a resume) and its outcome journaled after.
 * The one undo used when a host's change fails part-way and when its TLS proof fails.
 */
import type { Binding } from "../model/binding.js";
import type { HostSession } from "../session/host-session.js";
import { changeBinding, type ChangeOutcome } from "./change-binding.js";
import type { HostJournal } from "../journal/host-journal.js";

export interface Move {
  original: Binding;
  /** what the binding was moved to (and reads as now, as far as certfleet knows). */
  moved: Binding;
}

/** Outcomes in the order of `moves` (the work itself runs in reverse). */
export async function putBack(session: HostSession, moves: readonly Move[], journal: HostJournal): Promise<ChangeOutcome[]> {
  const outcomes: ChangeOutcome[] = new Array(moves.length);
  for (let i = moves.length - 1; i >= 0; i--) {
    const { original, moved } = moves[i]!;
    journal.intent(moved, original);
    const back = await changeBinding(session, moved, original, { allowMissing: true });
    journal.done(original, back.result === "changed" ? "restored" : "needs-attention");
    outcomes[i] = back;
  }
  return outcomes;
}
