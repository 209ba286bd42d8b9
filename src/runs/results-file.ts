/**
 * The run's results file (`results.ndjson` beside the reports): one line per host, appended the
 * moment the host is done, so that a fleet command holds only the hosts in progress (at most
 * `-c`) and the reports are built from the file at the end. A run killed half-way leaves every
 * finished host's result on disk. A host's outcome carries no secret (the same data as
 * report.json); the raw remote text is only in the error of a failed host.
 */
import { closeSync, mkdirSync, openSync, readSync, writeSync } from "node:fs";
import { StringDecoder } from "node:string_decoder";
import { dirname } from "node:path";
import { CertfleetError } from "../model/errors.js";
import type { HostOutcome } from "../host/outcome.js";

/** Where a run hands each host's outcome as it finishes. */
export interface HostResultSink {
  add(outcome: HostOutcome): void;
}

export interface ResultsFile extends HostResultSink {
  readonly path: string;
  /** every host's outcome, in the order of `names` (the inventory's); hosts without one are left out. */
  readAll(names: readonly string[]): HostOutcome[];
  close(): void;
}

export function openResultsFile(path: string): ResultsFile {
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, "w", 0o600);
  let open = true;
  return {
    path,
    add(outcome) {
      // CertfleetError serialises as { kind, message, remote } (its toJSON).
      writeSync(fd, `${JSON.stringify(outcome)}\n`);
    },
    readAll(names) {
      return orderedResults(linesOf(path), names);
    },
    close() {
      if (open) closeSync(fd);
      open = false;
    },
  };
}

/**
 * The file's lines, read in 64 KB pieces: a thousand hosts' results are never one string (it
 * would sit in V8's large-object space until a full collection).
 */
export function* linesOf(path: string): Generator<string> {
  const fd = openSync(path, "r");
  try {
    const buffer = Buffer.alloc(64 * 1024);
    const decoder = new StringDecoder("utf8");
    let rest = "";
    for (let n = readSync(fd, buffer); n > 0; n = readSync(fd, buffer)) {
      const lines = (rest + decoder.write(buffer.subarray(0, n))).split("\n");
      rest = lines.pop()!;
      yield* lines;
    }
    rest += decoder.end();
    if (rest !== "") yield rest;
  } finally {
    closeSync(fd);
  }
}

/** Parses a results file's lines (or its whole text) back into outcomes (errors as CertfleetError again), in `names` order. */
export function orderedResults(text: string | Iterable<string>, names: readonly string[]): HostOutcome[] {
  const byName = new Map<string, HostOutcome>();
  for (const line of typeof text === "string" ? text.split("\n") : text) {
    if (line.trim() === "") continue;
    const raw = JSON.parse(line) as Record<string, unknown> & { name: string; error?: { kind: CertfleetError["kind"]; message: string; remote?: string } };
    const error = raw.error ? new CertfleetError(raw.error.kind, raw.error.message, raw.name, raw.error.remote) : undefined;
    // Our own file, written from HostOutcome values a moment ago: revived, not re-validated.
    byName.set(raw.name, { ...raw, ...(error ? { error } : {}) } as unknown as HostOutcome);
  }
  return names.flatMap((n) => {
    const o = byName.get(n);
    return o ? [o] : [];
  });
}

/** The outcome to keep in memory: none when a sink took it. */
export function handOver(outcome: HostOutcome, sink: HostResultSink | undefined): HostOutcome | undefined {
  if (!sink) return outcome;
  sink.add(outcome);
  return undefined;
}
