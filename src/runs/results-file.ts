/**
 * The run's results file (`results.ndjson` beside the reports): one line per host, appended the
 * moment the host is done, so that a fleet command holds only the hosts in progress (at most
 * `-c`) and the reports are built from the file at the end. A run killed half-way leaves every
 * finished host's result on disk. A host's outcome carries no secret (the same data as
 * report.json); the raw remote text is only in the error of a failed host.
 */
import { closeSync, mkdirSync, openSync, readSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { CertfleetError } from "../model/errors.js";
import type { HostOutcome } from "../host/outcome.js";

/** Where a run hands each host's outcome as it finishes. */
export interface HostResultSink {
  add(outcome: HostOutcome): void;
}

export interface ResultsFile extends HostResultSink {
  readonly path: string;
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
  for (const line of placedLinesOf(path)) yield line.text;
}

/** A line of the file and where its bytes are (without the newline), to read it again on its own. */
interface PlacedLine {
  text: string;
  offset: number;
  bytes: number;
}

/**
 * The file's lines with their byte offsets, read in 64 KB pieces. Split on the newline byte, which
 * never occurs inside a UTF-8 sequence, so each line's bytes decode on their own.
 */
function* placedLinesOf(path: string): Generator<PlacedLine> {
  const fd = openSync(path, "r");
  try {
    const buffer = Buffer.alloc(64 * 1024);
    let rest: Buffer[] = [];
    let restBytes = 0;
    let offset = 0; // of the first byte of `rest`
    for (let n = readSync(fd, buffer); n > 0; n = readSync(fd, buffer)) {
      let start = 0;
      for (let nl = buffer.indexOf(10, 0); nl >= 0 && nl < n; nl = buffer.indexOf(10, start)) {
        const piece = buffer.subarray(start, nl);
        const bytes = restBytes + piece.length;
        const text = restBytes > 0 ? Buffer.concat([...rest, piece]).toString("utf8") : piece.toString("utf8");
        yield { text, offset, bytes };
        offset += bytes + 1;
        rest = [];
        restBytes = 0;
        start = nl + 1;
      }
      if (start < n) {
        // the buffer is refilled by the next read: the unfinished line's bytes are copied out
        rest.push(Buffer.from(buffer.subarray(start, n)));
        restBytes += n - start;
      }
    }
    if (restBytes > 0) yield { text: Buffer.concat(rest).toString("utf8"), offset, bytes: restBytes };
  } finally {
    closeSync(fd);
  }
}

/**
 * A results file's outcomes in `names` order (hosts without one left out; a host's last line
 * wins), read again from the file on every pass: never all in memory. The file is gone through
 * once here, each line parsed and handed to `visit` in file order (for what the report needs of
 * every host before it writes the first one), and only each host's place in the file is kept.
 */
export interface StoredOutcomes extends Iterable<HostOutcome> {
  readonly length: number;
  /** the hosts that have an outcome, in `names` order */
  readonly names: readonly string[];
}

export function storedOutcomes(path: string, names: readonly string[], visit: (outcome: HostOutcome) => void = () => {}): StoredOutcomes {
  const placed = new Map<string, { offset: number; bytes: number }>();
  for (const line of placedLinesOf(path)) {
    if (line.text.trim() === "") continue;
    const outcome = revive(line.text);
    placed.set(outcome.name, { offset: line.offset, bytes: line.bytes });
    visit(outcome);
  }
  const present = names.filter((n) => placed.has(n));
  const places = present.map((n) => placed.get(n)!);
  return {
    length: present.length,
    names: present,
    *[Symbol.iterator]() {
      const fd = openSync(path, "r");
      // one buffer for the pass, grown for a longer line: not a buffer of its own per host
      let buffer = Buffer.allocUnsafe(64 * 1024);
      try {
        for (const { offset, bytes } of places) {
          if (bytes > buffer.length) buffer = Buffer.allocUnsafe(bytes);
          readSync(fd, buffer, 0, bytes, offset);
          yield revive(buffer.toString("utf8", 0, bytes));
        }
      } finally {
        closeSync(fd);
      }
    },
  };
}

/** One line back into an outcome (its error as a CertfleetError again). */
function revive(line: string): HostOutcome {
  const raw = JSON.parse(line) as { name: string; error?: { kind: CertfleetError["kind"]; message: string; remote?: string } | CertfleetError };
  // Our own file, written from HostOutcome values a moment ago: revived in place, not re-validated.
  if (raw.error) raw.error = new CertfleetError(raw.error.kind, raw.error.message, raw.name, raw.error.remote);
  return raw as unknown as HostOutcome;
}

/** The outcome to keep in memory: none when a sink took it. */
export function handOver(outcome: HostOutcome, sink: HostResultSink | undefined): HostOutcome | undefined {
  if (!sink) return outcome;
  sink.add(outcome);
  return undefined;
}
