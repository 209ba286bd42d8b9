/**
 * Issue 5, hostile input from the host's side: values certfleet READS BACK (store names, CTL
 * names, SNI hostnames, IPv6 zone ids) that a shell could act on. certfleet must refuse the host
 * those values would have to be sent for (precondition, nothing sent that could change it),
 * carry on with every other host and binding, and send only grammatical commands anywhere.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RemoteShell } from "../../src/model/host-state.js";
import { planHost } from "../../src/plan/plan-host.js";
import { planError } from "../../src/host/planned.js";
import { rolloutHost } from "../../src/host/rollout-host.js";
import { runRollout } from "../support/reported.js";
import type { ReportHost } from "../../src/report/schema.js";
import type { FleetDeps } from "../../src/host/visit.js";
import { APPID, demoCertificates } from "../../src/simulator/index.js";
import { certutilStore, whoamiGroups } from "../../src/simulator/certutil-text.js";
import { showSslcert } from "../../src/simulator/netsh-text.js";
import type { SimBinding, SimBindingSpec, SimHostSpec, SimOs } from "../../src/simulator/state.js";
import type { Transport } from "../../src/transport/transport.js";
import { describeDer } from "../../src/certificate/read-file.js";
import { parseNetshShowSslcert } from "../../src/windows/netsh-parse.js";
import { startHarness, type Harness } from "../support/harness.js";
import { PAYLOADS, hostileOr, injected, isGrammatical } from "../support/security-arbitraries.js";
import { CHANGE_RE, bindingsOf, expectRebound, expectSameBindings, restoreHost, snapshotFleet, type HostBindings } from "../support/security-fleet.js";

const { oldCert, newCert, unrelatedCert } = demoCertificates();
const OLD = oldCert.thumbprint;
const NEW = newCert.thumbprint;
// Owner-managed bindings (an AD FS CTL store among the values) are rebound by netsh, as `--rebind-owner-managed` does: these tests are about hostile values.
const target = () => ({ newCert: describeDer(newCert.der), oldThumbprints: [] as string[], ownerManaged: "rebind" as const });
const certificates = [{ cert: oldCert }, { cert: newCert }, { cert: unrelatedCert }];
const NO_VERIFY = { enabled: false, timing: { windowMs: 0, intervalMs: 0, handshakeTimeoutMs: 2000 } };

function byName(report: { hosts: ReportHost[] }, name: string): ReportHost {
  const h = report.hosts.find((x) => x.name === name);
  if (!h) throw new Error(`no host ${name} in the report`);
  return h;
}

function expectAllGrammatical(h: Harness): void {
  for (const host of h.fleet.hosts) {
    for (const c of host.commandLog) expect(isGrammatical(host.shell, c), `${host.name} (${host.shell}) received ${JSON.stringify(c)}`).toBe(true);
  }
}

describe("hostile values read back from simulated hosts", () => {
  const specs: SimHostSpec[] = [
    {
      name: "ctl-amp",
      profile: { os: "2022", shell: "cmd" },
      certificates,
      bindings: [
        { kind: "ipport", endpoint: "0.0.0.0:443", certHash: OLD, appId: APPID.iis, storeName: "MY" },
        { kind: "hostnameport", endpoint: "sts.example.com:443", certHash: OLD, appId: APPID.adfs, storeName: "my", params: { sslctlstorename: "Adfs&calc" } },
      ],
    },
    {
      name: "store-quote-ps",
      profile: { os: "2016", shell: "powershell" },
      certificates,
      bindings: [{ kind: "ipport", endpoint: "0.0.0.0:443", certHash: OLD, appId: APPID.iis, storeName: "My'; calc; '" }],
    },
    {
      name: "store-lookalike",
      profile: { os: "2012r2", shell: "cmd" },
      certificates,
      bindings: [{ kind: "ipport", endpoint: "0.0.0.0:443", certHash: OLD, appId: APPID.iis, storeName: "My\u201c & calc \u201d" }],
    },
    {
      name: "ctlid-percent-ps",
      profile: { os: "2025", shell: "powershell" },
      certificates,
      bindings: [{ kind: "ipport", endpoint: "[::]:443", certHash: OLD, appId: APPID.iis, storeName: "MY", params: { sslctlidentifier: "%COMSPEC%$(calc)" } }],
    },
    {
      // The hostile value sits on an UNRELATED binding: nothing is sent for it, the rest proceeds.
      name: "unrelated-hostile",
      profile: { os: "2022", shell: "powershell" },
      certificates,
      bindings: [
        { kind: "ipport", endpoint: "0.0.0.0:443", certHash: OLD, appId: APPID.iis, storeName: "MY", params: { clientcertnegotiation: "enable" } },
        { kind: "ipport", endpoint: "0.0.0.0:8443", certHash: unrelatedCert.thumbprint, appId: APPID.iis, storeName: "MY|whoami", params: { sslctlstorename: "x`calc`" } },
      ],
    },
    {
      name: "clean",
      profile: { os: "2012r2", shell: "cmd" },
      certificates,
      bindings: [
        { kind: "ipport", endpoint: "0.0.0.0:443", certHash: OLD, appId: APPID.iis, storeName: null, params: { sslctlstorename: "AdfsTrustedDevices" } },
        { kind: "hostnameport", endpoint: "www.example.com:443", certHash: OLD, appId: APPID.iis, storeName: "My" },
      ],
    },
  ];
  const refused = ["ctl-amp", "store-quote-ps", "store-lookalike", "ctlid-percent-ps"];
  let h: Harness;
  let before: Map<string, HostBindings>;

  beforeAll(async () => {
    h = await startHarness(specs);
    before = snapshotFleet(h.fleet.hosts);
  });
  afterAll(async () => h?.close());

  it("refuses each host whose in-scope binding carries a shell metacharacter, sends it nothing that changes it, and rolls out the rest", async () => {
    const { report } = await runRollout(h.hosts, h.freshDeps(), {
      target: target(),
      waves: [h.hosts.map((x) => x.name)],
      maxFailures: 10,
      concurrency: 3,
      dryRun: false,
      journal: { path: "(memory)", append: () => undefined, close: () => undefined },
      verify: NO_VERIFY,
    });
    for (const name of refused) {
      const r = byName(report, name);
      expect(r.status, `${name}: ${JSON.stringify(r.error)}`).toBe("failed");
      expect(r.error?.kind).toBe("precondition");
      const host = h.fleet.host(name);
      expect(host.commandLog.filter((c) => CHANGE_RE.test(c)), name).toEqual([]);
      // Discovery is all that reached the host: not even a `show` names the hostile binding.
      expect(host.commandLog.every((c) => !/sslcert (?:'?)(?:ipport|hostnameport|ccs)=/.test(c)), name).toBe(true);
      expectSameBindings(host, before.get(name)!);
    }
    for (const name of ["unrelated-hostile", "clean"]) {
      const r = byName(report, name);
      expect(r.status, `${name}: ${JSON.stringify(r.error)}`).toBe("changed");
      expectRebound(h.fleet.host(name), before.get(name)!, OLD, NEW);
    }
    expectAllGrammatical(h);
  });

  it("a dry run lists no command for a refused host and only grammatical ones elsewhere", async () => {
    for (const host of h.fleet.hosts) await restoreHost(host, before.get(host.name)!);
    const { report } = await runRollout(h.hosts, h.freshDeps(), {
      target: target(),
      waves: [h.hosts.map((x) => x.name)],
      maxFailures: 10,
      concurrency: 3,
      dryRun: true,
      verify: NO_VERIFY,
    });
    for (const name of refused) expect(byName(report, name).commands ?? []).toEqual([]);
    for (const name of ["unrelated-hostile", "clean"]) {
      const shell = h.fleet.host(name).shell;
      const cmds = byName(report, name).commands ?? [];
      expect(cmds.length).toBeGreaterThan(0);
      for (const c of cmds) expect(isGrammatical(shell, c), c).toBe(true);
    }
  });

  it("a fuzzed fleet: every command the simulator receives is grammatical, refused hosts get no change, nothing is lost", async () => {
    const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?$/);
    const sniHost = fc.oneof(label.map((l) => `${l}.example.com`), fc.constant("example.com"));
    const port = fc.integer({ min: 1, max: 65535 });
    const flag = fc.constantFrom("enable", "disable");
    // A safe store name always holds both certificates (as on a real host: the binding's certificate
    // lives in its store); "" is not a store name netsh can set, and the simulator would read it as
    // a store of its own.
    const storeName = fc.oneof(fc.constant(null), fc.constantFrom("MY", "my", "My", "WebHosting"), hostileOr(fc.constantFrom("MY", "WebHosting")).filter((x) => x !== ""));
    const fuzzCertificates = [...certificates, { cert: oldCert, store: "WebHosting" }, { cert: newCert, store: "WebHosting" }];
    const ctl = fc.option(hostileOr(fc.constantFrom("AdfsTrustedDevices", "Contoso_CTL-1")), { nil: undefined });
    const binding: fc.Arbitrary<SimBindingSpec> = fc
      .record({
        kind: fc.constantFrom("ipport", "hostnameport") as fc.Arbitrary<"ipport" | "hostnameport">,
        sni: sniHost,
        ip: fc.constantFrom("0.0.0.0", "[::]", "10.1.2.3"),
        port,
        hash: fc.constantFrom(OLD, OLD, NEW, unrelatedCert.thumbprint),
        storeName,
        ctl,
        ctlid: ctl,
        cc: flag,
      })
      .map((r) => ({
        kind: r.kind,
        endpoint: r.kind === "ipport" ? `${r.ip}:${r.port}` : `${r.sni}:${r.port}`,
        certHash: r.hash,
        appId: APPID.iis,
        storeName: r.storeName,
        params: { clientcertnegotiation: r.cc, ...(r.ctl !== undefined ? { sslctlstorename: r.ctl } : {}), ...(r.ctlid !== undefined ? { sslctlidentifier: r.ctlid } : {}) },
      }));
    const hostBindings = fc.uniqueArray(binding, { minLength: 1, maxLength: 3, selector: (b) => `${b.kind}=${b.endpoint}` });

    const fuzz = await startHarness([
      { name: "fz-cmd", profile: { os: "2012r2", shell: "cmd" }, certificates: fuzzCertificates },
      { name: "fz-ps", profile: { os: "2022", shell: "powershell" }, certificates: fuzzCertificates },
    ]);
    let runs = 0;
    let refusedHosts = 0;
    let changedHosts = 0;
    try {
      await fc.assert(
        fc.asyncProperty(hostBindings, hostBindings, async (a, b) => {
          runs++;
          const [hc, hp] = [fuzz.fleet.host("fz-cmd"), fuzz.fleet.host("fz-ps")];
          hc.bindings.length = 0;
          hp.bindings.length = 0;
          for (const x of a) await hc.putBinding(x);
          for (const x of b) await hp.putBinding(x);
          hc.commandLog.length = 0;
          hp.commandLog.length = 0;
          const start = snapshotFleet(fuzz.fleet.hosts);
          const { report } = await runRollout(fuzz.hosts, fuzz.freshDeps(), {
            target: target(),
            waves: [fuzz.hosts.map((x) => x.name)],
            maxFailures: 10,
            concurrency: 2,
            dryRun: false,
            journal: { path: "(memory)", append: () => undefined, close: () => undefined },
            verify: NO_VERIFY,
          });
          expectAllGrammatical(fuzz);
          for (const host of [hc, hp]) {
            const r = byName(report, host.name);
            const was = start.get(host.name)!;
            // netsh prints values as text: a line break or edge whitespace inside a value cannot be
            // told from its own layout and column padding (see the report). For such a host only
            // "nothing lost" is asserted: every binding present, on its own or the new hash.
            const ambiguous = [...was.values()].some((x) =>
              [...Object.values(x.params), x.storeName ?? ""].some((v) => /[\r\n]/.test(v) || v !== v.trim()),
            );
            if (ambiguous) {
              const now = bindingsOf(host);
              expect([...now.keys()].sort(), `${host.name}: nothing missing`).toEqual([...was.keys()].sort());
              for (const [k, x] of was) {
                expect([x.certHash, NEW], `${host.name} ${k}`).toContain(now.get(k)!.certHash);
                expect(now.get(k)!.appId).toBe(x.appId);
              }
              continue;
            }
            expect(r.status, `${host.name}: ${JSON.stringify(r.error)}`).not.toBe("needs-attention");
            if (r.status === "failed") {
              // All or nothing: a failed host is exactly as it was.
              expectSameBindings(host, was);
              if (r.error?.kind === "precondition") refusedHosts++;
              // Refused by the plan (apply never started): nothing that could change it was sent.
              if (!r.bindings.some((b) => b.before !== undefined)) expect(host.commandLog.filter((c) => CHANGE_RE.test(c))).toEqual([]);
            } else {
              expect(r.status, `${host.name}: ${JSON.stringify(r.error)}`).toMatch(/^(?:changed|unchanged)$/);
              if (r.status === "changed") changedHosts++;
              expectRebound(host, was, OLD, NEW);
            }
          }
        }),
        { numRuns: Number(process.env.CERTFLEET_FUZZ_ROLLOUTS ?? 60), seed: Number(process.env.CERTFLEET_FC_SEED ?? 2026), endOnFailure: true },
      );
    } finally {
      await fuzz.close();
    }
    expect(runs).toBeGreaterThan(0);
    expect(refusedHosts).toBeGreaterThan(0);
    expect(changedHosts).toBeGreaterThan(0);
  });
});

// ------------------------------------------------------------------------------------------
// Values the simulator cannot hold (it validates endpoints like http.sys): a constructed netsh
// text with them goes through the real parser, the planner and a HostSession over a fake transport.

function simBinding(endpoint: string, kind: SimBinding["kind"]): SimBinding {
  return { kind, endpoint, certHash: OLD, appId: APPID.iis, storeName: "MY", params: { clientcertnegotiation: "disable" } };
}

const HOSTILE_ENDPOINTS: Array<[SimBinding["kind"], string]> = [
  ["hostnameport", "a%COMSPEC%b.example.com:443"],
  ["hostnameport", "www.example.com&calc:443"],
  ["hostnameport", "x'; calc; 'y.example.com:443"],
  ["hostnameport", "w!PATH!w.example.com:443"],
  ["hostnameport", "$(calc).example.com:443"],
  ["hostnameport", "\u2018calc\u2019.example.com:443"],
  ["ipport", "[fe80::1%12]:443"],
  ["ipport", "[fe80::1%eth0&calc]:443"],
  ["ipport", "10.0.0.1:443|whoami"],
  ["ccs", "443&calc"],
];

/** A transport that answers like a Windows host whose netsh prints `netsh` and records what it got. */
function fakeHost(shell: RemoteShell, netsh: string, sent: string[]): Transport {
  return {
    host: "fake",
    async exec(command) {
      sent.push(command);
      if (command === "echo CFSHELL=%COMSPEC%") {
        return { stdout: Buffer.from(shell === "cmd" ? "CFSHELL=C:\\Windows\\system32\\cmd.exe\r\n" : "CFSHELL=%COMSPEC%\r\n"), stderr: Buffer.alloc(0), code: 0 };
      }
      if (command.includes("==CF:whoami==")) {
        const store = certutilStore("My", [{ cert: oldCert, hasPrivateKey: true, store: "My" }, { cert: newCert, hasPrivateKey: true, store: "My" }], "2022", "en");
        // The one-line discovery of a host whose shell is unknown starts with the shell's answer.
        const shellLine = command.startsWith("echo CFSHELL=%COMSPEC% ") ? [shell === "cmd" ? "CFSHELL=C:\\Windows\\system32\\cmd.exe '" : "CFSHELL=%COMSPEC%"] : [];
        const text = [...shellLine, "==CF:whoami==", whoamiGroups(true, "en"), "==CF:certutil==", store, "==CF:netsh==", netsh, "==CF:end=="].join("\r\n");
        return { stdout: Buffer.from(text), stderr: Buffer.alloc(0), code: 0 };
      }
      return { stdout: Buffer.from("The parameter is incorrect.\r\n"), stderr: Buffer.alloc(0), code: 1 };
    },
    async upload() {},
    async close() {},
  };
}

describe("hostile endpoints in constructed netsh output", () => {
  for (const [kind, endpoint] of HOSTILE_ENDPOINTS) {
    for (const os of ["2012r2", "2022"] as SimOs[]) {
      it(`${kind}=${JSON.stringify(endpoint)} (${os}): the plan blocks the host with a precondition`, () => {
        const text = showSslcert([simBinding("0.0.0.0:443", "ipport"), simBinding(endpoint, kind)], os, "en");
        const parsed = parseNetshShowSslcert(text);
        const hostile = parsed.bindings.find((b) => b.endpoint === endpoint);
        expect(hostile, `the parser kept ${endpoint}`).toBeDefined();
        const plan = planHost(
          { host: "web01", shell: "cmd", elevated: true, certificates: [{ thumbprint: NEW, subject: "CN=*.example.com, O=Example Corp, C=US", hasPrivateKey: true, dnsNames: ["*.example.com", "example.com"] }, { thumbprint: OLD, subject: "CN=*.example.com, O=Example Corp, C=US", hasPrivateKey: true }], bindings: parsed.bindings, warnings: [] },
          { newCert: { thumbprint: NEW, source: "thumbprint" }, oldThumbprints: [OLD] },
          new Date(),
        );
        expect(plan.outcome).toBe("blocked");
        expect(planError(plan, "web01")?.kind).toBe("precondition");
        expect(plan.findings.some((f) => f.blocking && f.endpoint === endpoint)).toBe(true);
      });
    }
  }

  for (const shell of ["cmd", "powershell"] as RemoteShell[]) {
    it(`through HostSession (${shell}): the host fails with a precondition and only discovery (one command) is sent`, async () => {
      for (const [kind, endpoint] of HOSTILE_ENDPOINTS) {
        const netsh = showSslcert([simBinding("0.0.0.0:443", "ipport"), simBinding(endpoint, kind)], "2022", "en");
        const sent: string[] = [];
        const deps: FleetDeps = { connect: async () => fakeHost(shell, netsh, sent), now: () => new Date(), progress: {}, commandTimeoutMs: 5000 };
        const journaled: unknown[] = [];
        const r = await rolloutHost(
          { name: "web01", address: "127.0.0.1", port: 22, user: "x", knownHostsFile: "/dev/null", shell: "auto", groups: [] },
          deps,
          { target: { newCert: { thumbprint: NEW, source: "thumbprint" }, oldThumbprints: [OLD] }, dryRun: false, journal: { path: "-", append: (x) => journaled.push(x), close: () => undefined }, runId: "r", verify: NO_VERIFY },
        );
        expect(r.status, `${endpoint}: ${JSON.stringify(r.error)}`).toBe("failed");
        expect(r.error?.kind).toBe("precondition");
        expect(sent.length).toBe(1);
        for (const c of sent) expect(isGrammatical(shell, c), c).toBe(true);
        expect(journaled).toEqual([]);
      }
    });
  }

  it("payload-injected hostnames never reach a command line, whatever the parser makes of them", () => {
    fc.assert(
      fc.property(injected(fc.constantFrom("www.example.com:443", "0.0.0.0:443", "[::1]:443")), fc.constantFrom<SimBinding["kind"]>("ipport", "hostnameport"), (endpoint, kind) => {
        const text = showSslcert([simBinding(endpoint, kind)], "2016", "en");
        const parsed = parseNetshShowSslcert(text);
        const plan = planHost(
          { host: "web01", shell: "cmd", elevated: true, certificates: [{ thumbprint: NEW, subject: "CN=*.example.com", hasPrivateKey: true, dnsNames: ["*.example.com", "example.com"] }], bindings: parsed.bindings, warnings: [] },
          { newCert: { thumbprint: NEW, source: "thumbprint" }, oldThumbprints: [OLD] },
          new Date(),
        );
        if (plan.outcome === "blocked") return;
        for (const p of plan.bindings) {
          if (p.action !== "rebind") continue;
          for (const payload of PAYLOADS) if (payload.trim().length > 2) expect(p.current.endpoint.includes(payload.trim())).toBe(false);
        }
      }),
      { numRuns: 500, seed: 8 },
    );
  });

  it("bindingsOf is a faithful snapshot helper (sanity for the fleet assertions above)", async () => {
    const hh = await startHarness([{ name: "s1", certificates, bindings: [{ kind: "ipport", endpoint: "0.0.0.0:443", certHash: OLD, appId: APPID.iis }] }]);
    try {
      const snap = bindingsOf(hh.fleet.host("s1"));
      await hh.fleet.host("s1").putBinding({ kind: "ipport", endpoint: "0.0.0.0:443", certHash: NEW, appId: APPID.iis });
      expect(() => expectSameBindings(hh.fleet.host("s1"), snap)).toThrow();
      await restoreHost(hh.fleet.host("s1"), snap);
      expectSameBindings(hh.fleet.host("s1"), snap);
    } finally {
      await hh.close();
    }
  });
});
