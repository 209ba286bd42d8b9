/**
 * The journal's record format and its rules, in one place:
 * - an `intent` record is written (and fsync'd) BEFORE the change it describes, holding the full
 *   original: what a restore puts back;
 * - a `done` record is written AFTER, saying what the change ended as;
 * - across runs (a resume appends to the same journal) the EARLIEST original of a thing wins: it
 *   is what was there before certfleet first touched it.
 *
 * Each record names the `step` that wrote it. Bindings (http.sys, the rebind step) are the first
 * payload; a later step (a certificate import, a registry value, a listener, a key grant) adds its
 * own intent and done shapes to the unions below, keyed by its own `step` literal. Journals
 * written before records named their step have no `step`: they are binding records.
 */
import { z } from "zod";
import { Binding } from "../model/binding.js";
import { Thumbprint } from "../model/thumbprint.js";

const common = { runId: z.string(), at: z.string() };

/** The steps that journal what they change; each owns its records' payload. */
export const JournalStep = z.enum(["binding", "key-grant", "owner-setting", "rdp-setting"]);
export type JournalStep = z.infer<typeof JournalStep>;

export const RunRecord = z.object({
  type: z.literal("run"),
  ...common,
  command: z.enum(["rollout", "rollback"]),
  newThumbprint: Thumbprint.optional(),
  inventory: z.string().optional(),
});

export const DoneOutcome = z.enum(["rebound", "restored", "unchanged", "failed", "needs-attention"]);
export type DoneOutcome = z.infer<typeof DoneOutcome>;

/** Before an http.sys binding changes: the full record as read, and the record the change aims for. */
export const BindingIntentRecord = z.object({
  type: z.literal("intent"),
  ...common,
  step: z.literal("binding").optional(),
  host: z.string(),
  address: z.string(),
  /** the full record as read just before the change: what a restore puts back. */
  original: Binding,
  /** the record the change aims for. */
  desired: Binding,
});

/** After an http.sys binding's change: what it ended as. */
export const BindingDoneRecord = z.object({
  type: z.literal("done"),
  ...common,
  step: z.literal("binding").optional(),
  host: z.string(),
  kind: Binding.shape.kind,
  endpoint: z.string(),
  outcome: DoneOutcome,
});

/**
 * A consumer's setting that a step changes (src/plan/consumer-moves.ts): a key grant by SID, the
 * WinRM listener's thumbprint, a registry value. `from` is the original a restore puts back
 * (null: the value was absent, or the SID had no grant: a restore removes what certfleet added).
 */
export const JournaledMove = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("key-grant"),
    thumbprint: Thumbprint,
    location: z.object({ uniqueName: z.string(), provider: z.string(), storage: z.enum(["csp", "cng"]) }),
    sid: z.string(),
    why: z.string(),
  }),
  z.object({ kind: z.literal("winrm-listener"), address: z.string(), from: Thumbprint.nullable(), to: Thumbprint }),
  z.object({ kind: z.literal("registry"), consumer: z.enum(["rdp", "wmsvc"]), from: Thumbprint.nullable(), to: Thumbprint }),
]);
export type JournaledMove = z.infer<typeof JournaledMove>;

const ConsumerStep = z.enum(["key-grant", "owner-setting", "rdp-setting"]);

/** Before a consumer's setting changes: the move, holding the original. */
export const ConsumerIntentRecord = z.object({
  type: z.literal("intent"),
  ...common,
  step: ConsumerStep,
  host: z.string(),
  address: z.string(),
  move: JournaledMove,
});

/** After a consumer's setting changed (or was put back): what it ended as. */
export const ConsumerDoneRecord = z.object({
  type: z.literal("done"),
  ...common,
  step: ConsumerStep,
  host: z.string(),
  /** moveKey(move): which consumer */
  consumer: z.string(),
  outcome: DoneOutcome,
});

/** One consumer's identity on a host: the same across the intent and done records and across runs. */
export function moveKey(move: JournaledMove): string {
  switch (move.kind) {
    case "key-grant":
      return `key-grant:${move.thumbprint}:${move.sid}`;
    case "winrm-listener":
      return `winrm-listener:${move.address.toLowerCase()}`;
    case "registry":
      return `registry:${move.consumer}`;
  }
}

export const JournalRecord = z.union([RunRecord, BindingIntentRecord, BindingDoneRecord, ConsumerIntentRecord, ConsumerDoneRecord]);
export type JournalRecord = z.infer<typeof JournalRecord>;
export type DoneRecord = z.infer<typeof BindingDoneRecord>;

/** Who writes, for which host: what every record of one host's visit shares. */
export interface RecordContext {
  runId: string;
  host: string;
  address: string;
  now: () => Date;
}

/** The first record of a run: which command, and for a rollout which certificate. */
export function runRecord(runId: string, at: string, command: "rollout" | "rollback", newThumbprint?: string): JournalRecord {
  return { type: "run", runId, at, command, ...(newThumbprint ? { newThumbprint } : {}) };
}

export function bindingIntent(ctx: RecordContext, original: Binding, desired: Binding): JournalRecord {
  return { type: "intent", runId: ctx.runId, at: ctx.now().toISOString(), step: "binding", host: ctx.host, address: ctx.address, original, desired };
}

export function bindingDone(ctx: RecordContext, b: Pick<Binding, "kind" | "endpoint">, outcome: DoneOutcome): JournalRecord {
  return { type: "done", runId: ctx.runId, at: ctx.now().toISOString(), step: "binding", host: ctx.host, kind: b.kind, endpoint: b.endpoint, outcome };
}

export interface JournaledBinding {
  host: string;
  address: string;
  original: Binding;
  desired: Binding;
  /** the last outcome recorded for it, if the run got that far. */
  outcome?: DoneRecord;
}

const bindingRecordKey = (host: string, kind: string, endpoint: string) => `${host}\u0000${kind}=${endpoint.toLowerCase()}`;

/**
 * Per host and binding key: the EARLIEST original (what was there before certfleet first touched
 * it, across resumed runs) and the latest intent's desired record; a later intent clears the
 * outcome (that binding is in flight again until its done record).
 */
export function journaledBindings(records: readonly JournalRecord[]): JournaledBinding[] {
  const byKey = new Map<string, JournaledBinding>();
  for (const r of records) {
    if ((r.type === "intent" || r.type === "done") && r.step !== undefined && r.step !== "binding") continue;
    if (r.type === "intent") {
      const key = bindingRecordKey(r.host, r.original.kind, r.original.endpoint);
      const seen = byKey.get(key);
      if (seen) {
        seen.desired = r.desired;
        delete seen.outcome;
      } else byKey.set(key, { host: r.host, address: r.address, original: r.original, desired: r.desired });
    } else if (r.type === "done") {
      const seen = byKey.get(bindingRecordKey(r.host, r.kind, r.endpoint));
      if (seen) seen.outcome = r;
    }
  }
  return [...byKey.values()];
}

export type ConsumerStepName = z.infer<typeof ConsumerStep>;

export function consumerIntent(ctx: RecordContext, step: ConsumerStepName, move: JournaledMove): JournalRecord {
  return { type: "intent", runId: ctx.runId, at: ctx.now().toISOString(), step, host: ctx.host, address: ctx.address, move };
}

export function consumerDone(ctx: RecordContext, step: ConsumerStepName, move: JournaledMove, outcome: DoneOutcome): JournalRecord {
  return { type: "done", runId: ctx.runId, at: ctx.now().toISOString(), step, host: ctx.host, consumer: moveKey(move), outcome };
}

export interface JournaledConsumer {
  host: string;
  address: string;
  step: ConsumerStepName;
  /** the EARLIEST journaled move of this consumer: its `from` is what was there before certfleet */
  move: JournaledMove;
  outcome?: DoneOutcome;
}

/**
 * Per host and consumer, in the order first journaled: the earliest original wins (as for
 * bindings), the latest done record says how it ended.
 */
export function journaledConsumers(records: readonly JournalRecord[]): JournaledConsumer[] {
  const byKey = new Map<string, JournaledConsumer>();
  for (const r of records) {
    if (r.type === "intent" && "move" in r) {
      const key = `${r.host}\u0000${moveKey(r.move)}`;
      const seen = byKey.get(key);
      if (seen) delete seen.outcome;
      else byKey.set(key, { host: r.host, address: r.address, step: r.step, move: r.move });
    } else if (r.type === "done" && "consumer" in r) {
      const seen = byKey.get(`${r.host}\u0000${r.consumer}`);
      if (seen) seen.outcome = r.outcome;
    }
  }
  return [...byKey.values()];
}
