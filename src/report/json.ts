import type { z } from "zod";
import { Report, ReportHost } from "./schema.js";
import type { ReportView } from "./view.js";

/** A report that does not match the report.json contract: a bug in whoever built it, never user input. */
export class InvalidReportError extends Error {
  constructor(readonly issues: z.core.$ZodIssue[]) {
    super(`report does not match the report.json schema: ${issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`);
    this.name = "InvalidReportError";
  }
}

/** Parses with the schema: unknown keys are dropped and object keys come out in schema order. */
export function validateReport(report: unknown): Report {
  const parsed = Report.safeParse(report);
  if (!parsed.success) throw new InvalidReportError(parsed.error.issues);
  return parsed.data;
}

/** One host parsed on its own, its issues' paths as they would be in the whole report (`hosts.N...`). */
function validateHost(host: unknown, index: number): ReportHost {
  const parsed = ReportHost.safeParse(host);
  if (!parsed.success) throw new InvalidReportError(parsed.error.issues.map((i) => ({ ...i, path: ["hosts", index, ...i.path] })));
  return parsed.data;
}

/**
 * report.json. Key order follows the zod schema (so two runs diff cleanly whatever order the
 * builder used); a binding's `settings` keep netsh's display order, which is part of the data.
 */
export function renderJson(report: ReportView): string {
  return [...jsonChunks(report)].join("");
}

/** Where the hosts go in the envelope's text: `JSON.stringify(..., 2)` writes an empty array so. */
const HOSTS_SLOT = '\n  "hosts": []';

/**
 * report.json a host at a time, the same text as `JSON.stringify(validateReport(report), null, 2)`:
 * the envelope is validated and written with an empty host list, and each host is validated and
 * written into that slot on its own, so a big fleet's report never exists as one object or string.
 */
export function* jsonChunks(report: ReportView): Generator<string> {
  if (!isSequence(report.hosts)) validateReport(report); // throws, naming `hosts`
  const envelope = JSON.stringify(validateReport({ ...report, hosts: [] }), null, 2);
  const slot = envelope.indexOf(HOSTS_SLOT);
  if (report.hosts.length === 0 || slot < 0) {
    yield `${envelope}\n`;
    return;
  }
  yield `${envelope.slice(0, slot)}\n  "hosts": [\n`;
  let index = 0;
  for (const host of report.hosts) {
    // Nested one level deeper: four spaces before every line (a newline inside a value is escaped).
    const text = JSON.stringify(validateHost(host, index), null, 2).replaceAll("\n", "\n    ");
    yield `${index > 0 ? ",\n" : ""}    ${text}`;
    index++;
  }
  yield `\n  ]${envelope.slice(slot + HOSTS_SLOT.length)}\n`;
}

/** An array, or a sequence read again on every pass (./view.ts): each host is validated as it is written. */
function isSequence(hosts: unknown): boolean {
  return typeof hosts === "object" && hosts !== null && typeof (hosts as { length?: unknown }).length === "number" && typeof (hosts as Iterable<unknown>)[Symbol.iterator] === "function";
}
