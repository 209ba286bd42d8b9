/**
 * Issue 4, end to end over real SSH and real TLS on loopback: after a rollout `verify` passes
 * everywhere; a binding changed back behind certfleet's back is a mismatch (exit 1); SNI bindings
 * are checked with their own server name; a host that keeps serving the old certificate for a
 * while passes within the window and fails past it (counted in handshakes, not in time).
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runVerify } from "../support/reported.js";
import { runCli } from "../../src/cli/program.js";
import { runRollout } from "../support/reported.js";
import { Report } from "../../src/report/schema.js";
import { demoCertificates, type SimHostSpec } from "../../src/simulator/index.js";
import { startHarness, type Harness } from "../support/harness.js";
import { FAST_TIMING, IIS_APPID, bindingsOf, planned, rolloutOptions, targetFor } from "../support/verifier-fleet.js";

const { oldCert, newCert, unrelatedCert } = demoCertificates();
const certs = [{ cert: oldCert }, { cert: newCert }, { cert: unrelatedCert }];

function spec(name: string, extra: Partial<SimHostSpec> = {}): SimHostSpec {
  return {
    name,
    certificates: certs,
    bindings: [{ kind: "ipport", endpoint: "0.0.0.0:443", certHash: oldCert.thumbprint, appId: IIS_APPID, storeName: "MY" }],
    ...extra,
  };
}

const specs: SimHostSpec[] = [
  spec("web1", {
    profile: { os: "2022", shell: "cmd" },
    bindings: [
      { kind: "ipport", endpoint: "0.0.0.0:443", certHash: oldCert.thumbprint, appId: IIS_APPID, storeName: "MY" },
      { kind: "hostnameport", endpoint: "www.example.com:443", certHash: oldCert.thumbprint, appId: IIS_APPID, storeName: "My" },
      { kind: "hostnameport", endpoint: "intranet.corp.local:443", certHash: unrelatedCert.thumbprint, appId: IIS_APPID, storeName: "My" },
    ],
  }),
  spec("web2", {
    profile: { os: "2012r2", shell: "powershell" },
    bindings: [
      { kind: "ipport", endpoint: "0.0.0.0:443", certHash: oldCert.thumbprint, appId: IIS_APPID, storeName: null },
      { kind: "ipport", endpoint: "[::]:443", certHash: oldCert.thumbprint, appId: IIS_APPID, storeName: "MY" },
    ],
  }),
  spec("web3", { profile: { os: "2016", language: "fr" } }),
];

const target = targetFor(newCert);
const LONG = { windowMs: 600_000, intervalMs: 5, handshakeTimeoutMs: 5_000 };

describe("verify after a rollout", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(specs, { commandTimeoutMs: 20_000 });
    const { report } = await runRollout(h.hosts, h.deps, rolloutOptions(target, ["web1", "web2", "web3"]));
    expect(report.hosts.map((x) => [x.name, x.status])).toEqual([
      ["web1", "changed"],
      ["web2", "changed"],
      ["web3", "changed"],
    ]);
  });
  afterAll(async () => h?.close());

  it("passes everywhere, every in-scope endpoint serving the new certificate", async () => {
    const report = await runVerify(h.hosts, h.freshDeps(), { target, concurrency: 3, timing: FAST_TIMING });
    Report.parse(report);
    expect(report.summary).toMatchObject({ hosts: 3, ok: 3, failed: 0 });
    for (const host of report.hosts) {
      expect(host.status, host.name).toBe("ok");
      expect(host.error).toBeUndefined();
      const inScope = host.bindings.filter((b) => b.scope === "new");
      expect(inScope.length).toBeGreaterThan(0);
      for (const b of inScope) {
        expect(b.verify, `${host.name} ${b.endpoint}`).toMatchObject({ ok: true, servedThumbprint: newCert.thumbprint, expectedThumbprint: newCert.thumbprint, attempts: 1 });
        expect(b.verify!.skipped).toBeUndefined();
        expect(b.verify!.notAfter).toBe(newCert.notAfter.toISOString().replace(/\.\d+Z$/, ".000Z"));
      }
    }
    // the [::] binding is checked too (the simulator's inventory maps it to a listener)
    const v6 = report.hosts.find((x) => x.name === "web2")!.bindings.find((b) => b.endpoint === "[::]:443")!;
    expect(v6.verify).toMatchObject({ ok: true, servedThumbprint: newCert.thumbprint });
    // a binding on an unrelated certificate is listed as out of scope, not checked
    const intranet = report.hosts.find((x) => x.name === "web1")!.bindings.find((b) => b.endpoint === "intranet.corp.local:443")!;
    expect(intranet.scope).toBe("unrelated");
    expect(intranet.verify).toBeUndefined();
  });

  it("checks an SNI binding with its own server name", async () => {
    const report = await runVerify(h.hosts.filter((x) => x.name === "web1"), h.freshDeps(), { target, concurrency: 1, timing: FAST_TIMING });
    const www = report.hosts[0]!.bindings.find((b) => b.endpoint === "www.example.com:443")!;
    expect(www.verify).toMatchObject({ ok: true, serverName: "www.example.com", sniCovered: true, servedThumbprint: newCert.thumbprint });
    expect(www.verify!.target).toMatch(/^127\.0\.0\.1:\d+ \(SNI www\.example\.com\)$/);
    const wildcard = report.hosts[0]!.bindings.find((b) => b.endpoint === "0.0.0.0:443")!;
    expect(wildcard.verify!.serverName).toBeUndefined();
    expect(wildcard.verify!.sniCovered).toBeUndefined();
  });

  it("two SNI bindings on one port with different certificates are each verified by their own name", async () => {
    const web1 = h.hosts.find((x) => x.name === "web1")!;
    const eps = web1.tls!.endpoints!;
    // Send both names to ONE listener: only the SNI name can make it pick the right certificate.
    const shared = eps["www.example.com:443"]!;
    const host = { ...web1, tls: { endpoints: { ...eps, "intranet.corp.local:443": shared } } };
    const forNew = await runVerify([host], h.freshDeps(), { target, concurrency: 1, timing: FAST_TIMING });
    const forUnrelated = await runVerify([host], h.freshDeps(), { target: targetFor(unrelatedCert), concurrency: 1, timing: FAST_TIMING });

    const www = forNew.hosts[0]!.bindings.find((b) => b.endpoint === "www.example.com:443")!;
    const intranet = forUnrelated.hosts[0]!.bindings.find((b) => b.endpoint === "intranet.corp.local:443")!;
    expect(www.verify).toMatchObject({ ok: true, serverName: "www.example.com", servedThumbprint: newCert.thumbprint, target: `${shared} (SNI www.example.com)` });
    expect(intranet.verify).toMatchObject({ ok: true, serverName: "intranet.corp.local", servedThumbprint: unrelatedCert.thumbprint, sniCovered: true, target: `${shared} (SNI intranet.corp.local)` });
    expect(forUnrelated.hosts[0]!.status).toBe("ok");
    // and the other way round, each name is not the other's certificate
    expect(forUnrelated.hosts[0]!.bindings.find((b) => b.endpoint === "www.example.com:443")!.scope).toBe("unrelated");
  });

  it("reports a binding changed back behind certfleet's back as a mismatch, the host failed, CLI exit 1", async () => {
    const sim = h.fleet.host("web2");
    const before = bindingsOf(sim);
    await sim.putBinding({ kind: "ipport", endpoint: "0.0.0.0:443", certHash: oldCert.thumbprint, appId: IIS_APPID, storeName: null });
    try {
      const report = await runVerify(h.hosts, h.freshDeps(), { target, concurrency: 3, timing: FAST_TIMING });
      expect(report.summary).toMatchObject({ hosts: 3, ok: 2, failed: 1 });
      const web2 = report.hosts.find((x) => x.name === "web2")!;
      expect(web2.status).toBe("failed");
      expect(web2.error?.kind).toBe("verify");
      // certificates named by role, subject and expiry, not only by thumbprint
      expect(web2.error?.message).toMatch(new RegExp(`0\\.0\\.0\\.0:443: served ${oldCert.thumbprint} \\(old certificate, \\*\\.example\\.com, expires \\d{4}-\\d\\d-\\d\\d\\), expected ${newCert.thumbprint} \\(the expected certificate, `));
      const row = web2.bindings.find((b) => b.endpoint === "0.0.0.0:443")!;
      expect(row.scope).toBe("old");
      expect(row.reason).toMatch(/STRAGGLER/);
      expect(row.verify).toMatchObject({ ok: false, servedThumbprint: oldCert.thumbprint, expectedThumbprint: newCert.thumbprint });
      // the untouched [::] binding on the same host still passes
      expect(web2.bindings.find((b) => b.endpoint === "[::]:443")!.verify).toMatchObject({ ok: true });
      for (const name of ["web1", "web3"]) expect(report.hosts.find((x) => x.name === name)!.status).toBe("ok");

      // The CLI, once: exit 1 and the same finding in report.json.
      const out = await mkdtemp(join(tmpdir(), "certfleet-verify-cli-"));
      try {
        const code = await runCli(["verify", "--expect", newCert.thumbprint.toUpperCase(), "-i", h.files.inventory, "--out", out, "--verify-window", "0", "--plain"]);
        expect(code).toBe(1);
        const written = Report.parse(JSON.parse(await readFile(join(out, "report.json"), "utf8")));
        expect(written.command).toBe("verify");
        const cliWeb2 = written.hosts.find((x) => x.name === "web2")!;
        expect(cliWeb2.status).toBe("failed");
        expect(cliWeb2.bindings.find((b) => b.endpoint === "0.0.0.0:443")!.verify).toMatchObject({ ok: false, servedThumbprint: oldCert.thumbprint, expectedThumbprint: newCert.thumbprint });
        expect(written.hosts.filter((x) => x.status === "ok").map((x) => x.name).sort()).toEqual(["web1", "web3"]);
      } finally {
        await rm(out, { recursive: true, force: true });
      }
    } finally {
      await sim.putBinding({ kind: "ipport", endpoint: "0.0.0.0:443", certHash: newCert.thumbprint, appId: IIS_APPID, storeName: null });
    }
    expect(bindingsOf(sim)).toEqual(before);
  });

  it("a host serving the old certificate for N more handshakes passes within the window and fails past it", async () => {
    const sim = h.fleet.host("web3");
    const web3 = h.hosts.filter((x) => x.name === "web3");
    const N = 3;
    sim.faults.staleHandshakes = N;
    try {
      // An app pool that has not recycled: http.sys holds the new hash, the endpoint serves the old one.
      await sim.putBinding({ kind: "ipport", endpoint: "0.0.0.0:443", certHash: oldCert.thumbprint, appId: IIS_APPID, storeName: "MY" });
      await sim.putBinding({ kind: "ipport", endpoint: "0.0.0.0:443", certHash: newCert.thumbprint, appId: IIS_APPID, storeName: "MY" });

      const past = await runVerify(web3, h.freshDeps(), { target, concurrency: 1, timing: { ...FAST_TIMING, windowMs: 0 } });
      expect(past.hosts[0]!.status).toBe("failed");
      expect(past.hosts[0]!.error?.kind).toBe("verify");
      expect(past.hosts[0]!.bindings[0]!.verify).toMatchObject({ ok: false, attempts: 1, servedThumbprint: oldCert.thumbprint, expectedThumbprint: newCert.thumbprint });

      // N-1 stale handshakes are left: the Nth attempt gets the new certificate.
      const within = await runVerify(web3, h.freshDeps(), { target, concurrency: 1, timing: LONG });
      expect(within.hosts[0]!.status).toBe("ok");
      expect(within.hosts[0]!.bindings[0]!.verify).toMatchObject({ ok: true, attempts: N, servedThumbprint: newCert.thumbprint });
    } finally {
      sim.faults.staleHandshakes = 0;
    }
  });
});

describe("the rollout's wave gate uses the same verification", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness([spec("slow1", { faults: { staleHandshakes: 4 } }), spec("slow2", { faults: { staleHandshakes: 4 } }), spec("fine")]);
  });
  afterAll(async () => h?.close());

  it("a delayed host passes within the window (attempts = stale handshakes + 1)", async () => {
    const sim = h.fleet.host("slow1");
    const before = sim.snapshot();
    const { report } = await runRollout(h.hosts.filter((x) => x.name === "slow1"), h.deps, rolloutOptions(target, ["slow1"], { verify: { enabled: true, timing: LONG } }));
    const host = report.hosts[0]!;
    expect(host.status).toBe("changed");
    expect(host.bindings[0]!.verify).toMatchObject({ ok: true, attempts: 5, servedThumbprint: newCert.thumbprint });
    expect(bindingsOf(sim)).toEqual(planned(before, oldCert.thumbprint, newCert.thumbprint));
  });

  it("past the window the host fails verification and is put back as it was; the others are unaffected", async () => {
    const sim = h.fleet.host("slow2");
    const before = sim.snapshot();
    const fine = h.fleet.host("fine");
    const fineBefore = fine.snapshot();
    const { report } = await runRollout(h.hosts.filter((x) => x.name !== "slow1"), h.deps, rolloutOptions(target, ["slow2", "fine"], { verify: { enabled: true, timing: { ...FAST_TIMING, windowMs: 0 } } }));
    const host = report.hosts.find((x) => x.name === "slow2")!;
    expect(host.status).toBe("failed");
    expect(host.error?.kind).toBe("verify");
    expect(host.error?.message).toContain(`served ${oldCert.thumbprint}, expected ${newCert.thumbprint}`);
    expect(host.bindings[0]!.action).toBe("restored");
    expect(host.bindings[0]!.verify).toMatchObject({ ok: false, attempts: 1 });
    expect(bindingsOf(sim)).toEqual(bindingsOf(before));
    expect(report.hosts.find((x) => x.name === "fine")!.status).toBe("changed");
    expect(bindingsOf(fine)).toEqual(planned(fineBefore, oldCert.thumbprint, newCert.thumbprint));
  });
});
