/**
 * verify as a person runs it: each straggler shown while it is waited for, certificates named by
 * subject and expiry, a loud warning for an expected certificate about to expire, and Ctrl-C that
 * still writes the report.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runVerify } from "../support/reported.js";
import { Report } from "../../src/report/schema.js";
import { demoCertificates, type SimHostSpec } from "../../src/simulator/index.js";
import { startHarness, type Harness } from "../support/harness.js";
import { runInPty } from "../support/pty.js";
import { IIS_APPID, targetFor } from "../support/verifier-fleet.js";

const MAIN = resolve(import.meta.dirname, "../../dist/cli/main.js");
const { oldCert, newCert } = demoCertificates();
const day = (d: Date) => d.toISOString().slice(0, 10);

function spec(name: string, hash: string): SimHostSpec {
  return {
    name,
    certificates: [{ cert: oldCert }, { cert: newCert }],
    bindings: [{ kind: "ipport", endpoint: "0.0.0.0:443", certHash: hash, appId: IIS_APPID, storeName: "MY" }],
  };
}

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [MAIN, ...args], { env: { ...process.env, CI: "1" }, timeout: 60_000 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

describe("verify, the human path", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness([spec("web1", newCert.thumbprint), spec("web2", oldCert.thumbprint)]);
  });
  afterAll(async () => h?.close());

  it("shows the endpoint it waits for (served vs expected, attempt n) and names certificates by subject and expiry", async () => {
    const sim = h.fleet.host("web1");
    sim.faults.staleHandshakes = 3;
    // an app pool that has not recycled: http.sys holds the new hash, the endpoint serves the old one
    await sim.putBinding({ kind: "ipport", endpoint: "0.0.0.0:443", certHash: oldCert.thumbprint, appId: IIS_APPID, storeName: "MY" });
    await sim.putBinding({ kind: "ipport", endpoint: "0.0.0.0:443", certHash: newCert.thumbprint, appId: IIS_APPID, storeName: "MY" });
    const steps: string[] = [];
    try {
      const report = await runVerify(h.hosts, h.freshDeps({ progress: { hostStep: (host, text) => steps.push(`${host}: ${text}`) } }), {
        target: targetFor(newCert),
        concurrency: 2,
        timing: { windowMs: 600_000, intervalMs: 5, handshakeTimeoutMs: 5_000 },
      });
      const waits = steps.filter((s) => s.startsWith("web1: ") && s.includes("serves"));
      expect(waits[0]).toBe(`web1: attempt 1: ${h.fleet.host("web1").tlsEndpoints()["0.0.0.0:443"]} serves ${oldCert.thumbprint.slice(0, 8)}… (old certificate, *.example.com, expires ${day(oldCert.notAfter)})`);
      expect(waits.map((w) => /attempt (\d+)/.exec(w)![1])).toEqual(["1", "2", "3"]);
      expect(report.hosts[0]!.status).toBe("ok");
      // web2's binding still points at the old certificate: no waiting, one attempt, named
      const web2 = report.hosts[1]!;
      expect(web2.status).toBe("failed");
      expect(web2.bindings[0]!.verify!.attempts).toBe(1);
      expect(web2.error!.message).toContain(`served ${oldCert.thumbprint} (old certificate, *.example.com, expires ${day(oldCert.notAfter)}), expected ${newCert.thumbprint} (the expected certificate, *.example.com, expires ${day(newCert.notAfter)})`);
    } finally {
      sim.faults.staleHandshakes = 0;
    }
  });

  it("warns loudly when the expected certificate expires within 30 days, and says which", async () => {
    const out = await mkdtemp(join(tmpdir(), "certfleet-verify-old-"));
    const r = await cli(["verify", "--expect", oldCert.thumbprint, "-i", h.files.inventory, "-l", "web2", "--verify-window", "0", "--out", out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`WARNING: the expected certificate ${oldCert.thumbprint} \\(CN=\\*\\.example\\.com[^)]*\\) expires in \\d+ day\\(s\\), on ${day(oldCert.notAfter)}`));
    const fine = await cli(["verify", "--expect", newCert.thumbprint, "-i", h.files.inventory, "-l", "web1", "--verify-window", "0", "--out", join(out, "new")]);
    expect(fine.stdout).not.toContain("WARNING");
  });

  it("Ctrl-C in a terminal while a straggler is waited for still writes the report (exit 130)", async () => {
    const sim = h.fleet.host("web1");
    sim.faults.staleHandshakes = 1_000_000;
    await sim.putBinding({ kind: "ipport", endpoint: "0.0.0.0:443", certHash: oldCert.thumbprint, appId: IIS_APPID, storeName: "MY" });
    await sim.putBinding({ kind: "ipport", endpoint: "0.0.0.0:443", certHash: newCert.thumbprint, appId: IIS_APPID, storeName: "MY" });
    const out = await mkdtemp(join(tmpdir(), "certfleet-verify-ctrlc-"));
    try {
      const run = runInPty([process.execPath, MAIN, "verify", "--expect", newCert.thumbprint, "-i", h.files.inventory, "-l", "web1", "--verify-window", "600", "--verify-interval", "0.05", "--out", out]);
      await run.waitFor("attempt 3");
      run.type("\x03");
      const code = await run.exited;
      expect(code, run.screen()).toBe(130);
      const report = Report.parse(JSON.parse(await readFile(join(out, "report.json"), "utf8")));
      expect(report.hosts[0]!.status).toBe("failed");
      expect(report.hosts[0]!.bindings[0]!.verify!.error).toContain("stopped by Ctrl-C");
    } finally {
      sim.faults.staleHandshakes = 0;
    }
  });
});
