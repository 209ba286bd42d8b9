import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { renderHtml } from "../../src/report/html.js";
import { InvalidReportError, renderJson } from "../../src/report/json.js";
import { renderJunit } from "../../src/report/junit.js";
import { renderMarkdown } from "../../src/report/markdown.js";
import { defaultOutDir, writeReports } from "../../src/report/write.js";
import { sampleReport } from "./sample-report.js";

describe("writeReports", () => {
  let root = "";
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "certfleet-write-"));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("creates the directory and writes the four files, mode 0644, with the writers' output", async () => {
    const dir = join(root, "a", "b", "20260320-140742-rollout");
    const previous = process.umask(0o077);
    let files: string[];
    try {
      ({ files } = await writeReports(dir, sampleReport));
    } finally {
      process.umask(previous);
    }
    expect(files).toEqual(["report.json", "report.md", "report.html", "junit.xml"].map((f) => join(dir, f)));
    expect((await readdir(dir)).sort()).toEqual(["junit.xml", "report.html", "report.json", "report.md"]);
    for (const f of files) expect((await stat(f)).mode & 0o777).toBe(0o644);
    expect(await readFile(join(dir, "report.json"), "utf8")).toBe(renderJson(sampleReport));
    expect(await readFile(join(dir, "report.md"), "utf8")).toBe(renderMarkdown(sampleReport));
    expect(await readFile(join(dir, "report.html"), "utf8")).toBe(renderHtml(sampleReport));
    expect(await readFile(join(dir, "junit.xml"), "utf8")).toBe(renderJunit(sampleReport));
  });

  it("writes only the formats asked for, into an existing directory", async () => {
    const { files } = await writeReports(root, sampleReport, { formats: ["junit", "json"] });
    expect(files).toEqual([join(root, "report.json"), join(root, "junit.xml")]);
    expect((await readdir(root)).sort()).toEqual(["junit.xml", "report.json"]);
  });

  it("writes nothing when the report breaks the contract", async () => {
    const dir = join(root, "out");
    const bad = { ...sampleReport, finishedAt: 42 } as unknown as typeof sampleReport;
    await expect(writeReports(dir, bad)).rejects.toBeInstanceOf(InvalidReportError);
    await expect(stat(dir)).rejects.toMatchObject({ code: "ENOENT" });
  });
});

describe("defaultOutDir", () => {
  it("is ./certfleet-out/<YYYYMMDD-HHMMSS>-<command> in local time", () => {
    expect(defaultOutDir("rollout", new Date(2026, 2, 5, 4, 7, 9))).toBe("./certfleet-out/20260305-040709-rollout");
    expect(defaultOutDir("discover", new Date(2026, 11, 31, 23, 59, 59))).toBe("./certfleet-out/20261231-235959-discover");
  });

  it("keeps a path separator in the command from escaping the folder", () => {
    expect(defaultOutDir("../x", new Date(2026, 0, 1, 0, 0, 0))).toBe("./certfleet-out/20260101-000000-x");
  });
});
