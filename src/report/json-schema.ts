import { z } from "zod";
import { Report } from "./schema.js";

/** Where the published JSON Schema lives, relative to the project root. */
export const REPORT_SCHEMA_PATH = "schema/report.schema.json";

/** The JSON Schema (draft 2020-12) of report.json, generated from the zod contract. */
export function reportJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(Report, { target: "draft-2020-12", io: "output" });
  return {
    ...generated,
    title: "certfleet report.json",
    description: "The report every certfleet command writes (schemaVersion 1). Generated from src/report/schema.ts.",
  };
}

/** The exact text of schema/report.schema.json; a test keeps the file on disk equal to it. */
export function renderReportJsonSchema(): string {
  return `${JSON.stringify(reportJsonSchema(), null, 2)}\n`;
}
