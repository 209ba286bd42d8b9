/**
 * Issue 10: SIGKILL during delivery, then `rollback --journal`: every host exactly as before
 * (stores, bindings, files), the staged files gone, and the certificate a host had before
 * untouched. `certfleet rollout --new renewed.pfx` runs as its own process (dist/, as in
 * crash-loop.test.ts) and is killed the moment the fleet receives a chosen delivery command
 * (that command still runs, as on a real host that got it just before the orchestrator died).
 */
import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, afterAll, describe, expect, it } from "vitest";
import { APPID, demoCertificates, toPfx } from "../../src/simulator/index.js";
import type { SimHost } from "../../src/simulator/host.js";
import type { SimHostSpec } from "../../src/simulator/state.js";
import { startHarness, type Harness } from "../support/harness.js";

const CLI = join(process.cwd(), "dist/cli/main.js");
const PASSWORD = "Renewal-Pfx-Secret-4711";
const ENV = "CERTFLEET_TEST_PFX_PASSWORD";
const { oldCert, newCert, unrelatedCert } = demoCertificates();
const OLD = oldCert.thumbprint;

function specs(): SimHostSpec[] {
  const binds = [
    { kind: "ipport" as const, endpoint: "0.0.0.0:443", certHash: OLD, appId: APPID.iis, storeName: "MY" },
    { kind: "hostnameport" as const, endpoint: "www.example.com:443", certHash: OLD, appId: APPID.iis, storeName: "My" },
  ];
  return [
    // Had the new certificate before, without its key: delivered again first (the canary), never removed.
    { name: "a-2012r2-cmd", profile: { os: "2012r2", shell: "cmd", language: "en" }, certificates: [{ cert: oldCert }, { cert: newCert, hasPrivateKey: false }], bindings: binds },
    { name: "b-2016-cmd", profile: { os: "2016", shell: "cmd", language: "en" }, certificates: [{ cert: oldCert }, { cert: unrelatedCert }], bindings: binds },
    { name: "c-2022-ps", profile: { os: "2022", shell: "powershell", language: "de" }, certificates: [{ cert: oldCert }], bindings: binds },
  ];
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

function cli(args: string[], onSpawn?: (kill: () => void) => void): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1", CI: "1", [ENV]: PASSWORD } });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, output }));
    onSpawn?.(() => child.kill("SIGKILL"));
  });
}

/** Calls `hit` inside the receipt of the `nth` command (on any host) that matches `re`. */
function killWhen(hosts: readonly SimHost[], re: RegExp, nth: number, hit: () => void): () => void {
  let seen = 0;
  const undo = hosts.map((h) => {
    const push = h.commandLog.push;
    h.commandLog.push = function (this: string[], ...items: string[]) {
      const r = push.apply(this, items);
      for (const c of items) if (re.test(c) && ++seen === nth) hit();
      return r;
    };
    return () => (h.commandLog.push = push);
  });
  return () => undo.forEach((f) => f());
}

/** A host's stores, bindings and files; `keyOf` leaves out the key state of the certificate a re-import may have completed. */
const state = (h: SimHost, reimported?: string) => {
  const s = h.snapshot();
  return {
    certificates: s.certificates.map((c) => `${c.store}:${c.thumbprint}:${c.thumbprint === reimported ? "" : c.hasPrivateKey}`).sort(),
    bindings: s.bindings.map((b) => JSON.stringify(b)).sort(),
    files: s.files.filter((f) => !/^C:\\ProgramData\\certfleet$/i.test(f)).sort(),
  };
};

describe("SIGKILL during delivery, then rollback --journal", () => {
  let h: Harness;
  let dir: string;
  let pfxFile: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "cf-deliver-crash-"));
    pfxFile = join(dir, "renewed.pfx");
    await writeFile(pfxFile, toPfx(newCert, PASSWORD));
  });
  afterEach(async () => h?.close());
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  // Kill points: the folder prepared (nothing uploaded yet), the import sent, the probe sent, and
  // the second host's import (the first one fully delivered and rebound).
  const points: Array<[string, RegExp, number]> = [
    ["prepare", /icacls/, 1],
    ["import", /-importpfx/, 1],
    ["probe", /^certutil -store My [0-9a-f]{40}$/, 1],
    ["second host's import", /-importpfx/, 2],
  ];
  for (const [name, re, nth] of points) {
    it(`killed at the ${name}: rollback puts every host back exactly, staged files gone, the certificate that was there before kept`, async () => {
      h = await startHarness(specs());
      const NEW = newCert.thumbprint;
      const before = new Map(h.fleet.hosts.map((x) => [x.name, state(x, NEW)]));
      const out = join(dir, name.replace(/\W+/g, "-"));
      let kill: (() => void) | undefined;
      let killed = false;
      const restore = killWhen(h.fleet.hosts, re, nth, () => {
        killed = true;
        kill?.();
      });
      const common = ["-i", h.files.inventory, "--plain", "-c", "1", "--canary", "1"];
      let exit: Exit;
      try {
        exit = await cli(["rollout", "--new", pfxFile, "--pfx-password-env", ENV, "--yes", "--out", out, "--verify-window", "5", "--verify-interval", "0.1", ...common], (f) => (kill = f));
      } finally {
        restore();
      }
      expect(killed, exit.output).toBe(true);
      expect(exit.signal).toBe("SIGKILL");
      // The kill left work for the rollback: a staged folder or an imported certificate somewhere.
      const staged = (x: SimHost) => (x.files.exists("C:\\ProgramData\\certfleet") ? x.files.list("C:\\ProgramData\\certfleet") : []);
      expect(h.fleet.hosts.some((x) => staged(x).length > 0 || JSON.stringify(state(x, NEW)) !== JSON.stringify(before.get(x.name)))).toBe(true);

      const back = await cli(["rollback", "--journal", join(out, "journal.jsonl"), "--yes", "--out", join(out, "rollback"), ...common.slice(0, 3)]);
      expect(back.code, back.output).toBe(0);
      for (const host of h.fleet.hosts) {
        expect(state(host, NEW), host.name).toEqual(before.get(host.name));
        expect(host.files.exists("C:\\ProgramData\\certfleet") ? host.files.list("C:\\ProgramData\\certfleet") : [], host.name).toEqual([]);
      }
      // The certificate a had before (without its key) is still there: the delivery imported it
      // again with its key, and rollback never removes one that was there before.
      expect(h.fleet.host("a-2012r2-cmd").commandLog.some((c) => c.includes("-importpfx"))).toBe(name !== "prepare");
      expect(h.fleet.host("a-2012r2-cmd").snapshot().certificates.some((c) => c.thumbprint === NEW)).toBe(true);

      // Neither the real password nor the PFX bytes in any file these runs wrote.
      const pfx = await readFile(pfxFile);
      const needles = [PASSWORD, Buffer.from(PASSWORD).toString("base64"), Buffer.from(PASSWORD).toString("hex"), pfx.toString("base64").slice(0, 40), pfx.toString("hex").slice(0, 40)];
      const files = (await readdir(out, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
      for (const f of files) {
        const text = (await readFile(f)).toString("latin1");
        for (const n of needles) expect(text.includes(n), f).toBe(false);
      }
    });
  }

  it("killed at an import, then rollout --resume: the staged leftovers are deleted first, every host ends delivered and rebound", async () => {
    h = await startHarness(specs());
    const out = join(dir, "resume");
    let kill: (() => void) | undefined;
    let killed = false;
    const restore = killWhen(h.fleet.hosts, /-importpfx/, 2, () => {
      killed = true;
      kill?.();
    });
    const common = ["-i", h.files.inventory, "--plain", "-c", "1", "--canary", "1", "--verify-window", "5", "--verify-interval", "0.1"];
    try {
      await cli(["rollout", "--new", pfxFile, "--pfx-password-env", ENV, "--yes", "--out", out, ...common], (f) => (kill = f));
    } finally {
      restore();
    }
    expect(killed).toBe(true);
    const staged = (x: SimHost) => (x.files.exists("C:\\ProgramData\\certfleet") ? x.files.list("C:\\ProgramData\\certfleet") : []);
    expect(h.fleet.hosts.some((x) => staged(x).length > 0)).toBe(true);
    const resumed = await cli(["rollout", "--resume", join(out, "journal.jsonl"), "--new", pfxFile, "--pfx-password-env", ENV, "--yes", "--out", join(out, "resumed"), ...common]);
    expect(resumed.code, resumed.output).toBe(0);
    for (const host of h.fleet.hosts) {
      expect(staged(host), host.name).toEqual([]);
      expect(host.snapshot().certificates.find((c) => c.thumbprint === newCert.thumbprint && c.store === "My")?.hasPrivateKey, host.name).toBe(true);
      expect(host.snapshot().bindings.every((b) => b.certHash.toLowerCase() === newCert.thumbprint), host.name).toBe(true);
    }
  });
});
