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
export const JournalStep = z.enum(["binding", "deliver", "key-grant", "owner-setting", "rdp-setting"]);
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
  /** where the host was: its SSH port and the fingerprint of the host key the session was verified with. */
  port: z.number().int().positive().optional(),
  hostKey: z.string().optional(),
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
 * Before a PFX is staged and imported: the staging folder (rollback and resume delete it), the
 * certificate and whether it was in `My` before (rollback removes only what certfleet added).
 */
export const DeliverIntentRecord = z.object({
  type: z.literal("intent"),
  ...common,
  step: z.literal("deliver"),
  host: z.string(),
  address: z.string(),
  port: z.number().int().positive().optional(),
  hostKey: z.string().optional(),
  stagingFolder: z.string(),
  thumbprint: Thumbprint,
  presentBefore: z.boolean(),
});

/** After a delivery's part: imported, the staged files proven gone, or the imported certificate removed again. */
export const DeliverDoneRecord = z.object({
  type: z.literal("done"),
  ...common,
  step: z.literal("deliver"),
  host: z.string(),
  thumbprint: Thumbprint,
  outcome: z.enum(["imported", "cleaned", "removed", "failed"]),
  stagingFolder: z.string().optional(),
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
  port: z.number().int().positive().optional(),
  hostKey: z.string().optional(),
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


export const JournalRecord = z.union([RunRecord, BindingIntentRecord, BindingDoneRecord, DeliverIntentRecord, DeliverDoneRecord, ConsumerIntentRecord, ConsumerDoneRecord]);
export type JournalRecord = z.infer<typeof JournalRecord>;
export type DoneRecord = z.infer<typeof BindingDoneRecord>;
export type DeliverIntent = z.infer<typeof DeliverIntentRecord>;
export type DeliverOutcome = z.infer<typeof DeliverDoneRecord>["outcome"];

/** Who writes, for which host: what every record of one host's visit shares. */
export interface RecordContext {
  runId: string;
  host: string;
  address: string;
  port?: number;
  /** the host key the session was verified with; read when a record is written (known once connected). */
  hostKey?: () => string | undefined;
  now: () => Date;
}

/** The first record of a run: which command, and for a rollout which certificate. */
export function runRecord(runId: string, at: string, command: "rollout" | "rollback", newThumbprint?: string): JournalRecord {
  return { type: "run", runId, at, command, ...(newThumbprint ? { newThumbprint } : {}) };
}

export function bindingIntent(ctx: RecordContext, original: Binding, desired: Binding): JournalRecord {
  return { type: "intent", runId: ctx.runId, at: ctx.now().toISOString(), step: "binding", host: ctx.host, ...whereOf(ctx), original, desired };
}

export function bindingDone(ctx: RecordContext, b: Pick<Binding, "kind" | "endpoint">, outcome: DoneOutcome): JournalRecord {
  return { type: "done", runId: ctx.runId, at: ctx.now().toISOString(), step: "binding", host: ctx.host, kind: b.kind, endpoint: b.endpoint, outcome };
}

export interface JournaledBinding {
  host: string;
  /** where the host was when certfleet first touched this binding (older journals: address only). */
  address: string;
  port?: number;
  hostKey?: string;
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
      } else {
        byKey.set(key, {
          host: r.host,
          address: r.address,
          ...(r.port !== undefined ? { port: r.port } : {}),
          ...(r.hostKey !== undefined ? { hostKey: r.hostKey } : {}),
          original: r.original,
          desired: r.desired,
        });
      }
    } else if (r.type === "done") {
      const seen = byKey.get(bindingRecordKey(r.host, r.kind, r.endpoint));
      if (seen) seen.outcome = r;
    }
  }
  return [...byKey.values()];
}

/** Where the journal says a host was: the first record that names it (before certfleet first touched it). */
export interface JournaledWhere {
  address: string;
  port?: number;
  hostKey?: string;
}

export function journaledWhere(items: readonly JournaledBinding[]): JournaledWhere | undefined {
  const first = items[0];
  if (!first) return undefined;
  const hostKey = items.find((i) => i.hostKey !== undefined)?.hostKey;
  const port = items.find((i) => i.port !== undefined)?.port;
  return { address: first.address, ...(port !== undefined ? { port } : {}), ...(hostKey !== undefined ? { hostKey } : {}) };
}

/**
 * Why a host cannot be rolled back or resumed where the inventory now puts it, or undefined:
 * another address or port than the journal recorded. Pure; checked before any host is contacted.
 */
export function whereDiffers(host: { name: string; address: string; port: number }, where: JournaledWhere | undefined): string | undefined {
  if (!where) return undefined;
  const addressDiffers = where.address !== "" && where.address !== host.address;
  const portDiffers = where.port !== undefined && where.port !== host.port;
  if (!addressDiffers && !portDiffers) return undefined;
  const was = `${where.address}${where.port !== undefined ? `:${where.port}` : ""}`;
  return (
    `host ${host.name}: the journal recorded it at ${was}, the inventory now says ${host.address}:${host.port}. ` +
    `certfleet will not put bindings back on a host other than the one it changed: fix the inventory entry (or confirm by hand that it is the same server and rerun with -l excluding it)`
  );
}

/** Where the host was when a record is written (address, port, host key): rollback and resume check it. */
function whereOf(ctx: RecordContext): { address: string; port?: number; hostKey?: string } {
  const hostKey = ctx.hostKey?.();
  return { address: ctx.address, ...(ctx.port !== undefined ? { port: ctx.port } : {}), ...(hostKey !== undefined ? { hostKey } : {}) };
}

export function deliverIntent(ctx: RecordContext, d: Pick<DeliverIntent, "stagingFolder" | "thumbprint" | "presentBefore">): JournalRecord {
  return { type: "intent", runId: ctx.runId, at: ctx.now().toISOString(), step: "deliver", host: ctx.host, ...whereOf(ctx), ...d };
}

export function deliverDone(ctx: RecordContext, thumbprint: string, outcome: DeliverOutcome, stagingFolder?: string): JournalRecord {
  return { type: "done", runId: ctx.runId, at: ctx.now().toISOString(), step: "deliver", host: ctx.host, thumbprint, outcome, ...(stagingFolder ? { stagingFolder } : {}) };
}

/** What a journal says one host received from delivery, across runs. */
export interface JournaledDelivery {
  host: string;
  address: string;
  /** staging folders never proven gone (and the certificate each was for): rollback and resume delete them. */
  leftovers: Array<{ folder: string; thumbprint: string }>;
  /** certificates certfleet imported (the EARLIEST intent said they were absent) and has not removed since. */
  imported: string[];
}

export function journaledDeliveries(records: readonly JournalRecord[]): JournaledDelivery[] {
  const byHost = new Map<string, { address: string; folders: Map<string, string>; cleaned: Set<string>; firstPresent: Map<string, boolean>; removed: Set<string> }>();
  for (const r of records) {
    if (r.type === "run" || r.step !== "deliver") continue;
    let h = byHost.get(r.host);
    if (!h) byHost.set(r.host, (h = { address: "", folders: new Map(), cleaned: new Set(), firstPresent: new Map(), removed: new Set() }));
    if (r.type === "intent") {
      h.address = r.address;
      h.folders.set(r.stagingFolder, r.thumbprint);
      h.cleaned.delete(r.stagingFolder);
      if (!h.firstPresent.has(r.thumbprint)) h.firstPresent.set(r.thumbprint, r.presentBefore);
      h.removed.delete(r.thumbprint);
    } else if (r.outcome === "cleaned" && r.stagingFolder) h.cleaned.add(r.stagingFolder);
    else if (r.outcome === "removed") h.removed.add(r.thumbprint);
  }
  return [...byHost.entries()].map(([host, h]) => ({
    host,
    address: h.address,
    leftovers: [...h.folders].filter(([f]) => !h.cleaned.has(f)).map(([folder, thumbprint]) => ({ folder, thumbprint })),
    imported: [...h.firstPresent.entries()].filter(([t, present]) => !present && !h.removed.has(t)).map(([t]) => t),
  }));
}

export type ConsumerStepName = z.infer<typeof ConsumerStep>;

export function consumerIntent(ctx: RecordContext, step: ConsumerStepName, move: JournaledMove): JournalRecord {
  return { type: "intent", runId: ctx.runId, at: ctx.now().toISOString(), step, host: ctx.host, ...whereOf(ctx), move };
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
