/**
 * Helpers for the rollout/rollback end-to-end tests: a 30-host mixed fleet, state snapshots keyed
 * by binding, the "only the hash moved" comparison, change-command counting, and waiting on the
 * simulator's command log (bounded, event-driven: no fixed sleeps).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import type { Target } from "../../src/certificate/target.js";
import { openJournal, readJournal, type JournalWriter } from "../../src/journal/journal.js";
import { runRollout, type RolloutRunOptions, type RolloutRunResult } from "./reported.js";
import type { FleetDeps } from "../../src/host/visit.js";
import { APPID, demoCertificates, toCerFile } from "../../src/simulator/index.js";
import type { SimHost } from "../../src/simulator/host.js";
import type { SimBinding, SimBindingSpec, SimCertificateSpec, SimHostSpec, SimLanguage, SimOs, SimShell } from "../../src/simulator/state.js";
import { describeDer } from "../../src/certificate/read-file.js";
import type { ResolvedHost } from "../../src/inventory/schema.js";

export const CHANGE_RE = /\bhttp\s+(?:add|delete|update)\s+sslcert\b/i;
const OSES: readonly SimOs[] = ["2012r2", "2016", "2022", "2025"];

export function certs() {
  const { oldCert, newCert, unrelatedCert } = demoCertificates();
  return { oldCert, newCert, unrelatedCert, OLD: oldCert.thumbprint, NEW: newCert.thumbprint, UNRELATED: unrelatedCert.thumbprint };
}

/**
 * The target as `--new new.cer --rebind-owner-managed` would read it: thumbprint, subject, SANs and
 * validity from the file. The mixed fleet's AD FS and Exchange bindings are rebound by netsh, as
 * the operator chose (these tests are about the binding protocol; test/e2e/consumers.test.ts is
 * about leaving them to their owner, the default).
 */
export function fileTarget(): Target {
  return { newCert: describeDer(demoCertificates().newCert.der), oldThumbprints: [], ownerManaged: "rebind" };
}

/** Non-default settings that the host's OS can hold, varied by index. */
function flagsFor(os: SimOs, i: number): Record<string, string> {
  const p: Record<string, string> = {};
  if (i % 2 === 0) p.clientcertnegotiation = "enable";
  if (i % 3 === 0) Object.assign(p, { revocationfreshnesstime: "3600", urlretrievaltimeout: "15000", verifyclientcertrevocation: "disable" });
  if (i % 4 === 1) Object.assign(p, { usagecheck: "disable", dsmapperusage: "enable", verifyrevocationwithcachedclientcertonly: "enable" });
  if (i % 5 === 0) p.sslctlidentifier = "Contoso_CTL-1";
  if (os !== "2012r2" && i % 2 === 1) p.disablehttp2 = "enable";
  if (os === "2022" || os === "2025") Object.assign(p, { disablelegacytls: "enable", enablesessionticket: "enable", disabletls13: i % 3 === 0 ? "enable" : "disable" });
  if (os === "2025" && i % 3 !== 2) p.disablesessionid = "enable";
  return p;
}

/**
 * `n` hosts mixing every OS generation (2012 R2 has no `netsh http update`), English/French/German
 * output, cmd.exe and PowerShell default shells, IP, SNI and IPv6 bindings, specific IPs, the
 * WebHosting store, ADFS and Exchange appids with CTL stores, non-default flags, Enable Caching
 * Client Hello on 2025, unrelated certificates and bindings already on the new certificate.
 */
export function mixedFleetSpecs(n = 30): SimHostSpec[] {
  const { oldCert, newCert, unrelatedCert } = demoCertificates();
  const specs: SimHostSpec[] = [];
  for (let i = 0; i < n; i++) {
    const os = OSES[i % 4]!;
    const language: SimLanguage = i % 5 === 3 ? "fr" : i % 5 === 4 ? "de" : "en";
    const shell: SimShell = i % 3 === 1 ? "powershell" : "cmd";
    const role = i % 12 === 5 ? "adfs" : i % 12 === 6 ? "exchange" : "web";
    const name = `${role}${String(i + 1).padStart(2, "0")}`;
    const certificates: SimCertificateSpec[] = [
      { cert: oldCert, template: "WebServer, Web Server" },
      { cert: newCert, template: "WebServer, Web Server" },
    ];
    const bindings: SimBindingSpec[] = [];
    const flags = flagsFor(os, i);
    const store = i % 3 === 0 ? "MY" : i % 3 === 1 ? null : "my";
    if (role === "adfs") {
      for (const port of [443, 49443]) {
        bindings.push({ kind: "hostnameport", endpoint: `sts.example.com:${port}`, certHash: oldCert.thumbprint, appId: APPID.adfs, storeName: "my", params: { sslctlstorename: "AdfsTrustedDevices", ...(port === 49443 ? { clientcertnegotiation: "enable" } : {}) } });
      }
    } else if (role === "exchange") {
      bindings.push({ kind: "ipport", endpoint: "0.0.0.0:443", certHash: oldCert.thumbprint, appId: APPID.iis, storeName: "MY", params: flags });
      bindings.push({ kind: "ipport", endpoint: "0.0.0.0:444", certHash: oldCert.thumbprint, appId: APPID.exchange, storeName: "MY" });
    } else if (i % 8 === 7) {
      certificates.push({ cert: oldCert, store: "WebHosting" }, { cert: newCert, store: "WebHosting" });
      bindings.push({ kind: "ipport", endpoint: "0.0.0.0:443", certHash: oldCert.thumbprint, appId: APPID.iis, storeName: "WebHosting", params: { ...flags, ...(os === "2025" ? { enablecachingclienthello: "enable" } : {}) } });
    } else {
      bindings.push({ kind: "ipport", endpoint: "0.0.0.0:443", certHash: oldCert.thumbprint, appId: APPID.iis, storeName: store, params: flags });
    }
    if (role === "web" && i % 3 === 0) {
      for (const h of ["www.example.com", "api.example.com"]) {
        bindings.push({ kind: "hostnameport", endpoint: `${h}:443`, certHash: oldCert.thumbprint, appId: APPID.iis, storeName: "My", params: i % 2 === 0 ? { clientcertnegotiation: "enable" } : {} });
      }
    }
    if (role === "web" && (i % 4 === 2 || i % 7 === 0)) {
      bindings.push({ kind: "ipport", endpoint: "[::]:443", certHash: oldCert.thumbprint, appId: APPID.ipv6Site, storeName: "MY", params: os === "2012r2" ? { dsmapperusage: "enable" } : { disablehttp2: "enable" } });
    }
    if (i % 6 === 1) {
      bindings.push({ kind: "ipport", endpoint: `10.0.0.${i + 10}:8080`, certHash: oldCert.thumbprint, appId: APPID.iis, storeName: null });
    }
    if (i % 5 === 2) {
      certificates.push({ cert: unrelatedCert });
      bindings.push({ kind: "ipport", endpoint: "0.0.0.0:8443", certHash: unrelatedCert.thumbprint, appId: APPID.iis, storeName: "MY", params: { clientcertnegotiation: "enable" } });
    }
    if (i % 10 === 9) {
      bindings.push({ kind: "ipport", endpoint: "0.0.0.0:9443", certHash: newCert.thumbprint, appId: APPID.iis, storeName: "MY" });
    }
    specs.push({ name, groups: [role], profile: { os, language, shell, elevated: true }, certificates, bindings });
  }
  return specs;
}

export const keyOf = (b: Pick<SimBinding, "kind" | "endpoint">) => `${b.kind}=${b.endpoint.toLowerCase()}`;

export function bindingMap(host: SimHost): Map<string, SimBinding> {
  return new Map(host.snapshot().bindings.map((b) => [keyOf(b), b]));
}

export type FleetSnapshot = Map<string, Map<string, SimBinding>>;

export function snapshotFleet(hosts: readonly SimHost[]): FleetSnapshot {
  return new Map(hosts.map((h) => [h.name, bindingMap(h)]));
}

/** Same keys, and every binding exactly equal (hash, appid, store, every setting). */
export function expectSameBindings(host: SimHost, before: Map<string, SimBinding>): void {
  const now = bindingMap(host);
  expect([...now.keys()].sort(), `${host.name}: binding keys`).toEqual([...before.keys()].sort());
  for (const [k, b] of before) expect(now.get(k), `${host.name} ${k}`).toEqual(b);
}

/** Exactly the bindings on `oldHash` now use `newHash`; everything else about every binding is equal. */
export function expectRebound(host: SimHost, before: Map<string, SimBinding>, oldHash: string, newHash: string): number {
  const now = bindingMap(host);
  expect([...now.keys()].sort(), `${host.name}: no binding missing or added`).toEqual([...before.keys()].sort());
  let moved = 0;
  for (const [k, b] of before) {
    const want = b.certHash === oldHash ? { ...b, certHash: newHash } : b;
    if (b.certHash === oldHash) moved++;
    expect(now.get(k), `${host.name} ${k}`).toEqual(want);
  }
  return moved;
}

export function changeCommands(host: SimHost, from = 0): string[] {
  return host.commandLog.slice(from).filter((c) => CHANGE_RE.test(c));
}

export function countVerb(commands: readonly string[], verb: "add" | "delete" | "update"): number {
  const re = new RegExp(`\\bhttp\\s+${verb}\\s+sslcert\\b`, "i");
  return commands.filter((c) => re.test(c)).length;
}

/**
 * Calls `onMatch` synchronously (inside the simulator's exec, before the command runs) when the
 * fleet has received `n` change commands in total. Returns a promise for that moment.
 */
export function onNthChange(
  hosts: readonly SimHost[],
  n: number,
  onMatch: () => void = () => undefined,
  counts: (host: string, command: string) => boolean = () => true,
): { reached: Promise<void>; restore(): void } {
  let seen = 0;
  let resolve!: () => void;
  const reached = new Promise<void>((r) => (resolve = r));
  const originals = hosts.map((h) => {
    const log = h.commandLog;
    const push = log.push.bind(log);
    log.push = (...items: string[]) => {
      const r = push(...items);
      for (const c of items) {
        if (CHANGE_RE.test(c) && counts(h.name, c) && ++seen === n) {
          onMatch();
          resolve();
        }
      }
      return r;
    };
    return () => {
      log.push = push;
    };
  });
  return { reached, restore: () => originals.forEach((f) => f()) };
}

/** One binding change a simulated host made: its key and the hash it then held (null: deleted). */
export type SimChange = { key: string; certHash: string | null };

/**
 * Calls `onMatch` synchronously the moment the fleet has made its `n`-th binding change, and cuts
 * the command that made it right there (the rest of that line never runs, no reply): a batched
 * line stopped half-way, as when the orchestrator dies mid-line.
 */
export function onNthBindingChange(
  hosts: readonly SimHost[],
  n: number,
  onMatch: () => void,
  counts: (host: string, change: SimChange) => boolean = () => true,
): { reached: Promise<void>; restore(): void } {
  let seen = 0;
  let resolve!: () => void;
  const reached = new Promise<void>((r) => (resolve = r));
  const originals = hosts.map((h) => {
    const log = h.changeLog;
    const push = log.push.bind(log);
    log.push = (...items: SimChange[]) => {
      const r = push(...items);
      for (const c of items) {
        if (counts(h.name, c) && ++seen === n) {
          onMatch();
          resolve();
          // The host checks the fault right after logging the change: this command stops here.
          const before = h.faults.dropAfterChanges;
          h.faults.dropAfterChanges = 1;
          queueMicrotask(() => (h.faults.dropAfterChanges = before));
        }
      }
      return r;
    };
    return () => {
      log.push = push;
    };
  });
  return { reached, restore: () => originals.forEach((f) => f()) };
}

/** Polls `cond` on every macrotask until it holds or `timeoutMs` passes (then fails the test). */
export async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

export async function tempJournal(): Promise<{ dir: string; path: string; journal: JournalWriter }> {
  const dir = await mkdtemp(join(tmpdir(), "certfleet-journal-"));
  const path = join(dir, "journal.jsonl");
  return { dir, path, journal: openJournal(path) };
}

export const FAST_VERIFY = { enabled: true, timing: { windowMs: 3000, intervalMs: 100, handshakeTimeoutMs: 5000 } } as const;

export async function rollout(
  hosts: readonly ResolvedHost[],
  deps: FleetDeps,
  journal: JournalWriter | undefined,
  over: Partial<RolloutRunOptions> = {},
): Promise<RolloutRunResult> {
  return runRollout(hosts, deps, {
    target: fileTarget(),
    waves: [hosts.slice(0, 1).map((h) => h.name), hosts.slice(1).map((h) => h.name)],
    maxFailures: 0,
    concurrency: 10,
    dryRun: false,
    ...(journal ? { journal } : {}),
    verify: { enabled: FAST_VERIFY.enabled, timing: { ...FAST_VERIFY.timing } },
    ...over,
  });
}

export { readJournal };

// --- the CLI as a separate process (SIGKILL tests) ---------------------------------------------


export const CLI = join(process.cwd(), "dist/cli/main.js");

/** Writes the new certificate as a DER .cer file (what an operator exports from Windows). */
export async function writeNewCer(dir: string): Promise<string> {
  const file = join(dir, "new-wildcard.cer");
  await writeFile(file, toCerFile(demoCertificates().newCert));
  return file;
}

export interface Spawned {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function spawnCli(args: string[]): Spawned {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1", CI: "1" } });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  return { child, output: () => out, exited };
}

/** Verify options for the CLI: a short TLS window. */
export const CLI_VERIFY = ["--verify-window", "3", "--verify-interval", "0.1"];

/** The mixed fleet's AD FS and Exchange bindings rebound by netsh too, as fileTarget() does. */
export const CLI_OWNER_MANAGED = ["--rebind-owner-managed"];

/**
 * Runs `certfleet rollout` as its own process against the fleet and SIGKILLs it from inside the
 * simulator the moment the fleet makes its `n`-th binding change; the command that made it stops
 * there (a batched line cut half-way, as when the orchestrator dies while a host runs it).
 */
export async function rolloutKilledAt(
  hosts: readonly SimHost[],
  n: number,
  args: { inventory: string; cer: string; out: string; extra?: string[]; counts?: (host: string, change: SimChange) => boolean },
): Promise<{ output: string; journal: string; signal: NodeJS.Signals | null }> {
  const run = spawnCli(["rollout", "--new", args.cer, "-i", args.inventory, "--yes", "--plain", "--out", args.out, ...CLI_VERIFY, ...CLI_OWNER_MANAGED, ...(args.extra ?? [])]);
  const hook = onNthBindingChange(hosts, n, () => run.child.kill("SIGKILL"), args.counts);
  try {
    const first = await Promise.race([hook.reached.then(() => "killed" as const), run.exited.then(() => "exited" as const)]);
    const exit = await run.exited;
    if (first !== "killed") throw new Error(`the rollout finished (exit ${exit.code}) before the ${n}th binding change:\n${run.output()}`);
    return { output: run.output(), journal: join(args.out, "journal.jsonl"), signal: exit.signal };
  } finally {
    hook.restore();
  }
}
