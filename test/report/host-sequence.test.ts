/**
 * Every reader of a report's hosts takes them as a sequence (src/report/view.ts) that is gone
 * through again on every pass, never as an array: the CLI hands them a sequence read from the
 * results file a host at a time. Given one that has no array methods, builds fresh host objects on
 * every pass and refuses to be gone through twice at once, each reader must write exactly what it
 * writes for the same hosts in an array.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { exitCodeFor } from "../../src/cli/output.js";
import { expiryFromReport } from "../../src/cli/expiry-warning.js";
import { changeGroups } from "../../src/cli/plan-groups.js";
import { renderRemedies, renderRunSummary } from "../../src/cli/run-summary.js";
import { certificatesSeen } from "../../src/report/certificates-seen.js";
import { htmlChunks } from "../../src/report/html.js";
import { jsonChunks } from "../../src/report/json.js";
import { junitChunks } from "../../src/report/junit.js";
import { markdownChunks } from "../../src/report/markdown.js";
import { summarize, type Report, type ReportHost } from "../../src/report/schema.js";
import { renderDiscoverSummary } from "../../src/report/summary-text.js";
import type { HostSequence, ReportView } from "../../src/report/view.js";
import { writeReports } from "../../src/report/write.js";
import { discoverReport, NEW, sampleReport } from "./sample-report.js";

/** The hosts as a sequence that a copy into an array, or a pass inside another pass, would give away. */
function strictSequence(hosts: readonly ReportHost[]): HostSequence & { passes: number } {
  let open = 0;
  const seq = {
    passes: 0,
    length: hosts.length,
    *[Symbol.iterator](): Generator<ReportHost> {
      if (open > 0) throw new Error("the hosts were gone through inside another pass over them");
      open++;
      seq.passes++;
      try {
        // a new object every time, as parsing the results file gives
        for (const h of hosts) yield structuredClone(h);
      } finally {
        open--;
      }
    },
  };
  return seq;
}

function view(report: Report): ReportView & { hosts: ReturnType<typeof strictSequence> } {
  return { ...report, hosts: strictSequence(report.hosts) };
}

/** The sample's hosts repeated under new names until there are `n` (the run summary is compact above 20). */
function fleet(base: Report, n: number): Report {
  const hosts = Array.from({ length: n }, (_, i) => {
    const h = base.hosts[i % base.hosts.length]!;
    return { ...h, name: `${h.name}-${i}` };
  });
  return { ...base, summary: summarize(hosts), hosts };
}

const text = (chunks: Iterable<string>) => [...chunks].join("");
const REPORTS: Array<[string, Report]> = [
  ["rollout", sampleReport],
  ["rollout, 30 hosts", fleet(sampleReport, 30)],
  ["rollout dry run", { ...sampleReport, dryRun: true }],
  ["discover", discoverReport],
  ["no host", { ...sampleReport, hosts: [], summary: summarize([]) }],
];

describe("a report whose hosts are a sequence", () => {
  it.each(REPORTS)("%s: every writer writes what it writes for an array", (_name, report) => {
    for (const chunks of [jsonChunks, markdownChunks, htmlChunks, junitChunks]) {
      const seq = view(report);
      expect(text(chunks(seq))).toBe(text(chunks(report)));
      // a few passes (what comes before the hosts, the hosts' rows, their sections), not one per host or list
      expect(seq.hosts.passes).toBeLessThanOrEqual(4);
    }
  });

  it.each(REPORTS)("%s: the run summary, the remedies, the discover summary, the exit code and the certificates are the same", (_name, report) => {
    const options = { certificate: "new.cer", journal: "out/journal.jsonl", commands: true };
    const summary = view(report);
    renderRunSummary(summary);
    // the names it needs up front, the host lines (and the change groups of a dry run)
    expect(summary.hosts.passes).toBeLessThanOrEqual(report.dryRun ? 3 : 2);
    expect(renderRunSummary(view(report), options)).toBe(renderRunSummary(report, options));
    expect(renderRunSummary(view(report))).toBe(renderRunSummary(report));
    expect(renderRemedies(view(report), options)).toBe(renderRemedies(report, options));
    expect(renderDiscoverSummary(view(report))).toBe(renderDiscoverSummary(report));
    expect(exitCodeFor(view(report))).toBe(exitCodeFor(report));
    expect(certificatesSeen(view(report))).toEqual(certificatesSeen(report));
    expect(changeGroups(view(report))).toEqual(changeGroups(report));
    expect(expiryFromReport(view(report), NEW)).toEqual(expiryFromReport(report, NEW));
  });

  it("the exit code stops at the first failed host", () => {
    const seq = view(sampleReport);
    expect(exitCodeFor(seq)).toBe(1);
    expect(seq.hosts.passes).toBe(1);
  });

  it("writeReports writes the same four files", async () => {
    const dir = await mkdtemp(join(tmpdir(), "certfleet-sequence-"));
    try {
      await writeReports(join(dir, "array"), sampleReport);
      await writeReports(join(dir, "sequence"), view(sampleReport));
      for (const f of ["report.json", "report.md", "report.html", "junit.xml"]) {
        expect(await readFile(join(dir, "sequence", f), "utf8"), f).toBe(await readFile(join(dir, "array", f), "utf8"));
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("report.json still refuses hosts that are neither an array nor a sequence, naming them", () => {
    expect(() => text(jsonChunks({ ...sampleReport, hosts: { length: 1 } } as unknown as ReportView))).toThrow(/hosts/);
  });
});
