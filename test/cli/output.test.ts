import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { publish } from "../../src/cli/output.js";
import { sampleReport } from "../report/sample-report.js";

describe("publish", () => {
  let root = "";
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "certfleet-publish-"));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("names the report folder once, then the files: the line fits 80 columns for a run folder under the working one", async () => {
    const dir = join(root, "certfleet-out", "20261128-054431-rollback");
    const lines: string[] = [];
    const cwd = process.cwd();
    process.chdir(root);
    try {
      await publish(sampleReport, dir, (l) => lines.push(l));
    } finally {
      process.chdir(cwd);
    }
    expect(lines).toEqual(["reports: certfleet-out/20261128-054431-rollback/", "  report.json  report.md  report.html  junit.xml"]);
  });
});
