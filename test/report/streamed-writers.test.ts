import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { htmlChunks } from "../../src/report/html.js";
import { InvalidReportError, jsonChunks, validateReport } from "../../src/report/json.js";
import { junitChunks } from "../../src/report/junit.js";
import { collapseBlankLines, markdownChunks } from "../../src/report/markdown.js";
import { summarize, type Report, type ReportHost } from "../../src/report/schema.js";
import { writeReports } from "../../src/report/write.js";
import { discoverReport, sampleReport } from "./sample-report.js";

/**
 * The report writers go a host at a time so that a thousand-host report is never one string in
 * memory: what they write must be the very text of the one-shot form, and no piece they hand the
 * file may grow with the number of hosts.
 */

/** The sample's hosts repeated under new names until there are `n`. */
function fleetReport(base: Report, n: number): Report {
  const hosts: ReportHost[] = Array.from({ length: n }, (_, i) => {
    const h = base.hosts[i % base.hosts.length]!;
    return { ...h, name: `${h.name}-${i}` };
  });
  return { ...base, summary: summarize(hosts), hosts };
}

const WRITERS = { json: jsonChunks, md: markdownChunks, html: htmlChunks, junit: junitChunks } as const;

describe("report writers a host at a time", () => {
  it("report.json is the text JSON.stringify gives the validated report, for 0, 1 and many hosts", () => {
    for (const report of [{ ...sampleReport, hosts: [], summary: summarize([]) }, fleetReport(sampleReport, 1), fleetReport(sampleReport, 40), discoverReport]) {
      expect([...jsonChunks(report)].join("")).toBe(`${JSON.stringify(validateReport(report), null, 2)}\n`);
    }
  });

  it("no piece of any format is the document: at 400 hosts the biggest is a small part of the whole", () => {
    for (const [format, chunks] of Object.entries(WRITERS)) {
      const pieces = [...chunks(fleetReport(sampleReport, 400))];
      const total = pieces.reduce((n, c) => n + c.length, 0);
      expect(pieces.length, format).toBeGreaterThan(400);
      // The longest piece is one certificate's row, which names every host holding it.
      expect(Math.max(...pieces.map((c) => c.length)), format).toBeLessThan(total / 20);
    }
  });

  it("report.json and junit.xml: the biggest piece at 400 hosts is no bigger than at 12", () => {
    for (const format of ["json", "junit"] as const) {
      const biggest = (n: number) => Math.max(...[...WRITERS[format](fleetReport(sampleReport, n))].map((c) => c.length));
      expect(biggest(400), format).toBeLessThanOrEqual(biggest(12) + 16);
    }
  });

  it("a host that breaks the contract is named by its place in the report", () => {
    const report = fleetReport(sampleReport, 5);
    const hosts = report.hosts.map((h, i) => (i === 3 ? ({ ...h, durationMs: "slow" } as unknown as ReportHost) : h));
    expect(() => [...jsonChunks({ ...report, hosts })]).toThrow(/hosts\.3\.durationMs/);
  });
});

describe("collapseBlankLines", () => {
  const oneShot = (groups: string[][]) => `${groups.flat().join("\n").replace(/\n{3,}/g, "\n\n").trimEnd()}\n`;
  const cases: string[][][] = [
    [["# a", ""], [""], ["", "", "b"], ["c  ", ""], ["", "", ""], ["d"]],
    [["x"], [], [""], ["", "  "], ["", "y", "", "", ""]],
    [["", "", "", "start"], ["\t"], ["end", "", ""]],
    [["only"]],
  ];
  it("gives the text of joining every line and collapsing blank runs at once", () => {
    for (const groups of cases) expect([...collapseBlankLines(groups)].join("")).toBe(oneShot(groups));
  });

  it("holds for every way of cutting the same lines into groups", () => {
    const lines = ["# t", "", "", "a ", "", "", "", "b", "", " ", "", "c", "", ""];
    // every cut of the line list into consecutive groups (2^13 of them)
    for (let mask = 0; mask < 1 << (lines.length - 1); mask++) {
      const groups: string[][] = [[lines[0]!]];
      for (let i = 1; i < lines.length; i++) {
        if (mask & (1 << (i - 1))) groups.push([]);
        groups[groups.length - 1]!.push(lines[i]!);
      }
      expect([...collapseBlankLines(groups)].join("")).toBe(oneShot([lines]));
    }
  });
});

describe("writeReports, streamed", () => {
  let root = "";
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "certfleet-stream-"));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("a host that breaks the contract half-way leaves neither a file nor the folder it created", async () => {
    const report = fleetReport(sampleReport, 50);
    const hosts = report.hosts.map((h, i) => (i === 30 ? ({ ...h, status: "exploded" } as unknown as ReportHost) : h));
    const dir = join(root, "new", "out");
    await expect(writeReports(dir, { ...report, hosts })).rejects.toBeInstanceOf(InvalidReportError);
    await expect(stat(join(root, "new"))).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("in a folder that was there, it leaves the folder and nothing in it", async () => {
    const report = fleetReport(sampleReport, 50);
    const hosts = report.hosts.map((h, i) => (i === 49 ? ({ ...h, status: "exploded" } as unknown as ReportHost) : h));
    await expect(writeReports(root, { ...report, hosts })).rejects.toBeInstanceOf(InvalidReportError);
    expect(await readdir(root)).toEqual([]);
  });

  it("writes a 300-host report whose files are the one-shot texts", async () => {
    const report = fleetReport(sampleReport, 300);
    await writeReports(root, report);
    expect(await readFile(join(root, "report.json"), "utf8")).toBe(`${JSON.stringify(validateReport(report), null, 2)}\n`);
    expect(await readFile(join(root, "report.md"), "utf8")).toBe([...markdownChunks(report)].join(""));
    expect((await readdir(root)).sort()).toEqual(["junit.xml", "report.html", "report.json", "report.md"]);
  });

  let root2 = "";
  beforeEach(async () => {
    root2 = await mkdtemp(join(tmpdir(), "certfleet-exit-"));
  });
  afterEach(async () => {
    await rm(root2, { recursive: true, force: true });
  });

  it("a process that exits half-way (a second Ctrl-C) leaves no .partial file behind", async () => {
    const { execFile } = await import("node:child_process");
    const { existsSync } = await import("node:fs");
    const root = join(__dirname, "..", "..");
    const write = join(root, "dist", "report", "write.js");
    if (!existsSync(write)) {
      await new Promise<void>((ok, fail) => execFile("npm", ["run", "build"], { cwd: root, timeout: 120_000 }, (err) => (err ? fail(err) : ok())));
    }
    const report = fleetReport(sampleReport, 300);
    // The 200th host's name is read while report.json is being written: the process exits there.
    const script = `
      import { writeReports } from ${JSON.stringify(write)};
      import { existsSync } from "node:fs";
      import { readFileSync } from "node:fs";
      const report = JSON.parse(readFileSync(process.argv[1], "utf8"));
      const dir = process.argv[2];
      const host = report.hosts[200];
      const name = host.name;
      Object.defineProperty(host, "name", { enumerable: true, get() {
        if (!existsSync(dir + "/report.json.partial")) throw new Error("no partial file while writing");
        process.exit(130);
      } });
      await writeReports(dir, report);`;
    const reportFile = join(root2, "input.json");
    const out = join(root2, "out");
    const { writeFile } = await import("node:fs/promises");
    await writeFile(reportFile, JSON.stringify(report));
    const code = await new Promise<number | null>((resolve) => {
      const child = execFile(process.execPath, ["--input-type=module", "-e", script, reportFile, out], { timeout: 60_000 }, () => undefined);
      child.on("exit", (c) => resolve(c));
    });
    expect(code).toBe(130);
    expect(await readdir(out)).toEqual([]);
  });
});

