/**
 * What one host's visit may do with the journal: record the intent before a change and what it
 * ended as after. The host's steps get this small object, never the file or the record format.
 */
import type { Binding } from "../model/binding.js";
import type { JournalWriter } from "./journal.js";
import { bindingDone, bindingIntent, consumerDone, consumerIntent, deliverDone, deliverIntent, type ConsumerStepName, type DeliverIntent, type DeliverOutcome, type DoneOutcome, type JournaledMove, type RecordContext } from "./record.js";

export interface HostJournal {
  /** BEFORE changing a binding: its full original and the record the change aims for. */
  intent(original: Binding, desired: Binding): void;
  /** AFTER: what the binding ended as. */
  done(binding: Pick<Binding, "kind" | "endpoint">, outcome: DoneOutcome): void;
  /** BEFORE staging a PFX: the staging folder, the certificate and whether it was there before. */
  deliverIntent(d: Pick<DeliverIntent, "stagingFolder" | "thumbprint" | "presentBefore">): void;
  /** AFTER a part of a delivery (imported, staged files gone, imported certificate removed). */
  deliverDone(thumbprint: string, outcome: DeliverOutcome, stagingFolder?: string): void;
  /** BEFORE changing a consumer's setting (a key grant, the WinRM listener, a registry value). */
  consumerIntent(step: ConsumerStepName, move: JournaledMove): void;
  /** AFTER: what it ended as. */
  consumerDone(step: ConsumerStepName, move: JournaledMove, outcome: DoneOutcome): void;
}

/** A host's journal; without a writer (a dry run) nothing is recorded. */
export function hostJournal(writer: JournalWriter | undefined, ctx: RecordContext): HostJournal {
  return {
    intent: (original, desired) => writer?.append(bindingIntent(ctx, original, desired)),
    done: (binding, outcome) => writer?.append(bindingDone(ctx, binding, outcome)),
    deliverIntent: (d) => writer?.append(deliverIntent(ctx, d)),
    deliverDone: (thumbprint, outcome, stagingFolder) => writer?.append(deliverDone(ctx, thumbprint, outcome, stagingFolder)),
    consumerIntent: (step, move) => writer?.append(consumerIntent(ctx, step, move)),
    consumerDone: (step, move, outcome) => writer?.append(consumerDone(ctx, step, move, outcome)),
  };
}
