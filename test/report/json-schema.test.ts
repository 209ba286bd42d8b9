import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { renderJson } from "../../src/report/json.js";
import { REPORT_SCHEMA_PATH, renderReportJsonSchema, reportJsonSchema } from "../../src/report/json-schema.js";
import { report as rolloutWithFailures } from "./rollout-outcomes.js";
import { discoverReport, sampleReport } from "./sample-report.js";

const schemaFile = fileURLToPath(new URL(`../../${REPORT_SCHEMA_PATH}`, import.meta.url));

// `CERTFLEET_UPDATE_SCHEMA=1 npx vitest run test/report/json-schema.test.ts` regenerates the file
// (so does `node scripts/write-report-schema.mjs` after a build).
const update = process.env.CERTFLEET_UPDATE_SCHEMA === "1";

describe("schema/report.schema.json", () => {
  it("on disk equals the schema generated from src/report/schema.ts", async () => {
    if (update) await writeFile(schemaFile, renderReportJsonSchema());
    const onDisk = await readFile(schemaFile, "utf8");
    expect(onDisk, "stale: regenerate with CERTFLEET_UPDATE_SCHEMA=1 npx vitest run test/report/json-schema.test.ts").toBe(
      renderReportJsonSchema(),
    );
  });

  it("is a draft 2020-12 object schema that requires the contract's top-level keys", () => {
    const schema = reportJsonSchema() as { $schema: string; type: string; required: string[]; properties: Record<string, unknown> };
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(schema.type).toBe("object");
    expect(schema.required).toEqual(expect.arrayContaining(["schemaVersion", "tool", "command", "startedAt", "finishedAt", "summary", "hosts"]));
    expect(Object.keys(schema.properties)).toContain("target");
  });

  it("describes the remedy of a failed host and the new certificate's names and expiry", () => {
    const schema = reportJsonSchema() as { properties: Record<string, { properties?: Record<string, unknown>; items?: { properties?: Record<string, unknown> } }> };
    expect(Object.keys(schema.properties.target?.properties ?? {})).toEqual(expect.arrayContaining(["dnsNames", "notBefore", "notAfter", "describedBy"]));
    expect(Object.keys(schema.properties.hosts?.items?.properties ?? {})).toContain("remedy");
  });

  it("accepts the sample reports as written to report.json and rejects broken ones", async () => {
    const validator = z.fromJSONSchema(JSON.parse(await readFile(schemaFile, "utf8")) as Parameters<typeof z.fromJSONSchema>[0]);
    for (const report of [sampleReport, discoverReport, rolloutWithFailures]) {
      const result = validator.safeParse(JSON.parse(renderJson(report)));
      expect(result.success, result.success ? "" : JSON.stringify(result.error.issues)).toBe(true);
    }
    const json = JSON.parse(renderJson(sampleReport)) as { hosts: Array<{ status: string; bindings: Array<{ certHash: string | null }> }> };
    const badStatus = structuredClone(json);
    if (badStatus.hosts[0]) badStatus.hosts[0].status = "exploded";
    expect(validator.safeParse(badStatus).success).toBe(false);
    const badHash = structuredClone(json);
    const b = badHash.hosts[0]?.bindings[0];
    if (b) b.certHash = "ABC";
    expect(validator.safeParse(badHash).success).toBe(false);
  });
});
