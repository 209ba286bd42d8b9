import type { z } from "zod";
import { Report } from "./schema.js";

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

/**
 * report.json. Key order follows the zod schema (so two runs diff cleanly whatever order the
 * builder used); a binding's `settings` keep netsh's display order, which is part of the data.
 */
export function renderJson(report: Report): string {
  return `${JSON.stringify(validateReport(report), null, 2)}\n`;
}
