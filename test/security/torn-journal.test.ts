/**
 * Issue 5, torn writes: the journal survives a half-written last line (it is reported as damaged
 * and ignored, and the next record still lands on a line of its own), and a journal truncated at
 * ANY byte never makes rollback lose a binding: it restores exactly what the intact records
 * describe and leaves everything else as it found it.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openJournal, parseJournal, readJournal } from "../../src/journal/journal.js";
import { journaledBindings } from "../../src/journal/record.js";
import { runRollback } from "../support/reported.js";
import { runRollout } from "../support/reported.js";
import { APPID, demoCertificates } from "../../src/simulator/index.js";
import type { SimHostSpec } from "../../src/simulator/state.js";
import { describeDer } from "../../src/certificate/read-file.js";
import { startHarness, type Harness } from "../support/harness.js";
import { bindingsOf, expectNothingLost, expectSameBindings, keyOf, restoreHost, snapshotFleet, type HostBindings } from "../support/security-fleet.js";

const { oldCert, newCert } = demoCertificates();
const OLD = oldCert.thumbprint;
const NEW = newCert.thumbprint;
const NO_VERIFY = { enabled: false, timing: { windowMs: 0, intervalMs: 0, handshakeTimeoutMs: 2000 } };
const certificates = [{ cert: oldCert }, { cert: newCert }];

const SPECS: SimHostSpec[] = [
  {
    name: "old2012",
    profile: { os: "2012r2", shell: "cmd" },
    certificates,
    bindings: [
      { kind: "ipport", endpoint: "0.0.0.0:443", certHash: OLD, appId: APPID.iis, storeName: "MY", params: { clientcertnegotiation: "enable", revocationfreshnesstime: "3600" } },
      { kind: "hostnameport", endpoint: "www.example.com:443", certHash: OLD, appId: APPID.iis, storeName: "My" },
    ],
  },
  {
    name: "new2022ps",
    profile: { os: "2022", shell: "powershell" },
    certificates,
    bindings: [
      { kind: "ipport", endpoint: "0.0.0.0:443", certHash: OLD, appId: APPID.iis, storeName: null, params: { disablehttp2: "enable", sslctlstorename: "AdfsTrustedDevices" } },
      { kind: "ipport", endpoint: "[::]:443", certHash: OLD, appId: APPID.ipv6Site, storeName: "MY" },
    ],
  },
];

describe("parseJournal and openJournal under torn writes", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "certfleet-torn-"));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  const binding = { kind: "ipport" as const, endpoint: "0.0.0.0:443", certHash: OLD, appId: APPID.iis, storeName: "MY", settings: { clientcertnegotiation: "Enabled" } };
  const intent = { type: "intent" as const, runId: "r1", at: "2026-01-01T00:00:00.000Z", host: "web01", address: "10.0.0.1", original: binding, desired: { ...binding, certHash: NEW } };
  const run = { type: "run" as const, runId: "r1", at: "2026-01-01T00:00:00.000Z", command: "rollout" as const, newThumbprint: NEW };

  it("a half-written last line is reported as damaged and the intact records are kept", () => {
    const good = `${JSON.stringify(run)}\n${JSON.stringify(intent)}\n`;
    const torn = JSON.stringify({ ...intent, host: "web02" });
    for (let cut = 1; cut < torn.length; cut++) {
      const parsed = parseJournal(good + torn.slice(0, cut));
      expect(parsed.records).toEqual([run, intent]);
      expect(parsed.damaged).toEqual([{ line: 3, text: torn.slice(0, Math.min(cut, 200)) }]);
    }
  });

  it("appending after a torn last line starts a new line: the next record is not swallowed", async () => {
    const path = join(dir, "append.jsonl");
    const torn = JSON.stringify(intent).slice(0, 57);
    await writeFile(path, `${JSON.stringify(run)}\n${torn}`, { mode: 0o600 });
    const j = openJournal(path);
    const next = { ...intent, host: "web03" };
    j.append(next);
    j.close();
    const parsed = readJournal(path);
    expect(parsed.records).toEqual([run, next]);
    expect(parsed.damaged.map((d) => d.text)).toEqual([torn]);
  });
});

describe("rollback from a journal truncated anywhere", () => {
  let h: Harness;
  let original: Map<string, HostBindings>;
  let rolledOut: Map<string, HostBindings>;
  let journalText: string;
  let dir: string;

  beforeAll(async () => {
    h = await startHarness(SPECS);
    dir = await mkdtemp(join(tmpdir(), "certfleet-torn-fleet-"));
    original = snapshotFleet(h.fleet.hosts);
    const path = join(dir, "journal.jsonl");
    const journal = openJournal(path);
    const { report } = await runRollout(h.hosts, h.freshDeps(), {
      target: { newCert: describeDer(newCert.der), oldThumbprints: [] },
      waves: [h.hosts.map((x) => x.name)],
      maxFailures: 0,
      concurrency: 1,
      dryRun: false,
      journal,
      verify: NO_VERIFY,
    });
    journal.close();
    expect(report.hosts.map((x) => x.status)).toEqual(["changed", "changed"]);
    rolledOut = snapshotFleet(h.fleet.hosts);
    journalText = await readFile(path, "utf8");
  });
  afterAll(async () => {
    await h?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function rollbackFrom(text: string) {
    for (const host of h.fleet.hosts) await restoreHost(host, rolledOut.get(host.name)!);
    const contents = parseJournal(text);
    const items = journaledBindings(contents.records);
    const report = await runRollback(h.hosts, h.freshDeps(), { items, concurrency: 2 });
    return { contents, items, report };
  }

  it("the full journal restores every host exactly", async () => {
    const { report, contents } = await rollbackFrom(journalText);
    expect(contents.damaged).toEqual([]);
    expect(report.hosts.every((x) => x.status === "changed")).toBe(true);
    for (const host of h.fleet.hosts) expectSameBindings(host, original.get(host.name)!);
  });

  /**
   * After a rollback from `text`: a binding whose intent survived intact is back as it was; every
   * other binding is exactly as the rollout left it; nothing is missing anywhere.
   */
  async function checkTruncation(cut: number): Promise<void> {
    const text = journalText.slice(0, cut);
    const { items, contents, report } = await rollbackFrom(text);
    const why = ` (journal cut at byte ${cut} of ${journalText.length})`;
    // At most the last line is damaged, and only when the cut is mid-line.
    expect(contents.damaged.length, why).toBeLessThanOrEqual(1);
    if (contents.damaged.length === 1) expect(contents.damaged[0]!.line, why).toBe(text.split("\n").length);
    expect(report.hosts.every((x) => x.status === "changed" || x.status === "unchanged"), why + JSON.stringify(report.hosts.map((x) => x.error))).toBe(true);
    const restored = new Set(items.map((i) => `${i.host}\u0000${keyOf(i.original)}`));
    for (const host of h.fleet.hosts) {
      const now = bindingsOf(host);
      expectNothingLost(host, original.get(host.name)!, NEW, why);
      for (const [k, b] of original.get(host.name)!) {
        const want = restored.has(`${host.name}\u0000${k}`) ? b : rolledOut.get(host.name)!.get(k);
        expect(now.get(k), `${host.name} ${k}${why}`).toEqual(want);
      }
    }
  }

  it("every line boundary and the bytes around it", async () => {
    const cuts = new Set<number>([0, journalText.length]);
    let at = journalText.indexOf("\n");
    while (at >= 0) {
      for (const d of [-2, -1, 0, 1, 2]) cuts.add(Math.max(0, Math.min(journalText.length, at + d)));
      at = journalText.indexOf("\n", at + 1);
    }
    for (const cut of [...cuts].sort((a, b) => a - b)) await checkTruncation(cut);
    expect(cuts.size).toBeGreaterThan(20);
  });

  it("property: a cut at any byte", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: journalText.length }), async (cut) => checkTruncation(cut)),
      { numRuns: Number(process.env.CERTFLEET_TORN_RUNS ?? 100), seed: 404 },
    );
  });

  it("a damaged line in the middle (a torn write that was later appended to) does not stop the rest", async () => {
    const lines = journalText.trimEnd().split("\n");
    const intentAt = lines.findIndex((l) => l.includes('"type":"intent"'));
    const damaged = [...lines.slice(0, intentAt), lines[intentAt]!.slice(0, 40), ...lines.slice(intentAt + 1)].join("\n");
    const { contents } = await rollbackFrom(damaged);
    expect(contents.damaged).toHaveLength(1);
    for (const host of h.fleet.hosts) expectNothingLost(host, original.get(host.name)!, NEW);
  });
});
