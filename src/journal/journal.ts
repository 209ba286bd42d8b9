/**
 * The rollout journal: one JSON object per line, appended and fsync'd before the change it
 * describes, in a file only the operator can read (0600). It is what `rollback` and a resumed
 * rollout trust when the orchestrator died mid-host, so every record is self-contained and a
 * half-written last line (the process killed mid-write) is detected and ignored.
 */
import { closeSync, fstatSync, fsyncSync, mkdirSync, openSync, readFileSync, readSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { z } from "zod";
import { Binding } from "../model/binding.js";
import { Thumbprint } from "../model/thumbprint.js";

export const JournalRecord = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("run"),
    runId: z.string(),
    at: z.string(),
    command: z.enum(["rollout", "rollback"]),
    newThumbprint: Thumbprint.optional(),
    inventory: z.string().optional(),
  }),
  z.object({
    type: z.literal("intent"),
    runId: z.string(),
    at: z.string(),
    host: z.string(),
    address: z.string(),
    /** the full record as read just before the change: what a restore puts back. */
    original: Binding,
    /** the record the change aims for. */
    desired: Binding,
  }),
  z.object({
    type: z.literal("done"),
    runId: z.string(),
    at: z.string(),
    host: z.string(),
    kind: Binding.shape.kind,
    endpoint: z.string(),
    outcome: z.enum(["rebound", "restored", "unchanged", "failed", "needs-attention"]),
  }),
]);
export type JournalRecord = z.infer<typeof JournalRecord>;

export interface JournalWriter {
  readonly path: string;
  append(record: JournalRecord): void;
  close(): void;
}

export function openJournal(path: string): JournalWriter {
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, "a+", 0o600);
  // A journal whose last write was torn (the process killed mid-line) ends without a newline:
  // start on a fresh line, or the next record would be glued to the torn one and lost with it.
  const size = fstatSync(fd).size;
  if (size > 0) {
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    if (last[0] !== 0x0a) writeSync(fd, "\n");
  }
  return {
    path,
    append(record) {
      const line = `${JSON.stringify(JournalRecord.parse(record))}\n`;
      writeSync(fd, line);
      fsyncSync(fd);
    },
    close() {
      closeSync(fd);
    },
  };
}

export interface JournalContents {
  records: JournalRecord[];
  /** lines that could not be read: a torn last line, or damage. */
  damaged: Array<{ line: number; text: string }>;
}

export function parseJournal(text: string): JournalContents {
  const records: JournalRecord[] = [];
  const damaged: Array<{ line: number; text: string }> = [];
  const lines = text.split("\n");
  lines.forEach((raw, i) => {
    if (raw.trim() === "") return;
    try {
      records.push(JournalRecord.parse(JSON.parse(raw)));
    } catch {
      damaged.push({ line: i + 1, text: raw.slice(0, 200) });
    }
  });
  return { records, damaged };
}

export function readJournal(path: string): JournalContents {
  return parseJournal(readFileSync(path, "utf8"));
}

export interface JournaledBinding {
  host: string;
  address: string;
  original: Binding;
  desired: Binding;
  /** the last outcome recorded for it, if the run got that far. */
  outcome?: JournalRecord & { type: "done" };
}

/**
 * Per host and binding key: the EARLIEST original (what was there before certfleet first touched
 * it, across resumed runs) and the latest intent's desired record.
 */
export function journaledBindings(records: readonly JournalRecord[]): JournaledBinding[] {
  const byKey = new Map<string, JournaledBinding>();
  for (const r of records) {
    if (r.type === "intent") {
      const key = `${r.host}\u0000${r.original.kind}=${r.original.endpoint.toLowerCase()}`;
      const seen = byKey.get(key);
      if (seen) {
        seen.desired = r.desired;
        delete seen.outcome;
      } else byKey.set(key, { host: r.host, address: r.address, original: r.original, desired: r.desired });
    } else if (r.type === "done") {
      const seen = byKey.get(`${r.host}\u0000${r.kind}=${r.endpoint.toLowerCase()}`);
      if (seen) seen.outcome = r;
    }
  }
  return [...byKey.values()];
}
