/**
 * The journal file: one JSON object per line (the records and their rules: ./record.ts),
 * appended and fsync'd before the change it describes, in a file only the operator can read (0600). It is what `rollback` and a resumed
 * rollout trust when the orchestrator died mid-host, so every record is self-contained and a
 * half-written last line (the process killed mid-write) is detected and ignored.
 */
import { closeSync, fstatSync, fsyncSync, mkdirSync, openSync, readFileSync, readSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { JournalRecord } from "./record.js";

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
