/**
 * Issue 10, "Done when": `rollout --new renewed.pfx` and `deliver --new renewed.pfx` over real SSH
 * and SFTP to the simulated fleet. The PFX the fleet receives is read back from what SFTP wrote
 * on each host (its OIDs), not from certfleet's own decision; the stores and bindings are read
 * from the simulator's state.
 */
import { runCliCaptured } from "../support/cli-capture.js";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import forge from "node-forge";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APPID, createCertificate, demoCertificates, toPfx } from "../../src/simulator/index.js";
import type { SimHost } from "../../src/simulator/host.js";
import type { SimHostSpec, SimLanguage, SimOs, SimShell } from "../../src/simulator/state.js";
import { readJournal } from "../../src/journal/journal.js";
import { startHarness, type Harness } from "../support/harness.js";

const OSES: readonly SimOs[] = ["2012r2", "2016", "2022", "2025"];
const PASSWORD = "Renewal-Pfx-Secret-4711";
const PASSWORD_ENV = "CERTFLEET_TEST_PFX_PASSWORD";
const PBES2 = "1.2.840.113549.1.5.13";
const PBE_3DES = "1.2.840.113549.1.12.1.3";
const { ca, oldCert, newCert, unrelatedCert } = demoCertificates();
const OLD = oldCert.thumbprint;
const NEW = newCert.thumbprint;

/** `n` hosts where none has the new certificate: every OS, cmd and PowerShell, en/fr/de. */
function fleetSpecs(n: number): SimHostSpec[] {
  return Array.from({ length: n }, (_, i) => {
    const os = OSES[i % 4]!;
    const language: SimLanguage = i % 5 === 3 ? "fr" : i % 5 === 4 ? "de" : "en";
    const shell: SimShell = i % 3 === 1 ? "powershell" : "cmd";
    return {
      name: `h${String(i).padStart(2, "0")}-${os}-${shell}-${language}`,
      profile: { os, shell, language },
      certificates: [{ cert: oldCert }, { cert: unrelatedCert }],
      bindings: [
        { kind: "ipport", endpoint: "0.0.0.0:443", certHash: OLD, appId: APPID.iis, storeName: "MY", ...(i % 2 === 0 ? { params: { clientcertnegotiation: "enable" } } : {}) },
        { kind: "hostnameport", endpoint: "www.example.com:443", certHash: OLD, appId: APPID.iis, storeName: "My" },
        { kind: "ipport", endpoint: "0.0.0.0:8443", certHash: unrelatedCert.thumbprint, appId: APPID.iis, storeName: "MY" },
      ],
    } satisfies SimHostSpec;
  });
}

/** Every PFX SFTP wrote on each host (captured as the simulated file system received it). */
function captureUploads(hosts: readonly SimHost[]): Map<string, Buffer[]> {
  const received = new Map<string, Buffer[]>();
  for (const host of hosts) {
    const write = host.files.writeFile.bind(host.files);
    host.files.writeFile = (path: string, data: Buffer) => {
      if (/\.pfx$/i.test(path) && data.length > 0) received.set(host.name, [...(received.get(host.name) ?? []), Buffer.from(data)]);
      return write(path, data);
    };
  }
  return received;
}

function oidsOf(der: Buffer): Set<string> {
  const out = new Set<string>();
  const walk = (node: forge.asn1.Asn1, depth: number) => {
    if (depth > 40) return;
    if (node.type === forge.asn1.Type.OID && typeof node.value === "string") out.add(forge.asn1.derToOid(node.value));
    if (Array.isArray(node.value)) for (const c of node.value) walk(c, depth + 1);
    else if (node.type === forge.asn1.Type.OCTETSTRING && typeof node.value === "string" && node.value.length > 1) {
      try {
        walk(forge.asn1.fromDer(node.value), depth + 1);
      } catch {
        /* raw bytes */
      }
    }
  };
  walk(forge.asn1.fromDer(der.toString("binary")), 0);
  return out;
}

const stagedLeft = (host: SimHost) => (host.files.exists("C:\\ProgramData\\certfleet") ? host.files.list("C:\\ProgramData\\certfleet") : []);
const myEntry = (host: SimHost, thumb: string) => host.snapshot().certificates.find((c) => c.thumbprint === thumb && c.store.toLowerCase() === "my");

/** Every file the runs wrote, as text: the secrets must be in none of them, in any encoding. */
async function expectNoSecrets(dir: string, pfx: Buffer): Promise<void> {
  const needles = [PASSWORD, Buffer.from(PASSWORD).toString("base64"), Buffer.from(PASSWORD).toString("hex"), pfx.toString("base64").slice(0, 40), pfx.toString("hex").slice(0, 40)];
  const files = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  expect(files.length).toBeGreaterThan(0);
  for (const f of files) {
    const text = (await readFile(f)).toString("latin1");
    for (const n of needles) expect(text.includes(n), `${f} holds a secret (${n.slice(0, 6)}...)`).toBe(false);
  }
}

describe("rollout --new renewed.pfx over 30 hosts that lack the certificate", () => {
  let h: Harness;
  let dir: string;
  let pfxFile: string;
  let pfx: Buffer;
  let uploads: Map<string, Buffer[]>;
  let output = "";

  beforeAll(async () => {
    h = await startHarness(fleetSpecs(30));
    dir = await mkdtemp(join(tmpdir(), "cf-deliver-e2e-"));
    pfx = toPfx(newCert, PASSWORD, [ca.cert]);
    pfxFile = join(dir, "renewed.pfx");
    await writeFile(pfxFile, pfx);
    uploads = captureUploads(h.fleet.hosts);
    process.env[PASSWORD_ENV] = PASSWORD;
  });
  afterAll(async () => {
    delete process.env[PASSWORD_ENV];
    await h?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const common = () => ["-i", h.files.inventory, "--plain", "--pfx-password-env", PASSWORD_ENV];

  const cli = async (args: string[]): Promise<number> => (await runCliCaptured(args, (t) => (output += t))).code;

  it("--dry-run lists the delivery step by step, the import with its password redacted, and changes nothing", async () => {
    const code = await cli(["rollout", "--new", pfxFile, "--dry-run", "--out", join(dir, "dry"), ...common()]);
    expect(code, output).toBe(0);
    const report = JSON.parse(await readFile(join(dir, "dry", "report.json"), "utf8")) as { hosts: Array<{ name: string; commands?: string[] }> };
    for (const r of report.hosts) {
      const cmds = r.commands ?? [];
      const importLine = cmds.find((c) => c.includes("-importpfx"));
      expect(importLine, r.name).toMatch(/^certutil -f -p \[one-time password\] -importpfx My C:\\ProgramData\\certfleet\\[^\\]+\\certificate\.pfx NoExport$/);
      expect(cmds.findIndex((c) => c.includes("-importpfx")), r.name).toBeLessThan(cmds.findIndex((c) => /sslcert/.test(c)));
      expect(cmds.some((c) => c.startsWith("(SFTP upload)")), r.name).toBe(true);
    }
    for (const host of h.fleet.hosts) {
      expect(myEntry(host, NEW), host.name).toBeUndefined();
      expect(uploads.has(host.name)).toBe(false);
    }
  });

  it("delivers to every host, rebinds every old binding, and leaves no staged file", async () => {
    const code = await cli(["rollout", "--new", pfxFile, "--yes", "--out", join(dir, "run"), "-c", "8", "--canary", "1", "--verify-window", "10", "--verify-interval", "0.1", ...common()]);
    expect(code, output).toBe(0);
    for (const host of h.fleet.hosts) {
      const entry = myEntry(host, NEW);
      expect(entry?.hasPrivateKey, host.name).toBe(true);
      expect(entry?.exportable, host.name).toBe(false);
      const binds = host.snapshot().bindings;
      expect(binds.filter((b) => b.certHash.toLowerCase() === OLD), host.name).toEqual([]);
      expect(binds.filter((b) => b.certHash.toLowerCase() === NEW).length, host.name).toBe(2);
      expect(stagedLeft(host), host.name).toEqual([]);
      // The root in the operator's PFX is never written to the host's Root store.
      expect(host.snapshot().certificates.filter((c) => c.thumbprint === ca.cert.thumbprint), host.name).toEqual([]);
    }
  });

  it("2016-and-older hosts received the legacy 3DES/SHA-1 file, newer ones AES (read from what SFTP wrote)", () => {
    for (const host of h.fleet.hosts) {
      // SFTP writes a file piece by piece; the last write holds it whole.
      const got = uploads.get(host.name) ?? [];
      expect(got.length, host.name).toBeGreaterThan(0);
      const file = got[got.length - 1]!;
      expect(got.every((g) => file.subarray(0, g.length).equals(g)), host.name).toBe(true);
      const oids = oidsOf(file);
      const old = host.profile.os === "2012r2" || host.profile.os === "2016";
      expect(oids.has(PBES2), host.name).toBe(!old);
      expect(oids.has(PBE_3DES), host.name).toBe(old);
      // Never the operator's file as it was, nor under its password.
      expect(file.equals(pfx)).toBe(false);
    }
  });

  it("the journal records each staging folder and import before acting, and the real password and PFX bytes are in no output file", async () => {
    const records = readJournal(join(dir, "run", "journal.jsonl")).records;
    const intents = records.filter((r) => r.type === "intent" && "step" in r && r.step === "deliver");
    expect(intents.length).toBe(30);
    await expectNoSecrets(dir, pfx);
    expect(output.includes(PASSWORD)).toBe(false);
    // Each host saw its own one-time password on its import line; no output file and no output line holds any of them.
    const oneTime = h.fleet.hosts.map((x) => /-p ([A-Za-z0-9]{32}) -importpfx/.exec(x.commandLog.find((c) => c.includes("-importpfx")) ?? "")?.[1]);
    expect(oneTime.every((p) => p !== undefined)).toBe(true);
    expect(new Set(oneTime).size).toBe(30);
    const files = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile() && !e.name.endsWith(".pfx")).map((e) => join(e.parentPath, e.name));
    for (const f of files) {
      const text = await readFile(f, "latin1");
      for (const p of oneTime) expect(text.includes(p!), f).toBe(false);
    }
    for (const p of oneTime) expect(output.includes(p!)).toBe(false);
  });

  it("deliver on hosts that already have it contacts each host once and changes nothing", async () => {
    const before = new Map(h.fleet.hosts.map((x) => [x.name, JSON.stringify(x.snapshot())]));
    const logged = new Map(h.fleet.hosts.map((x) => [x.name, x.commandLog.length]));
    const code = await cli(["deliver", "--new", pfxFile, "--yes", "--out", join(dir, "again"), ...common()]);
    expect(code, output).toBe(0);
    for (const host of h.fleet.hosts) {
      expect(host.commandLog.length - logged.get(host.name)!, host.name).toBe(1);
      expect(JSON.stringify(host.snapshot()), host.name).toBe(before.get(host.name));
    }
  });
});

/** A small fleet: one host had the new certificate before; one host's import drops the key. */
function smallSpecs(opts: { dropsKey?: boolean } = {}): SimHostSpec[] {
  const binds = [
    { kind: "ipport" as const, endpoint: "0.0.0.0:443", certHash: OLD, appId: APPID.iis, storeName: "MY" },
    { kind: "hostnameport" as const, endpoint: "www.example.com:443", certHash: OLD, appId: APPID.iis, storeName: "My" },
  ];
  return [
    { name: "a-2016-cmd-de", profile: { os: "2016", shell: "cmd", language: "de" }, certificates: [{ cert: oldCert }], bindings: binds },
    { name: "b-2022-ps-en", profile: { os: "2022", shell: "powershell", language: "en" }, certificates: [{ cert: oldCert }], bindings: binds, ...(opts.dropsKey ? { faults: { importDropsKey: true } } : {}) },
    { name: "c-2012r2-ps-fr", profile: { os: "2012r2", shell: "powershell", language: "fr" }, certificates: [{ cert: oldCert }], bindings: binds },
    // The new certificate (with its key) was there before: never delivered, never removed.
    { name: "d-2025-cmd-en", profile: { os: "2025", shell: "cmd", language: "en" }, certificates: [{ cert: oldCert }, { cert: newCert }], bindings: binds },
  ];
}

async function captured(args: string[]): Promise<{ code: number; output: string }> {
  let output = "";
  const { code } = await runCliCaptured(args, (t) => (output += t));
  return { code, output };
}

describe("refusals on the controller, and a host whose import leaves no key", () => {
  let h: Harness;
  let dir: string;

  beforeAll(async () => {
    h = await startHarness(smallSpecs({ dropsKey: true }));
    dir = await mkdtemp(join(tmpdir(), "cf-deliver-bad-"));
    process.env[PASSWORD_ENV] = PASSWORD;
  });
  afterAll(async () => {
    delete process.env[PASSWORD_ENV];
    await h?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("wrong password, no key, expired: exit 2 before any host is contacted, and the password is in no message", async () => {
    const fixtures = "test/fixtures/pfx";
    const expired = createCertificate({ subject: "CN=*.example.com", dnsNames: ["*.example.com"], issuer: ca, notBefore: new Date(Date.now() - 400 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
    await writeFile(join(dir, "expired.pfx"), toPfx(expired, PASSWORD));
    await writeFile(join(dir, "renewed.pfx"), toPfx(newCert, PASSWORD));
    const cases: Array<{ file: string; env: string; message: RegExp }> = [
      { file: join(dir, "renewed.pfx"), env: "not-the-password", message: /wrong password/ },
      { file: `${fixtures}/no-key.pfx`, env: "fixture-Pfx-Pass-7Qz", message: /holds no private key/ },
      { file: join(dir, "expired.pfx"), env: PASSWORD, message: /expired on/ },
    ];
    for (const command of ["rollout", "deliver", "plan"]) {
      for (const c of cases) {
        process.env[PASSWORD_ENV] = c.env;
        const r = await captured([command, "--new", c.file, "--pfx-password-env", PASSWORD_ENV, ...(command === "plan" ? [] : ["--yes"]), "-i", h.files.inventory, "--plain", "--out", join(dir, `${command}-${c.message.source.slice(0, 6).replace(/\W/g, "")}`)]);
        expect(r.code, `${command} ${c.file}: ${r.output}`).toBe(2);
        expect(r.output).toMatch(c.message);
        expect(r.output.includes(c.env)).toBe(false);
      }
    }
    process.env[PASSWORD_ENV] = PASSWORD;
    for (const host of h.fleet.hosts) expect(host.commandLog, host.name).toEqual([]);
  });

  it("the host whose import leaves no key: nothing rebound, the imported certificate removed, failed with the reason; the others go on", async () => {
    const pfxFile = join(dir, "renewed.pfx");
    process.env[PASSWORD_ENV] = PASSWORD;
    const r = await captured(["rollout", "--new", pfxFile, "--pfx-password-env", PASSWORD_ENV, "--yes", "-i", h.files.inventory, "--plain", "--max-failures", "1", "-c", "1", "--out", join(dir, "run"), "--verify-window", "10", "--verify-interval", "0.1"]);
    expect(r.code, r.output).toBe(1);
    const report = JSON.parse(await readFile(join(dir, "run", "report.json"), "utf8")) as { hosts: Array<{ name: string; status: string; error?: { message: string } }> };
    const bad = h.fleet.host("b-2022-ps-en");
    const badReport = report.hosts.find((x) => x.name === bad.name)!;
    expect(badReport.status).toBe("failed");
    expect(badReport.error?.message).toMatch(/without its private key/);
    expect(bad.snapshot().bindings.every((b) => b.certHash.toLowerCase() === OLD)).toBe(true);
    expect(myEntry(bad, NEW)).toBeUndefined();
    expect(stagedLeft(bad)).toEqual([]);
    for (const host of h.fleet.hosts.filter((x) => x !== bad)) {
      expect(report.hosts.find((x) => x.name === host.name)?.status, host.name).toBe("changed");
      expect(myEntry(host, NEW)?.hasPrivateKey, host.name).toBe(true);
      expect(host.snapshot().bindings.every((b) => b.certHash.toLowerCase() === NEW), host.name).toBe(true);
      expect(stagedLeft(host), host.name).toEqual([]);
    }
    // The host that had the certificate before was not delivered to.
    expect(h.fleet.host("d-2025-cmd-en").commandLog.some((c) => c.includes("-importpfx"))).toBe(false);
    await expectNoSecrets(dir, await readFile(pfxFile));
  });
});
