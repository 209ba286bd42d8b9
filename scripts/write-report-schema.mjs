#!/usr/bin/env node
// Writes schema/report.schema.json from the compiled zod contract. Run after `npm run build`:
//   npm run build && node scripts/write-report-schema.mjs
// test/report/json-schema.test.ts fails when the committed file differs from the generated one
// (it can also regenerate it: CERTFLEET_UPDATE_SCHEMA=1 npx vitest run test/report/json-schema.test.ts).
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const compiled = `${root}dist/report/json-schema.js`;
if (!existsSync(compiled)) {
  process.stderr.write(`write-report-schema: ${compiled} not found; run \`npm run build\` first\n`);
  process.exit(1);
}
const { REPORT_SCHEMA_PATH, renderReportJsonSchema } = await import(pathToFileURL(compiled).href);
const target = `${root}${REPORT_SCHEMA_PATH}`;
await mkdir(dirname(target), { recursive: true });
await writeFile(target, renderReportJsonSchema());
process.stdout.write(`wrote ${REPORT_SCHEMA_PATH}\n`);
