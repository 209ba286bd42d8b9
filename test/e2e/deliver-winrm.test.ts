/**
 * Issue 13's last gap: `rollout --new renewed.pfx` to a mixed fleet (SSH, WinRM over HTTP with
 * NTLM and message encryption, WinRM over HTTPS) where no host has the new certificate. Over
 * WinRM the PFX is staged through a command's stdin (base64, `findstr /r "^" > file.b64`, then
 * `certutil -f -decode`); the stores, bindings and staged files are read from the simulator.
 */
import { runCliCaptured } from "../support/cli-capture.js";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APPID, demoCertificates, startFleet, toPfx, type SimFleet } from "../../src/simulator/index.js";
import type { SimHost } from "../../src/simulator/host.js";
import type { SimHostSpec, SimLanguage, SimOs, SimShell } from "../../src/simulator/state.js";
import { setEnv } from "../support/env.js";

const OSES: readonly SimOs[] = ["2012r2", "2016", "2022", "2025"];
const PFX_PASSWORD = "Renewal-Pfx-Secret-4711";
const PFX_PASSWORD_ENV = "CERTFLEET_TEST_WINRM_PFX_PASSWORD";
const WINRM_PASSWORD_ENV = "CERTFLEET_SIM_PASSWORD";
const { ca, oldCert, newCert, unrelatedCert } = demoCertificates();
const OLD = oldCert.thumbprint;
const NEW = newCert.thumbprint;

/** 9 hosts, none with the new certificate: SSH, WinRM/HTTP (NTLM + encryption), WinRM/HTTPS in turn. */
function specs(): SimHostSpec[] {
  return Array.from({ length: 9 }, (_, i) => {
    const os = OSES[i % 4]!;
    const language: SimLanguage = i % 5 === 3 ? "fr" : i % 5 === 4 ? "de" : "en";
    const shell: SimShell = i % 2 === 1 ? "powershell" : "cmd";
    const spec: SimHostSpec = {
      name: `d${i}-${os}-${language}`,
      profile: { os, shell, language },
      certificates: [{ cert: oldCert }, { cert: unrelatedCert }],
      bindings: [
        { kind: "ipport", endpoint: "0.0.0.0:443", certHash: OLD, appId: APPID.iis, storeName: "MY" },
        { kind: "hostnameport", endpoint: "www.example.com:443", certHash: OLD, appId: APPID.iis, storeName: "My" },
        { kind: "ipport", endpoint: "0.0.0.0:8443", certHash: unrelatedCert.thumbprint, appId: APPID.iis, storeName: "MY" },
      ],
    };
    return i % 3 === 1 ? { ...spec, winrm: {} } : i % 3 === 2 ? { ...spec, winrm: { https: true } } : spec;
  });
}

const stagedLeft = (host: SimHost) => (host.files.exists("C:\\ProgramData\\certfleet") ? host.files.list("C:\\ProgramData\\certfleet") : []);
const myEntry = (host: SimHost, thumb: string) => host.snapshot().certificates.find((c) => c.thumbprint === thumb && c.store.toLowerCase() === "my");

describe("rollout --new renewed.pfx over SSH and WinRM (HTTP+NTLM+encryption, HTTPS)", () => {
  let fleet: SimFleet;
  let dir: string;
  let inventory: string;
  let pfx: Buffer;
  let pfxFile: string;
  let output = "";
  let restoreEnv: (() => void) | undefined;

  beforeAll(async () => {
    fleet = await startFleet(specs());
    dir = await mkdtemp(join(tmpdir(), "cf-deliver-winrm-"));
    ({ inventory } = await fleet.writeFiles(dir));
    pfx = toPfx(newCert, PFX_PASSWORD, [ca.cert]);
    pfxFile = join(dir, "renewed.pfx");
    await writeFile(pfxFile, pfx);
    restoreEnv = setEnv({ [WINRM_PASSWORD_ENV]: fleet.password, [PFX_PASSWORD_ENV]: PFX_PASSWORD });
  });
  afterAll(async () => {
    restoreEnv?.();
    await fleet?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const cli = async (args: string[]): Promise<number> => (await runCliCaptured(args, (t) => (output += t))).code;

  it("delivers to every host, rebinds every old binding, and leaves no staged file", async () => {
    expect(fleet.hosts.filter((x) => x.winrm).length).toBe(6);
    for (const host of fleet.hosts) expect(myEntry(host, NEW), host.name).toBeUndefined();
    const code = await cli([
      "rollout", "--new", pfxFile, "--yes", "--plain", "--out", join(dir, "run"), "-i", inventory,
      "--pfx-password-env", PFX_PASSWORD_ENV, "--verify-window", "10", "--verify-interval", "0.1",
    ]);
    const report = JSON.parse(await readFile(join(dir, "run", "report.json"), "utf8")) as { hosts: Array<{ name: string; status: string; error?: { message: string } }> };
    expect(report.hosts.filter((x) => x.status !== "changed").map((x) => `${x.name}: ${x.status} ${x.error?.message ?? ""}`)).toEqual([]);
    expect(code, output).toBe(0);
    for (const host of fleet.hosts) {
      const entry = myEntry(host, NEW);
      expect(entry?.hasPrivateKey, host.name).toBe(true);
      expect(entry?.exportable, host.name).toBe(false);
      const binds = host.snapshot().bindings;
      expect(binds.filter((b) => b.certHash.toLowerCase() === OLD), host.name).toEqual([]);
      expect(binds.filter((b) => b.certHash.toLowerCase() === NEW).length, host.name).toBe(2);
      expect(stagedLeft(host), host.name).toEqual([]);
      expect(host.snapshot().certificates.filter((c) => c.thumbprint === ca.cert.thumbprint && c.store.toLowerCase() === "root"), host.name).toEqual([]);
    }
  });

  it("WinRM hosts got the files through stdin (never on a command line); SSH hosts through SFTP", () => {
    for (const host of fleet.hosts) {
      const staged = host.commandLog.filter((c) => c.startsWith('findstr /r "^" > C:\\ProgramData\\certfleet\\'));
      if (!host.winrm) {
        expect(staged, host.name).toEqual([]);
        continue;
      }
      // the PFX, written from stdin and decoded by certutil, under the run's staging folder
      expect(staged.length, host.name).toBeGreaterThan(0);
      expect(staged[0], host.name).toMatch(/^findstr \/r "\^" > (C:\\ProgramData\\certfleet\\[A-Za-z0-9-]+\\certificate\.pfx)\.b64 && certutil -f -decode \1\.b64 \1$/);
      const sent = host.winrm.stdinLog.filter((s) => s.command.startsWith("findstr"));
      expect(sent.map((s) => s.command), host.name).toEqual(staged);
      // base64 lines of at most 64 characters, each ending CRLF; decoded, a PKCS#12 (a DER SEQUENCE)
      const text = sent[0]!.stdin.toString("latin1");
      expect(text, host.name).toMatch(/^(?:[A-Za-z0-9+/=]{1,64}\r\n)+$/);
      expect(Buffer.from(text.replace(/\s+/g, ""), "base64")[0], host.name).toBe(0x30);
      for (const c of host.commandLog) expect(c.includes(pfx.toString("base64").slice(0, 40)), host.name).toBe(false);
    }
  });

  it("the PFX bytes and passwords are in no output file and no output line", async () => {
    const oneTime = fleet.hosts.map((x) => /-p ([A-Za-z0-9]{32}) -importpfx/.exec(x.commandLog.find((c) => c.includes("-importpfx")) ?? "")?.[1]);
    expect(oneTime.every((p) => p !== undefined)).toBe(true);
    // the base64 each WinRM host received: none of it may show anywhere
    const stdinPfx = fleet.hosts.flatMap((x) => (x.winrm?.stdinLog ?? []).filter((s) => s.command.includes("certificate.pfx")).map((s) => s.stdin.toString("latin1").replace(/\s+/g, "")));
    expect(stdinPfx.length).toBe(6);
    const needles = [
      PFX_PASSWORD, fleet.password, ...(oneTime as string[]),
      pfx.toString("base64").slice(0, 40), pfx.toString("hex").slice(0, 40),
      ...stdinPfx.flatMap((b) => [b.slice(0, 40), b.slice(200, 240), Buffer.from(b, "base64").toString("hex").slice(0, 40)]),
    ];
    const files = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile() && !e.name.endsWith(".pfx")).map((e) => join(e.parentPath, e.name));
    expect(files.length).toBeGreaterThan(2);
    for (const f of files) {
      const text = await readFile(f, "latin1");
      for (const n of needles) expect(text.includes(n), `${f} holds a secret`).toBe(false);
    }
    for (const n of needles) expect(output.includes(n)).toBe(false);
  });
});
