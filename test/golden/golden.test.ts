/**
 * The golden test: discover, plan, rollout (one host fails on its change and is restored, one
 * fails its TLS proof and is restored, one is unreachable), verify and rollback, run through the
 * CLI on a fixed simulated fleet. Each report.json must equal the one recorded in
 * test/golden/reports/ once times, durations, thumbprints, serials and loopback ports are
 * replaced by stable names (and the retry count of a failing TLS proof, which is wall-clock
 * time). It holds refactors to "the report does not change".
 *
 * To record again after a deliberate report change: CERTFLEET_RECORD_GOLDEN=1 npx vitest run test/golden
 */
import { readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { runCli } from "../../src/cli/program.js";
import { APPID, demoCertificates, startFleet, toCerFile, type FleetFiles, type SimFleet } from "../../src/simulator/index.js";
import type { SimHostSpec } from "../../src/simulator/state.js";

const GOLDEN_DIR = join(import.meta.dirname, "reports");
const RECORD = process.env.CERTFLEET_RECORD_GOLDEN === "1";

function goldenSpecs(): SimHostSpec[] {
  const { oldCert, newCert, unrelatedCert } = demoCertificates();
  const both = [
    { cert: oldCert, template: "WebServer, Web Server" },
    { cert: newCert, template: "WebServer, Web Server" },
  ];
  return [
    {
      // update in place; an SNI binding and an unrelated one that stays
      name: "web01",
      groups: ["web"],
      profile: { os: "2022", language: "en", shell: "cmd", elevated: true },
      certificates: [...both, { cert: unrelatedCert }],
      bindings: [
        { kind: "ipport", endpoint: "0.0.0.0:443", certHash: oldCert.thumbprint, appId: APPID.iis, storeName: "MY", params: { clientcertnegotiation: "enable", disablelegacytls: "enable" } },
        { kind: "hostnameport", endpoint: "www.example.com:443", certHash: oldCert.thumbprint, appId: APPID.iis, storeName: "My" },
        { kind: "ipport", endpoint: "0.0.0.0:8443", certHash: unrelatedCert.thumbprint, appId: APPID.iis, storeName: "MY" },
      ],
    },
    {
      // no `netsh http update`: delete + add; French output, PowerShell
      name: "web02",
      groups: ["web"],
      profile: { os: "2012r2", language: "fr", shell: "powershell", elevated: true },
      certificates: both,
      bindings: [{ kind: "ipport", endpoint: "0.0.0.0:443", certHash: oldCert.thumbprint, appId: APPID.iis, storeName: null, params: { dsmapperusage: "enable" } }],
    },
    {
      // the change fails (1312): the host is put back
      name: "web03",
      groups: ["web"],
      profile: { os: "2016", language: "de", shell: "cmd", elevated: true },
      certificates: both,
      bindings: [
        { kind: "ipport", endpoint: "0.0.0.0:443", certHash: oldCert.thumbprint, appId: APPID.iis, storeName: "MY" },
        { kind: "ipport", endpoint: "10.0.0.13:8080", certHash: oldCert.thumbprint, appId: APPID.iis, storeName: null },
      ],
      faults: { failAddWith1312ForHash: newCert.thumbprint },
    },
    {
      // the change works but the endpoint keeps serving the old certificate: restored after the proof fails
      name: "web04",
      groups: ["web"],
      profile: { os: "2025", language: "en", shell: "cmd", elevated: true },
      certificates: both,
      bindings: [{ kind: "ipport", endpoint: "0.0.0.0:443", certHash: oldCert.thumbprint, appId: APPID.iis, storeName: "MY" }],
      faults: { staleHandshakes: 1_000_000 },
    },
    {
      name: "web05",
      groups: ["web"],
      profile: { os: "2022", language: "en", shell: "cmd", elevated: true },
      certificates: both,
      bindings: [{ kind: "ipport", endpoint: "0.0.0.0:443", certHash: oldCert.thumbprint, appId: APPID.iis, storeName: "MY" }],
      faults: { unreachable: true },
    },
  ];
}

/**
 * Replaces what differs between two runs by stable names: certificate thumbprints and serials
 * (the simulator's PKI is made per process), times, durations, loopback ports and temp paths.
 */
export function normalizeReport(text: string, names: ReadonlyMap<string, string>): unknown {
  let t = text;
  for (const [value, name] of names) t = t.replace(new RegExp(value, "gi"), name);
  t = t
    .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z/g, "<time>")
    .replace(/\b\d{4}-\d{2}-\d{2}\b/g, "<date>")
    .replace(/127\.0\.0\.1:\d+/g, "127.0.0.1:<port>")
    .replace(/\[::1\]:\d+/g, "[::1]:<port>")
    .replace(/\bport \d+/g, "port <port>")
    .replace(/\/tmp\/[^"\s]*/g, "<tmp>");
  const report = JSON.parse(t) as { hosts: Array<{ durationMs: number; bindings: Array<{ verify?: { ok: boolean; attempts?: number | string } }> }> };
  for (const h of report.hosts) {
    h.durationMs = 0;
    // A failing proof retries until its window closes: how many tries fit is wall-clock time.
    for (const b of h.bindings) if (b.verify && !b.verify.ok && b.verify.attempts !== undefined) b.verify.attempts = "<until the window closed>";
  }
  return report;
}

describe("golden reports (behaviour unchanged by refactors)", () => {
  let fleet: SimFleet;
  let files: FleetFiles;
  let dir: string;
  let cer: string;
  const names = new Map<string, string>();

  beforeAll(async () => {
    const { ca, oldCert, newCert, unrelatedCert } = demoCertificates();
    for (const [c, n] of [[oldCert, "OLD"], [newCert, "NEW"], [unrelatedCert, "UNRELATED"], [ca.cert, "CA"]] as const) {
      names.set(c.thumbprint, `<thumbprint:${n}>`);
      names.set(c.serial, `<serial:${n}>`);
    }
    fleet = await startFleet(goldenSpecs());
    dir = await mkdtemp(join(tmpdir(), "certfleet-golden-"));
    files = await fleet.writeFiles(dir);
    cer = join(dir, "new.cer");
    writeFileSync(cer, toCerFile(newCert));
    vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
  });

  afterAll(async () => {
    vi.restoreAllMocks();
    await fleet?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const common = () => ["-i", files.inventory, "-c", "2", "--plain", "--command-timeout", "20"];
  const verifyTiming = ["--verify-window", "1.5", "--verify-interval", "0.1"];

  async function run(step: string, argv: string[], exit: number): Promise<void> {
    const out = join(dir, step);
    const code = await runCli([...argv, "--out", out]);
    const report = normalizeReport(readFileSync(join(out, "report.json"), "utf8"), names);
    const golden = join(GOLDEN_DIR, `${step}.json`);
    if (RECORD) writeFileSync(golden, `${JSON.stringify({ exit: code, report }, null, 2)}\n`);
    expect({ exit: code, report }).toEqual(JSON.parse(readFileSync(golden, "utf8")));
    expect(code).toBe(exit);
  }

  it("discover", async () => {
    await run("1-discover", ["discover", ...common()], 1);
  });

  it("plan", async () => {
    await run("2-plan", ["plan", ...common(), "--new", cer], 1);
  });

  it("rollout: web03 fails its change and web04 its TLS proof; both are put back", async () => {
    await run("3-rollout", ["rollout", ...common(), "--new", cer, "--canary", "web01", "--max-failures", "5", "--yes", ...verifyTiming], 1);
  });

  it("verify", async () => {
    await run("4-verify", ["verify", ...common(), "--expect", cer, ...verifyTiming], 1);
  });

  it("rollback", async () => {
    await run("5-rollback", ["rollback", ...common(), "--journal", join(dir, "3-rollout", "journal.jsonl"), "--yes"], 0);
  });
});
