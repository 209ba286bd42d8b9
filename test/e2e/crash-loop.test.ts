/**
 * Issue 5, crash safety: `certfleet rollout` runs as its own process against a small simulated
 * fleet (2012 R2 delete+add, 2016/2022 update, cmd.exe and PowerShell, several bindings per host)
 * and is SIGKILLed at the k-th event of an undisturbed run: the fleet receiving a command (that
 * command still runs, as on a real host that got it just before the orchestrator died) or a host
 * making a binding change (the batched line that made it stops right there, as when the
 * orchestrator dies while a host runs it). After each kill, separately:
 *   (a) `rollback --journal` leaves every host exactly as its original snapshot;
 *   (b) `rollout --resume` leaves every host consistent with nothing lost: each binding that was
 *       on the old certificate is on the new one with every setting, the rest untouched.
 * A short loop (5 kill points) always runs; CERTFLEET_LONG_TESTS=1 (set by .ci/run) kills at
 * event of the run.
 */
import { spawn } from "node:child_process";
import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readJournal } from "../../src/journal/journal.js";
import { APPID, demoCertificates } from "../../src/simulator/index.js";
import type { SimHost } from "../../src/simulator/host.js";
import type { SimHostSpec } from "../../src/simulator/state.js";
import { startHarness, type Harness } from "../support/harness.js";
import { isGrammatical } from "../support/security-arbitraries.js";
import { expectRebound, expectSameBindings, restoreHost, snapshotFleet, type HostBindings } from "../support/security-fleet.js";

const LONG = process.env.CERTFLEET_LONG_TESTS === "1";
const CLI = join(process.cwd(), "dist/cli/main.js");
const { oldCert, newCert, unrelatedCert } = demoCertificates();
const OLD = oldCert.thumbprint;
const NEW = newCert.thumbprint;
const certificates = [{ cert: oldCert }, { cert: newCert }, { cert: unrelatedCert }];

const SPECS: SimHostSpec[] = [
  {
    name: "a-2012r2-cmd",
    profile: { os: "2012r2", shell: "cmd" },
    certificates,
    bindings: [
      { kind: "ipport", endpoint: "0.0.0.0:443", certHash: OLD, appId: APPID.iis, storeName: "MY", params: { clientcertnegotiation: "enable", revocationfreshnesstime: "3600", usagecheck: "disable" } },
      { kind: "hostnameport", endpoint: "www.example.com:443", certHash: OLD, appId: APPID.iis, storeName: "My" },
      { kind: "ipport", endpoint: "0.0.0.0:8443", certHash: unrelatedCert.thumbprint, appId: APPID.iis, storeName: "MY" },
    ],
  },
  {
    name: "b-2022-cmd",
    profile: { os: "2022", shell: "cmd" },
    certificates,
    bindings: [
      { kind: "ipport", endpoint: "0.0.0.0:443", certHash: OLD, appId: APPID.iis, storeName: null, params: { disablehttp2: "enable", disablelegacytls: "enable" } },
      { kind: "ipport", endpoint: "[::]:443", certHash: OLD, appId: APPID.ipv6Site, storeName: "MY" },
    ],
  },
  {
    name: "c-2016-ps",
    profile: { os: "2016", shell: "powershell" },
    certificates,
    bindings: [
      { kind: "hostnameport", endpoint: "sts.example.com:443", certHash: OLD, appId: APPID.adfs, storeName: "my", params: { sslctlstorename: "AdfsTrustedDevices" } },
      { kind: "hostnameport", endpoint: "sts.example.com:49443", certHash: OLD, appId: APPID.adfs, storeName: "my", params: { sslctlstorename: "AdfsTrustedDevices", clientcertnegotiation: "enable" } },
    ],
  },
  {
    name: "d-2012r2-ps",
    profile: { os: "2012r2", shell: "powershell" },
    certificates,
    bindings: [
      { kind: "ipport", endpoint: "0.0.0.0:443", certHash: OLD, appId: APPID.iis, storeName: "MY", params: { dsmapperusage: "enable" } },
      { kind: "ipport", endpoint: "10.0.0.21:8080", certHash: OLD, appId: APPID.exchange, storeName: null },
    ],
  },
];

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

function runCli(args: string[], onSpawn?: (kill: () => void) => void): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1", CI: "1" } });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, output }));
    onSpawn?.(() => child.kill("SIGKILL"));
  });
}

/** One event of a run: a command a host received, or a binding change a host made. */
type RunEvent = { host: string; command: string; change?: undefined } | { host: string; change: { key: string; certHash: string | null }; command?: undefined };

/** Calls `each` synchronously for every command received and every binding change made, in order. */
function watchEvents(hosts: readonly SimHost[], each: (e: RunEvent, host: SimHost) => void): () => void {
  const undo = hosts.map((h) => {
    const log = h.commandLog;
    const push = log.push;
    log.push = function (this: string[], ...items: string[]) {
      const r = push.apply(this, items);
      for (const command of items) each({ host: h.name, command }, h);
      return r;
    };
    const changes = h.changeLog;
    const pushChange = changes.push;
    changes.push = function (this: typeof changes, ...items: typeof changes) {
      const r = pushChange.apply(this, items);
      for (const change of items) each({ host: h.name, change }, h);
      return r;
    };
    return () => {
      log.push = push;
      changes.push = pushChange;
    };
  });
  return () => undo.forEach((f) => f());
}

const describeEvent = (e: RunEvent): string => (e.command !== undefined ? e.command : `change ${e.change.key} -> ${e.change.certHash ?? "deleted"}`);

describe("SIGKILL at any point of a rollout, then rollback or resume", () => {
  let h: Harness;
  let dir: string;
  let original: Map<string, HostBindings>;
  /** the events of one whole, undisturbed run (commands received, binding changes made), in order */
  let sequence: RunEvent[];
  const common = () => ["-i", h.files.inventory, "--plain", "-c", "1", "--canary", "1", "--verify-window", "5", "--verify-interval", "0.1"];
  // The AD FS host's bindings are rebound too (as the operator may choose): every binding is a kill point.
  const rolloutArgs = (out: string) => ["rollout", "--new", NEW, "--old", OLD, "--yes", "--rebind-owner-managed", "--out", out, ...common()];

  async function resetFleet(): Promise<void> {
    for (const host of h.fleet.hosts) {
      await restoreHost(host, original.get(host.name)!);
      host.commandLog.length = 0;
    }
  }

  beforeAll(async () => {
    h = await startHarness(SPECS);
    dir = await mkdtemp(join(tmpdir(), "certfleet-crash-"));
    original = snapshotFleet(h.fleet.hosts);
    // One undisturbed run: which commands a rollout sends and which changes the hosts make.
    const order: RunEvent[] = [];
    const undo = watchEvents(h.fleet.hosts, (e) => order.push(e));
    const full = await runCli(rolloutArgs(join(dir, "full")));
    undo();
    expect(full.code, full.output).toBe(0);
    for (const host of h.fleet.hosts) expectRebound(host, original.get(host.name)!, OLD, NEW);
    sequence = order;
    await resetFleet();
  });
  afterAll(async () => {
    await h?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("an undisturbed run has 20+ kill points, every command grammatical, with deletes and adds (2012 R2) and updates", () => {
    expect(sequence.length).toBeGreaterThanOrEqual(20);
    const commands = sequence.filter((e) => e.command !== undefined);
    for (const { host, command } of commands) expect(isGrammatical(h.fleet.host(host).shell, command!), command).toBe(true);
    const verbs = commands.flatMap((s) => [...s.command!.matchAll(/http (\w+) sslcert/g)].map((m) => m[1]));
    expect(verbs).toContain("delete");
    expect(verbs).toContain("add");
    expect(verbs).toContain("update");
    const changes = sequence.filter((e) => e.change !== undefined).map((e) => e.change!.certHash);
    expect(changes).toContain(null);
    expect(changes).toContain(NEW);
  });

  async function killAt(k: number): Promise<void> {
    const at = sequence[k - 1]!;
    const label = `kill after event ${k}/${sequence.length} (${at.host}: ${describeEvent(at)})`;
    const out = join(dir, `k${k}`);
    let kill: (() => void) | undefined;
    let killed = false;
    let seen = 0;
    const restore = watchEvents(h.fleet.hosts, (e, host) => {
      if (++seen !== k) return;
      killed = true;
      kill?.();
      if (e.change !== undefined) {
        // The host checks the fault right after logging the change: the line stops here.
        const before = host.faults.dropAfterChanges;
        host.faults.dropAfterChanges = 1;
        queueMicrotask(() => (host.faults.dropAfterChanges = before));
      }
    });
    let exit: Exit;
    try {
      exit = await runCli(rolloutArgs(out), (f) => (kill = f));
    } finally {
      restore();
    }
    expect(killed, `${label}: the run ended before event ${k}:\n${exit.output}`).toBe(true);
    expect(exit.signal, label).toBe("SIGKILL");
    // The same run as the undisturbed one, up to the kill.
    const received = h.fleet.hosts.flatMap((x) => x.commandLog.map((c) => `${x.name}|${c}`)).sort();
    expect(received, label).toEqual(sequence.slice(0, k).filter((s) => s.command !== undefined).map((s) => `${s.host}|${s.command}`).sort());

    const afterKill = snapshotFleet(h.fleet.hosts);
    const journal = join(out, "journal.jsonl");
    const forResume = join(out, "journal-for-resume.jsonl");
    await copyFile(journal, forResume);
    expect(readJournal(journal).damaged, label).toEqual([]);

    // (a) rollback from the journal: every host exactly as before the rollout.
    const back = await runCli(["rollback", "--journal", journal, "--yes", "--out", join(out, "rollback"), ...common().slice(0, 3)]);
    expect(back.code, `${label}: rollback\n${back.output}`).toBe(0);
    for (const host of h.fleet.hosts) expectSameBindings(host, original.get(host.name)!, ` after rollback, ${label}`);

    // (b) from the same post-kill state, a resumed rollout: every host fully rebound, nothing lost.
    for (const host of h.fleet.hosts) await restoreHost(host, afterKill.get(host.name)!);
    const resumed = await runCli(["rollout", "--resume", forResume, ...rolloutArgs(join(out, "resume")).slice(1)]);
    expect(resumed.code, `${label}: resume\n${resumed.output}`).toBe(0);
    for (const host of h.fleet.hosts) {
      expectRebound(host, original.get(host.name)!, OLD, NEW, ` after resume, ${label}`);
      for (const c of host.commandLog) expect(isGrammatical(host.shell, c), c).toBe(true);
    }
    await resetFleet();
  }

  /** Kill points: every event (long), or five spread over the run, always including a kill between a delete and its add. */
  function killPoints(): number[] {
    const n = sequence.length;
    if (LONG) return Array.from({ length: n }, (_, i) => i + 1);
    const firstDelete = sequence.findIndex((s) => s.change !== undefined && s.change.certHash === null) + 1;
    const firstUpdate = sequence.findIndex((s) => s.change !== undefined && s.change.certHash === NEW && !s.host.includes("2012")) + 1;
    const points = new Set([1, firstDelete, firstUpdate, Math.round(n / 2), n].filter((k) => k >= 1));
    for (let k = 2; points.size < 5; k++) points.add(k);
    return [...points].sort((a, b) => a - b);
  }

  it(`${LONG ? "long" : "short"} loop: rollback restores exactly and resume finishes consistently after every kill point`, async () => {
    const points = killPoints();
    expect(points.length).toBeGreaterThanOrEqual(LONG ? 20 : 5);
    let midChange = 0;
    for (const k of points) {
      // A kill right after a delete leaves a binding missing on the host at the moment of death.
      if (sequence[k - 1]!.change?.certHash === null) midChange++;
      await killAt(k);
    }
    expect(midChange).toBeGreaterThanOrEqual(1);
  }, LONG ? 900_000 : 180_000);
});
