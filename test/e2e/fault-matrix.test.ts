/**
 * Issue 5's fault matrix, end to end over real SSH on loopback: one fault per case, on one host of
 * a two-host fleet. Each case checks the faulty host's status and error kind, that the healthy
 * peer was rebound as planned, and the faulty host's final bindings against the original or the
 * plan: nothing lost, nothing half-done.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { runRollout } from "../support/reported.js";
import { planHost } from "../../src/plan/plan-host.js";
import { parseNetshShowSslcert } from "../../src/windows/netsh-parse.js";
import type { ReportHost } from "../../src/report/schema.js";
import { CertfleetError } from "../../src/model/errors.js";
import type { FleetDeps } from "../../src/host/visit.js";
import type { ProgressSink } from "../../src/host/progress.js";
import type { Transport } from "../../src/transport/transport.js";
import { createCertificate, demoCertificates, type SimHost, type SimHostSpec, type SimSnapshot } from "../../src/simulator/index.js";
import { startHarness, type Harness } from "../support/harness.js";
import { IIS_APPID, OnceRegExp, bindingsOf, memoryJournal, planned, rolloutOptions, targetFor } from "../support/verifier-fleet.js";

const { ca, oldCert, newCert, unrelatedCert } = demoCertificates();
const target = targetFor(newCert);
const OLD = oldCert.thumbprint;
const NEW = newCert.thumbprint;

/** The faulty host: two bindings on the old certificate, so a half-done host would show. */
function faulty(extra: Partial<SimHostSpec> = {}): SimHostSpec {
  return {
    name: "bad",
    profile: { os: "2022", shell: "cmd" },
    certificates: [{ cert: oldCert }, { cert: newCert }, { cert: unrelatedCert }],
    bindings: [
      { kind: "ipport", endpoint: "0.0.0.0:443", certHash: OLD, appId: IIS_APPID, storeName: "MY", params: { disablehttp2: "enable" } },
      { kind: "hostnameport", endpoint: "www.example.com:443", certHash: OLD, appId: IIS_APPID, storeName: "My", params: { clientcertnegotiation: "enable" } },
    ],
    ...extra,
  };
}

const peer: SimHostSpec = {
  name: "peer",
  profile: { os: "2016", shell: "powershell" },
  certificates: [{ cert: oldCert }, { cert: newCert }],
  bindings: [{ kind: "ipport", endpoint: "0.0.0.0:443", certHash: OLD, appId: IIS_APPID, storeName: null }],
};

const MUTATING = /netsh http (add|delete|update) sslcert/;

interface Outcome {
  h: Harness;
  bad: ReportHost;
  peerResult: ReportHost;
  sim: SimHost;
  before: SimSnapshot;
}

let open: Harness | undefined;
afterEach(async () => {
  await open?.close();
  open = undefined;
});

async function scenario(
  spec: SimHostSpec,
  opts: {
    commandTimeoutMs?: number;
    /** run between startup and the rollout (faults, files) */
    arrange?: (h: Harness, sim: SimHost) => Promise<void> | void;
    /** progress hook, e.g. to act between discover/plan and apply */
    progress?: (h: Harness, sim: SimHost) => ProgressSink;
    /** wrap the transport of the faulty host */
    wrap?: (t: Transport) => Transport;
  } = {},
): Promise<Outcome> {
  const h = await startHarness([spec, peer], { commandTimeoutMs: opts.commandTimeoutMs ?? 20_000 });
  open = h;
  const sim = h.fleet.host("bad");
  const before = sim.snapshot();
  const peerBefore = h.fleet.host("peer").snapshot();
  await opts.arrange?.(h, sim);
  const extra: Partial<FleetDeps> = {};
  if (opts.progress) extra.progress = opts.progress(h, sim);
  const deps = h.freshDeps(extra);
  if (opts.wrap) {
    const connect = deps.connect;
    deps.connect = async (host) => (host.name === "bad" ? opts.wrap!(await connect(host)) : connect(host));
  }
  const { report } = await runRollout(h.hosts, deps, rolloutOptions(target, ["bad", "peer"], { maxFailures: 5 }));
  const bad = report.hosts.find((x) => x.name === "bad")!;
  const peerResult = report.hosts.find((x) => x.name === "peer")!;
  // the other host is never affected
  expect(peerResult.status, JSON.stringify(peerResult.error)).toBe("changed");
  expect(bindingsOf(h.fleet.host("peer"))).toEqual(planned(peerBefore, OLD, NEW));
  return { h, bad, peerResult, sim, before };
}

function expectUntouched(o: Outcome): void {
  expect(bindingsOf(o.sim)).toEqual(bindingsOf(o.before));
  expect(o.sim.certificates.map((c) => c.cert.thumbprint)).toEqual(o.before.certificates.map((c) => c.thumbprint));
}

function expectRebound(o: Outcome): void {
  expect(bindingsOf(o.sim)).toEqual(planned(o.before, OLD, NEW));
}

function mutations(sim: SimHost): string[] {
  return sim.commandLog.filter((c) => MUTATING.test(c));
}

/** What the host really changed (a batched line names every binding it may change). */
function changed(sim: SimHost, key?: string): Array<{ key: string; certHash: string | null }> {
  return sim.changeLog.filter((c) => key === undefined || c.key === key);
}

describe("fault matrix: connection and identity", () => {
  it("unreachable host: failed/unreachable, nothing sent", async () => {
    const o = await scenario(faulty({ faults: { unreachable: true } }));
    expect(o.bad.status).toBe("failed");
    expect(o.bad.error?.kind).toBe("unreachable");
    expect(o.bad.error?.message).toMatch(/ECONNREFUSED/);
    expect(o.sim.commandLog).toEqual([]);
    expectUntouched(o);
  });

  it("connection refused mid-run (as the batched change is sent): unknown effect, needs-attention with the commands, nothing changed", async () => {
    const o = await scenario(faulty(), {
      progress: (_h, sim) => ({
        hostStep: (host, text) => {
          if (host === "bad" && text.startsWith("rebinding")) sim.faults.unreachable = true;
        },
      }),
    });
    // The connection died while the one batched line was in flight and the host cannot be reached
    // to read it back: whether it ran is unknown, so an operator gets the commands (the journal
    // serves `rollback`), never a claim that nothing changed.
    expect(o.bad.status).toBe("needs-attention");
    expect(o.bad.error?.kind).toBe("unreachable");
    expect(changed(o.sim)).toEqual([]);
    expect(o.bad.bindings.filter((b) => b.manualCommand !== undefined)).toHaveLength(2);
    expectUntouched(o);
  });

  it("bad credentials: failed/auth", async () => {
    const o = await scenario(faulty({ faults: { badAuth: true } }));
    expect(o.bad.status).toBe("failed");
    expect(o.bad.error?.kind).toBe("auth");
    expect(o.bad.error?.message).toMatch(/authentication failed for certadmin@127\.0\.0\.1/);
    expect(o.sim.commandLog).toEqual([]);
    expectUntouched(o);
  });

  it("changed host key: failed/host-key with both fingerprints, nothing sent", async () => {
    const o = await scenario(faulty(), {
      arrange: (h, sim) => {
        // known_hosts now holds the peer's key for this host's address: a changed key.
        const file = h.files.knownHostsFile;
        const text = readFileSync(file, "utf8").replace(sim.hostKeyLine, h.fleet.host("peer").hostKeyLine);
        writeFileSync(file, text);
      },
    });
    expect(o.bad.status).toBe("failed");
    expect(o.bad.error?.kind).toBe("host-key");
    expect(o.bad.error?.message).toContain("HOST KEY CHANGED");
    expect(o.bad.error?.message).toContain(o.sim.hostKeyFingerprint);
    expect(o.bad.error?.message).toContain(o.h.fleet.host("peer").hostKeyFingerprint);
    expect(o.sim.commandLog).toEqual([]);
    expectUntouched(o);
  });
});

describe("fault matrix: preconditions", () => {
  it("not elevated (found at discovery): failed/elevation, nothing changed", async () => {
    const o = await scenario(faulty({ faults: { notElevated: true } }));
    expect(o.bad.status).toBe("failed");
    expect(o.bad.error?.kind).toBe("elevation");
    expect(o.bad.error?.message).toMatch(/not elevated/);
    expect(mutations(o.sim)).toEqual([]);
    expectUntouched(o);
  });

  it("not elevated at run time (netsh says error 5): failed/elevation with the remote text, nothing changed", async () => {
    const o = await scenario(faulty(), {
      progress: (_h, sim) => ({
        hostStep: (host, text) => {
          if (host === "bad" && text.startsWith("rebinding")) sim.faults.notElevated = true;
        },
      }),
    });
    expect(o.bad.status).toBe("failed");
    expect(o.bad.error?.kind).toBe("elevation");
    expect(o.bad.error?.remote).toMatch(/Error: 5/);
    expect(o.bad.error?.remote).toMatch(/Access is denied/);
    expectUntouched(o);
  });

  it("new certificate absent: failed/precondition, nothing changed", async () => {
    const o = await scenario(faulty({ certificates: [{ cert: oldCert }, { cert: unrelatedCert }] }));
    expect(o.bad.status).toBe("failed");
    expect(o.bad.error?.kind).toBe("precondition");
    expect(o.bad.error?.message).toContain(`the new certificate ${NEW} is not in LocalMachine\\My`);
    expect(mutations(o.sim)).toEqual([]);
    expectUntouched(o);
  });

  it("new certificate without a private key (Missing stored keyset): failed/precondition at preflight", async () => {
    const o = await scenario(faulty({ certificates: [{ cert: oldCert }, { cert: newCert, hasPrivateKey: false }] }));
    expect(o.bad.status).toBe("failed");
    expect(o.bad.error?.kind).toBe("precondition");
    expect(o.bad.error?.message).toMatch(/no usable private key.*1312/);
    expect(o.bad.certificates?.find((c) => c.thumbprint === NEW)?.hasPrivateKey).toBe(false);
    expect(mutations(o.sim)).toEqual([]);
    expectUntouched(o);
  });

  it("unusable private key found only at run time (update fails with 1312): failed/apply, left untouched", async () => {
    const o = await scenario(faulty({ faults: { failAddWith1312ForHash: NEW } }));
    expect(o.bad.status).toBe("failed");
    expect(o.bad.error?.kind).toBe("apply");
    expect(o.bad.error?.remote).toMatch(/1312/);
    expect(mutations(o.sim).every((c) => /update/.test(c))).toBe(true);
    expect(changed(o.sim)).toEqual([]);
    expectUntouched(o);
  });

  it("1312 on 2012 R2 (delete, then the add fails): the original is added back, failed/apply", async () => {
    const o = await scenario(faulty({ profile: { os: "2012r2", shell: "cmd" }, faults: { failAddWith1312ForHash: NEW } }));
    expect(o.bad.status).toBe("failed");
    expect(o.bad.error?.kind).toBe("apply");
    expect(o.bad.error?.remote).toMatch(/1312/);
    const first = o.bad.bindings.find((b) => b.endpoint === "0.0.0.0:443")!;
    expect(first.action).toBe("restored");
    // the delete happened, then the failed add, then the original went back (in the batched line)
    expect(changed(o.sim, "ipport=0.0.0.0:443")).toEqual([
      { key: "ipport=0.0.0.0:443", certHash: null },
      { key: "ipport=0.0.0.0:443", certHash: OLD },
    ]);
    expect(changed(o.sim, "hostnameport=www.example.com:443")).toEqual([]);
    expectUntouched(o);
  });
});

describe("fault matrix: commands that hang, slow down or drop", () => {
  it("an update that hangs: timeout, then the host is left untouched", async () => {
    const o = await scenario(faulty({ faults: { hangOn: new RegExp(`update sslcert .*certhash=${NEW}`) } }), { commandTimeoutMs: 4_000 });
    expect(o.bad.status).toBe("failed");
    expect(o.bad.error?.kind).toBe("timeout");
    // a change that hung is not sent again
    expect(o.sim.commandLog.filter((c) => /update sslcert/.test(c))).toHaveLength(1);
    expect(o.bad.bindings.every((b) => b.manualCommand === undefined)).toBe(true);
    expect(o.bad.bindings.every((b) => b.action !== "rebind")).toBe(true);
    expectUntouched(o);
  });

  it("a delete+add batch that hangs (2012 R2): timeout, never sent again, the host as it was", async () => {
    const o = await scenario(faulty({ profile: { os: "2012r2", shell: "cmd" }, faults: { hangOn: new RegExp(`add sslcert .*certhash=${NEW}`) } }), {
      commandTimeoutMs: 4_000,
    });
    expect(o.bad.status).toBe("failed");
    expect(o.bad.error?.kind).toBe("timeout");
    expect(o.sim.commandLog.filter((c) => /add sslcert/.test(c) && c.includes(`certhash=${NEW}`))).toHaveLength(1);
    expect(o.bad.bindings.every((b) => b.action !== "rebind")).toBe(true);
    expectUntouched(o);
  });

  it("a delete+add batch that times out after its delete (2012 R2): read back, the original re-added, the host as it was", async () => {
    // The host deletes the first binding, then nothing more runs and no reply comes: the line
    // times out (here: a cut connection the transport reports as a timeout).
    let sim!: SimHost;
    const o = await scenario(faulty({ profile: { os: "2012r2", shell: "cmd" } }), {
      commandTimeoutMs: 4_000,
      arrange: (_h, s) => {
        sim = s;
        s.faults.dropAfterChanges = 1;
      },
      wrap: (t) => ({
        ...t,
        exec: async (command, options) => {
          try {
            return await t.exec(command, options);
          } catch (err) {
            if (!command.includes("==CFCAS:")) throw err;
            sim.faults.dropAfterChanges = undefined;
            throw new CertfleetError("timeout", "command did not finish", "bad");
          }
        },
      }),
    });
    expect(o.bad.status).toBe("failed");
    expect(o.bad.error?.kind).toBe("timeout");
    expect(o.bad.bindings.find((b) => b.endpoint === "0.0.0.0:443")!.action).toBe("restored");
    expect(changed(o.sim, "ipport=0.0.0.0:443")).toEqual([
      { key: "ipport=0.0.0.0:443", certHash: null },
      { key: "ipport=0.0.0.0:443", certHash: OLD },
    ]);
    expectUntouched(o);
  });

  it("a slow host still completes", async () => {
    const o = await scenario(faulty({ faults: { slowMs: 150 } }), { commandTimeoutMs: 5_000 });
    expect(o.bad.status).toBe("changed");
    expect(o.bad.error).toBeUndefined();
    expectRebound(o);
  });

  it("the session dropped after a delete (2012 R2): reconnect, read the real state, finish the add", async () => {
    // delete+add of the first binding (changes 1, 2), then the delete of the second (3): cut.
    const o = await scenario(faulty({ profile: { os: "2012r2", shell: "cmd" }, faults: { dropAfterChanges: 3 } }));
    expect(o.bad.status).toBe("changed");
    expectRebound(o);
    // after the drop every binding was read back (one listing) before anything else was sent,
    // and the missing one re-created on the new certificate, alone; the batch never went again
    const log = o.sim.commandLog;
    const i = log.findIndex((c) => c.includes("==CFCAS:") && /delete sslcert/.test(c));
    expect(log.filter((c) => c.includes("==CFCAS:") && /delete sslcert/.test(c))).toHaveLength(1);
    expect(log[i + 1]).toBe("netsh http show sslcert");
    expect(log.slice(i + 2).filter((c) => MUTATING.test(c))).toEqual([expect.stringMatching(new RegExp(`^netsh http add sslcert hostnameport=www\\.example\\.com:443 certhash=${NEW}`))]);
  });

  it("the session dropped after an update: the re-read shows it done, no second update", async () => {
    const drop = new OnceRegExp("update sslcert ipport=0\\.0\\.0\\.0:443");
    const o = await scenario(faulty(), { arrange: (_h, sim) => void (sim.faults.dropAfter = drop) });
    expect(drop.hits).toBe(1);
    expect(o.bad.status).toBe("changed");
    expectRebound(o);
    expect(o.sim.commandLog.filter((c) => /update sslcert ipport=0\.0\.0\.0:443/.test(c))).toHaveLength(1);
  });

  it("a transient connection reset on a read: retried after re-reading state", async () => {
    const drop = new OnceRegExp("^netsh http show sslcert$");
    const o = await scenario(faulty(), { arrange: (_h, sim) => void (sim.faults.dropAfter = drop) });
    expect(drop.hits).toBe(1);
    expect(o.bad.status).toBe("changed");
    expectRebound(o);
    // discovery, the batch, the read-back that dropped, the read-back again: a read is sent again, a change never
    const log = o.sim.commandLog;
    expect(log).toHaveLength(4);
    expect(log[1]).toContain("==CFCAS:end==");
    expect(log.slice(2)).toEqual(["netsh http show sslcert", "netsh http show sslcert"]);
  });
});

describe("fault matrix: what the host prints", () => {
  it("truncated / garbage discovery output: failed/parse, nothing changed", async () => {
    const o = await scenario(faulty({ faults: { garbageOn: /==CF:end==/ } }));
    expect(o.bad.status).toBe("failed");
    expect(o.bad.error?.kind).toBe("parse");
    expect(mutations(o.sim)).toEqual([]);
    expectUntouched(o);
  });

  /** A netsh that prints a field no Windows release we know has, set to a non-default value. */
  const futureField = (t: Transport): Transport => ({
    ...t,
    host: t.host,
    upload: (a, b) => t.upload(a, b),
    close: () => t.close(),
    exec: async (command, options) => {
      const r = await t.exec(command, options);
      if (!/show sslcert/.test(command)) return r;
      const text = r.stdout.toString("latin1").replace(/^( {4}Certificate Store Name +: .*\r?\n)/gm, "$1    Enable Quantum Resumption    : Set\r\n");
      return { ...r, stdout: Buffer.from(text, "latin1") };
    },
  });

  it("a netsh layout never seen before: the unknown field is kept and the binding updated in place", async () => {
    const o = await scenario(faulty(), { wrap: futureField });
    expect(o.bad.status).toBe("changed");
    const row = o.bad.bindings.find((b) => b.endpoint === "0.0.0.0:443")!;
    expect(row.settings["label:Enable Quantum Resumption"]).toBe("Set");
    expect(o.bad.warnings?.join("\n")).toMatch(/Enable Quantum Resumption/);
    expect(mutations(o.sim).some((c) => /delete/.test(c))).toBe(false);
    expectRebound(o);
  });

  it("a netsh layout never seen before where update is missing (2012 R2): delete+add refused, untouched", async () => {
    const o = await scenario(faulty({ profile: { os: "2012r2", shell: "cmd" } }), { wrap: futureField });
    expect(o.bad.status).toBe("failed");
    expect(o.bad.error?.kind).toBe("precondition");
    expect(o.bad.error?.message).toMatch(/Enable Quantum Resumption/);
    // (the verbs, not the letters: a thumbprint in a batched line can hold "add")
    expect(mutations(o.sim).some((c) => /netsh http (?:delete|add) sslcert/.test(c))).toBe(false);
    expectUntouched(o);
  });

  it("the parser keeps an unknown field from a constructed text; the planner flags delete+add only for a non-default value", () => {
    const text = readFileSync(new URL("../fixtures/constructed/netsh-show-2022-unknown-field-constructed.txt", import.meta.url), "utf8");
    const parsed = parseNetshShowSslcert(text);
    expect(parsed.bindings).toHaveLength(1);
    const b = parsed.bindings[0]!;
    expect(b.settings["label:Enable Client Correlation"]).toBe("Not Set");
    expect(b.settings.disablequic).toBe("Set");
    const state = (binding: typeof b) => ({ host: "x", shell: "cmd" as const, elevated: true, certificates: [
      { thumbprint: binding.certHash!, subject: newCert.subject, hasPrivateKey: true as const, notAfter: oldCert.notAfter.toISOString() },
      { thumbprint: NEW, subject: newCert.subject, hasPrivateKey: true as const, notAfter: newCert.notAfter.toISOString() },
    ], bindings: [binding], warnings: [] });
    const at = new Date();
    const plainPlan = planHost(state(b), { newCert: target.newCert, oldThumbprints: [b.certHash!] }, at);
    expect(plainPlan.outcome).toBe("rebind");
    expect(plainPlan.findings.filter((f) => f.code === "binding-not-recreatable")).toEqual([]);
    const set = { ...b, settings: { ...b.settings, "label:Enable Client Correlation": "Set" } };
    const setPlan = planHost(state(set), { newCert: target.newCert, oldThumbprints: [b.certHash!] }, at);
    const finding = setPlan.findings.find((f) => f.code === "binding-not-recreatable");
    expect(finding?.message).toMatch(/Enable Client Correlation.*Set/);
    expect(finding?.message).toMatch(/only be changed with netsh http update/);
  });
});

describe("fault matrix: someone else", () => {
  it("a binding changed by someone else between plan and apply: compare-and-set refuses, theirs untouched", async () => {
    const theirs = { kind: "ipport" as const, endpoint: "0.0.0.0:443", certHash: unrelatedCert.thumbprint, appId: IIS_APPID, storeName: "MY" };
    const o = await scenario(faulty(), {
      progress: (_h, sim) => ({
        hostStep: (host, text) => {
          if (host === "bad" && text.startsWith("rebinding")) void sim.putBinding(theirs);
        },
      }),
    });
    expect(o.bad.status).toBe("failed");
    expect(o.bad.error?.kind).toBe("precondition");
    expect(o.bad.error?.message).toMatch(/compare-and-set refused/);
    expect(o.bad.error?.message).toContain(unrelatedCert.thumbprint);
    const now = bindingsOf(o.sim);
    expect(now.find((b) => b.endpoint === "0.0.0.0:443")!.certHash).toBe(unrelatedCert.thumbprint);
    // nothing else differs from the original: the SNI binding is on the old certificate still (or was put back)
    expect(now.filter((b) => b.endpoint !== "0.0.0.0:443")).toEqual(bindingsOf(o.before).filter((b) => b.endpoint !== "0.0.0.0:443"));
    // the batch's compare-and-set left theirs alone: certfleet changed nothing there
    expect(changed(o.sim, "ipport=0.0.0.0:443")).toEqual([]);
  });
});

describe("two runs at once against the same hosts", () => {
  // A second renewal, as another operator might roll out at the same moment.
  const rival = createCertificate({
    subject: newCert.subject,
    dnsNames: newCert.dnsNames,
    notBefore: newCert.notBefore,
    notAfter: new Date(newCert.notAfter.getTime() + 86_400_000),
    issuer: ca,
  });
  const fleet = (): SimHostSpec[] => [
    faulty({ name: "h1", certificates: [{ cert: oldCert }, { cert: newCert }, { cert: rival }] }),
    faulty({ name: "h2", profile: { os: "2012r2", shell: "cmd" }, certificates: [{ cert: oldCert }, { cert: newCert }, { cert: rival }] }),
    { ...peer, name: "h3", certificates: [{ cert: oldCert }, { cert: newCert }, { cert: rival }] },
  ];
  const names = ["h1", "h2", "h3"];

  /** Every binding is still there with every original setting, and all of a host's on one certificate. */
  function expectWhole(sim: SimHost, before: SimSnapshot): string {
    const now = bindingsOf(sim);
    const was = bindingsOf(before);
    expect(now.map(({ certHash: _h, ...rest }) => rest)).toEqual(was.map(({ certHash: _h, ...rest }) => rest));
    const hashes = new Set(now.map((b) => b.certHash));
    expect(hashes.size, `${sim.name} is half-done: ${[...hashes].join(", ")}`).toBe(1);
    return [...hashes][0]!;
  }

  /** Every binding is still there with every original setting (only the hash may differ). */
  function expectNothingLost(sim: SimHost, before: SimSnapshot): void {
    const strip = (list: ReturnType<typeof bindingsOf>) => list.map(({ certHash: _h, ...rest }) => rest);
    expect(strip(bindingsOf(sim))).toEqual(strip(bindingsOf(before)));
  }

  // Two operators start at the same moment with different renewals. netsh has no atomic
  // compare-and-set, so both may pass the read and write in turn: the one whose write is
  // overwritten sees a third certificate at read-back and stops, leaving the other's binding.
  // Each run keeps its own all-or-nothing promise; nothing is lost.
  for (const round of Array.from({ length: Number(process.env.RACE_ROUNDS ?? 3) }, (_, i) => i + 1)) {
    it(`different new certificates (round ${round}): nothing lost, each run all-or-nothing, the one that stops says why`, async () => {
      const h = await startHarness(fleet());
      open = h;
      const before = new Map(names.map((n) => [n, h.fleet.host(n).snapshot()]));
      const runs = await Promise.all([
        runRollout(h.hosts, h.freshDeps(), rolloutOptions(targetFor(newCert, [oldCert]), names, { maxFailures: 5, journal: memoryJournal() })),
        runRollout(h.hosts, h.freshDeps(), rolloutOptions(targetFor(rival, [oldCert]), names, { maxFailures: 5, journal: memoryJournal() })),
      ]);
      const certOf = [NEW, rival.thumbprint];
      for (const name of names) {
        const sim = h.fleet.host(name);
        expectNothingLost(sim, before.get(name)!);
        const now = new Map(bindingsOf(sim).map((b) => [b.endpoint, b.certHash]));
        const results = runs.map((r) => r.report.hosts.find((x) => x.name === name)!);
        const detail = `${name}: ${results.map((r) => `${r.status} ${JSON.stringify(r.error)}`).join(" / ")}; now ${JSON.stringify([...now])}`;
        expect(results.filter((r) => r.status === "changed").length, detail).toBeLessThanOrEqual(1);
        results.forEach((r, i) => {
          const mine = certOf[i]!;
          const theirs = certOf[1 - i]!;
          const touched = r.bindings.filter((b) => b.before !== undefined || b.action === "rebind" || b.action === "restored" || b.action === "failed");
          if (r.status === "changed") {
            // everything this run rebound holds its certificate
            for (const b of r.bindings.filter((x) => x.action === "rebind")) expect(now.get(b.endpoint.toLowerCase()), detail).toBe(mine);
          } else {
            expect(["failed", "unchanged"], detail).toContain(r.status);
            // nothing of this run is left behind: each binding it touched is the original or the other run's
            for (const b of touched) expect([OLD, theirs], detail).toContain(now.get(b.endpoint.toLowerCase()));
            if (r.status === "failed") {
              expect(r.error?.kind, detail).toBe("precondition");
              expect(r.error?.message, detail).toMatch(/compare-and-set|changed since the plan/);
            }
          }
        });
        // at least one run got through on every host, or the host is exactly as it was
        if (results.every((r) => r.status !== "changed")) expect(bindingsOf(sim), detail).toEqual(bindingsOf(before.get(name)!));
      }
    });
  }

  it("a run that planned before the other applied sees its change through compare-and-set and stops", async () => {
    const h = await startHarness(fleet());
    open = h;
    const before = new Map(names.map((n) => [n, h.fleet.host(n).snapshot()]));
    // Run A discovers and plans, then waits at its first compare-and-set read until run B is done.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const depsA = h.freshDeps();
    const connect = depsA.connect;
    depsA.connect = async (host) => {
      const t = await connect(host);
      return {
        host: t.host,
        upload: (l, r) => t.upload(l, r),
        close: () => t.close(),
        exec: async (command, options) => {
          if (/show sslcert \S+=/.test(command)) await gate;
          return t.exec(command, options);
        },
      };
    };
    const runA = runRollout(h.hosts, depsA, rolloutOptions(targetFor(newCert, [oldCert]), names, { maxFailures: 5, journal: memoryJournal() }));
    const b = await runRollout(h.hosts, h.freshDeps(), rolloutOptions(targetFor(rival, [oldCert]), names, { maxFailures: 5, journal: memoryJournal() }));
    release();
    const a = await runA;
    for (const name of names) {
      expect(b.report.hosts.find((x) => x.name === name)!.status).toBe("changed");
      const ra = a.report.hosts.find((x) => x.name === name)!;
      expect(ra.status).toBe("failed");
      expect(ra.error?.kind).toBe("precondition");
      expect(ra.error?.message).toMatch(new RegExp(`changed since it was read \\(compare-and-set refused\\): it now uses ${rival.thumbprint}`));
      expect(expectWhole(h.fleet.host(name), before.get(name)!)).toBe(rival.thumbprint);
      expect(h.fleet.host(name).changeLog.filter((c) => c.certHash === NEW)).toEqual([]);
    }
  });

  it("the same new certificate twice: both end done or already done, nothing lost", async () => {
    const h = await startHarness(fleet());
    open = h;
    const before = new Map(names.map((n) => [n, h.fleet.host(n).snapshot()]));
    const [a, b] = await Promise.all([
      runRollout(h.hosts, h.freshDeps(), rolloutOptions(target, names, { maxFailures: 5, journal: memoryJournal() })),
      runRollout(h.hosts, h.freshDeps(), rolloutOptions(target, names, { maxFailures: 5, journal: memoryJournal() })),
    ]);
    for (const name of names) {
      expect(expectWhole(h.fleet.host(name), before.get(name)!)).toBe(NEW);
      const statuses = [a, b].map((r) => r.report.hosts.find((x) => x.name === name)!.status);
      expect(statuses.every((s) => s === "changed" || s === "unchanged"), `${name}: ${statuses.join(", ")}`).toBe(true);
    }
  });
});
