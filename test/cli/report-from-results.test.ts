/**
 * discover, verify and rollout build their reports from the results file (reportFromResults):
 * the envelope from one pass over the file, the hosts read again from the file, in inventory
 * order, on every pass a writer makes. What they write must be what the in-memory report of the
 * same outcomes gives (reportFromRun, withTransports), whatever order the hosts finished in.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { HostOutcome, RunOutcome } from "../../src/host/outcome.js";
import { expiryFromReport } from "../../src/cli/expiry-warning.js";
import { exitCodeFor, reportFromResults, withTransports } from "../../src/cli/output.js";
import { renderRemedies, renderRunSummary } from "../../src/cli/run-summary.js";
import { certificatesSeen } from "../../src/report/certificates-seen.js";
import { reportFromRun, type ReportContext } from "../../src/report/from-outcomes.js";
import { htmlChunks } from "../../src/report/html.js";
import { jsonChunks } from "../../src/report/json.js";
import { junitChunks } from "../../src/report/junit.js";
import { markdownChunks } from "../../src/report/markdown.js";
import { renderDiscoverSummary } from "../../src/report/summary-text.js";
import type { ReportView } from "../../src/report/view.js";
import { fromFile, JOURNAL, NEW, OLD, rollout } from "../report/rollout-outcomes.js";

const INVENTORY = [
  { name: "web1", transport: "winrm" as const },
  { name: "web2" },
  { name: "web3", transport: "ssh" as const },
  { name: "web4" },
  { name: "web5" },
  { name: "web6" }, // never finished: not in the file, not in the report
];

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "certfleet-from-results-"));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

/** The outcomes as the run appends them: in the order the hosts finished, one line each. */
async function resultsFile(lines: HostOutcome[]): Promise<string> {
  const path = join(dir, "results.ndjson");
  await writeFile(path, lines.map((o) => `${JSON.stringify(o)}\n`).join(""));
  return path;
}

/** What the run returns when its outcomes went to the file: no host. */
function envelopeOf(run: RunOutcome): Omit<RunOutcome, "hosts"> {
  const { hosts: _hosts, ...rest } = run;
  return rest;
}

/** Everything the CLI prints or writes from a report. */
function outputs(report: ReportView) {
  const text = (chunks: Iterable<string>) => [...chunks].join("");
  return {
    json: text(jsonChunks(report)),
    md: text(markdownChunks(report)),
    html: text(htmlChunks(report)),
    junit: text(junitChunks(report)),
    summary: renderRunSummary(report, { certificate: "new.cer", journal: JOURNAL }),
    discover: renderDiscoverSummary(report) + renderRemedies(report),
    exit: exitCodeFor(report),
    expiry: expiryFromReport(report, NEW),
    certificates: certificatesSeen(report),
  };
}

describe("the report built from the results file", () => {
  const cases: Array<[string, RunOutcome, ReportContext]> = [
    ["rollout, the certificate from a file", rollout(fromFile), { journal: JOURNAL, certificate: "new.cer" }],
    ["rollout, a thumbprint the hosts' stores describe", rollout({ thumbprint: NEW, subject: "", source: "thumbprint" } as never), {}],
    ["rollout, --old given", { ...rollout(fromFile), target: { newCert: fromFile, oldThumbprints: ["1".repeat(40), OLD] } }, { certificate: "new.cer" }],
    ["discover", { ...rollout(fromFile), command: "discover", target: undefined }, {}],
  ];

  it.each(cases)("%s: every file and line is the in-memory report's, whatever order the hosts finished in", async (_name, run, context) => {
    const expected = outputs(withTransports(reportFromRun(run, context), INVENTORY));
    const finished = [run.hosts[3]!, run.hosts[1]!, run.hosts[4]!, run.hosts[0]!, run.hosts[2]!];
    const report = reportFromResults(envelopeOf(run), await resultsFile(finished), INVENTORY, context);
    expect(report.hosts.length).toBe(5);
    expect(outputs(report)).toEqual(expected);
  });

  it("a host's later line wins, for its row and for the counts, the target and the next commands alike", async () => {
    const run = rollout(fromFile);
    const web2 = run.hosts[1]!;
    // web2 first ended unchanged with another certificate in its store, then failed (its last word)
    const stale: HostOutcome = { ...web2, status: "unchanged", error: undefined, bindings: [{ ...web2.bindings[0]!, scope: "old", certHash: "2".repeat(40) }] };
    const report = reportFromResults(envelopeOf(run), await resultsFile([stale, ...run.hosts]), INVENTORY, { certificate: "new.cer" });
    expect(outputs(report)).toEqual(outputs(withTransports(reportFromRun(run, { certificate: "new.cer" }), INVENTORY)));
  });

  it("holds none of the hosts: every pass reads them from the file again", async () => {
    const run = rollout(fromFile);
    const path = await resultsFile(run.hosts);
    const report = reportFromResults(envelopeOf(run), path, INVENTORY);
    expect([...report.hosts].map((h) => `${h.name}:${h.transport}`)).toEqual(["web1:winrm", "web2:ssh", "web3:ssh", "web4:ssh", "web5:ssh"]);
    // what was gathered up front stays; the hosts are gone with the file
    await rm(path);
    expect([report.summary.failed, report.hosts.length]).toEqual([3, 5]);
    expect(() => [...report.hosts]).toThrow(/ENOENT/);
  });
});
