/**
 * Issue 12: the rebind in a few remote commands a host, over real SSH against the simulated
 * cmd.exe and PowerShell. One batched compare-and-set line changes every binding, one listing
 * reads them all back, and whatever is left goes binding by binding:
 * - the common case costs discovery + line + read-back (3 commands; 2012 R2, whose build discovery
 *   reads, gets a delete+add line; 4 where the build is unreadable and the first line learns it);
 * - a binding someone changed meanwhile is left untouched by the line, the host fails cleanly,
 *   and the bindings the line had already moved are put back;
 * - a line cut off after its second change is never sent again: the rest is finished alone;
 * - a line over cmd.exe's length limit is split, still within four commands;
 * - the journal records every original before the line and an outcome after, and `rollback`
 *   from it puts every binding back.
 */
import { afterEach, describe, expect, it } from "vitest";
import { journaledBindings } from "../../src/journal/record.js";
import { demoCertificates, type SimHost, type SimHostSpec, type SimSnapshot } from "../../src/simulator/index.js";
import type { SimBindingSpec } from "../../src/simulator/state.js";
import type { ProgressSink } from "../../src/host/progress.js";
import type { ReportHost } from "../../src/report/schema.js";
import { startHarness, type Harness } from "../support/harness.js";
import { runRollback, runRollout } from "../support/reported.js";
import { IIS_APPID, bindingsOf, memoryJournal, planned, rolloutOptions, targetFor, type MemoryJournal } from "../support/verifier-fleet.js";

const { oldCert, newCert, unrelatedCert } = demoCertificates();
const OLD = oldCert.thumbprint;
const NEW = newCert.thumbprint;
const target = targetFor(newCert);

const PROFILES = [
  { label: "2022, cmd.exe (update)", profile: { os: "2022", shell: "cmd" }, faults: {} },
  // discovery reads the build (6.3.9600): delete+add lines from the start
  { label: "2012 R2, German PowerShell (delete+add)", profile: { os: "2012r2", shell: "powershell", language: "de" }, faults: {} },
  // a build discovery cannot read: the first line tries update, learns it is missing, the rest goes as delete+add
  { label: "2012 R2, cmd.exe, build unreadable (learns delete+add at the first line)", profile: { os: "2012r2", shell: "cmd" }, faults: { unreadableVersion: true } },
] as const;

const FOUR: SimBindingSpec[] = [
  { kind: "ipport", endpoint: "0.0.0.0:443", certHash: OLD, appId: IIS_APPID, storeName: "MY", params: { disablehttp2: "enable" } },
  { kind: "hostnameport", endpoint: "www.example.com:443", certHash: OLD, appId: IIS_APPID, storeName: "My", params: { clientcertnegotiation: "enable" } },
  { kind: "hostnameport", endpoint: "api.example.com:443", certHash: OLD, appId: IIS_APPID, storeName: "My" },
  { kind: "ipport", endpoint: "0.0.0.0:8443", certHash: OLD, appId: IIS_APPID, storeName: null, params: { revocationfreshnesstime: "3600" } },
];

/** The order netsh lists them in (ipport before hostnameport), which is the order they change in. */
const LISTED = ["0.0.0.0:443", "0.0.0.0:8443", "www.example.com:443", "api.example.com:443"];

function specOf(profile: SimHostSpec["profile"], bindings: SimBindingSpec[] = FOUR, faults: SimHostSpec["faults"] = {}): SimHostSpec {
  return { name: "web", profile, certificates: [{ cert: oldCert }, { cert: newCert }, { cert: unrelatedCert }], bindings, faults };
}

let open: Harness | undefined;
afterEach(async () => {
  await open?.close();
  open = undefined;
});

interface Run {
  h: Harness;
  sim: SimHost;
  host: ReportHost;
  before: SimSnapshot;
  journal: MemoryJournal;
}

async function run(s: SimHostSpec, progress?: (sim: SimHost) => ProgressSink): Promise<Run> {
  const h = await startHarness([s]);
  open = h;
  const sim = h.fleet.host("web");
  const before = sim.snapshot();
  const journal = memoryJournal();
  const deps = h.freshDeps(progress ? { progress: progress(sim) } : {});
  const { report } = await runRollout(h.hosts, deps, rolloutOptions(target, ["web"], { journal }));
  return { h, sim, host: report.hosts[0]!, before, journal };
}

const isLine = (c: string) => c.includes("==CFCAS:end==");
const changesOf = (sim: SimHost, endpoint: string) => sim.changeLog.filter((c) => c.key.endsWith(`=${endpoint}`)).map((c) => c.certHash);

describe.each(PROFILES)("batched rebind on $label", ({ profile, faults }) => {
  const missingUpdate = profile.os === "2012r2";
  // the first line is spent learning that update is missing (nothing changed by it)
  const learns = "unreadableVersion" in faults;
  const spec = (p: SimHostSpec["profile"], bindings: SimBindingSpec[] = FOUR, more: SimHostSpec["faults"] = {}) => specOf(p, bindings, { ...faults, ...more });

  it("every binding moved in 3 remote commands (4 where the first line learns update is missing), journaled before and after", async () => {
    const r = await run(spec(profile));
    expect(r.host.status, r.host.error?.message).toBe("changed");
    expect(bindingsOf(r.sim)).toEqual(planned(r.before, OLD, NEW));
    // discovery, the line(s), one read-back
    const log = r.sim.commandLog;
    expect(log).toHaveLength(learns ? 4 : 3);
    expect(log.filter(isLine)).toHaveLength(learns ? 2 : 1);
    expect(log.filter(isLine).at(-1)).toContain(missingUpdate ? "netsh http delete sslcert" : "netsh http update sslcert");
    expect(log.at(-1)).toBe("netsh http show sslcert");
    // every original is journaled before the line, every binding's outcome after
    const records = r.journal.records;
    const firstDone = records.findIndex((x) => x.type === "done");
    expect(records.slice(0, firstDone).filter((x) => x.type === "intent")).toHaveLength(4);
    expect(records.filter((x) => x.type === "done" && x.outcome === "rebound")).toHaveLength(4);
  });

  it("a binding someone changed meanwhile (the last listed) is left untouched; the three moved before it go back; the host fails cleanly", async () => {
    const theirs = { ...FOUR[2]!, certHash: unrelatedCert.thumbprint };
    expect(theirs.endpoint).toBe(LISTED[3]);
    const r = await run(spec(profile), (sim) => ({
      hostStep: (_host, text) => {
        if (text.startsWith("rebinding")) void sim.putBinding(theirs);
      },
    }));
    expect(r.host.status).toBe("failed");
    expect(r.host.error?.kind).toBe("precondition");
    expect(r.host.error?.message).toMatch(/compare-and-set refused/);
    expect(r.host.error?.message).toContain(unrelatedCert.thumbprint);
    // theirs is untouched; the others are exactly as they were
    const now = bindingsOf(r.sim);
    expect(now.find((b) => b.endpoint === "api.example.com:443")!.certHash).toBe(unrelatedCert.thumbprint);
    expect(now.filter((b) => b.endpoint !== "api.example.com:443")).toEqual(bindingsOf(r.before).filter((b) => b.endpoint !== "api.example.com:443"));
    expect(changesOf(r.sim, "api.example.com:443")).toEqual([]);
    // the three before it were moved by the line, then put back one by one
    for (const endpoint of LISTED.slice(0, 3)) expect(changesOf(r.sim, endpoint).filter((h) => h !== null), endpoint).toEqual([NEW, OLD]);
    expect(r.sim.commandLog.filter(isLine)).toHaveLength(learns ? 2 : 1);
    const rows = new Map(r.host.bindings.map((b) => [b.endpoint, b]));
    for (const endpoint of LISTED.slice(0, 3)) expect(rows.get(endpoint)!.action, endpoint).toBe("restored");
    expect(rows.get("api.example.com:443")!.action).toBe("failed");
  });

  it("a line cut off after its second change is never sent again: the rest is finished binding by binding", async () => {
    const r = await run(spec(profile, FOUR, { dropAfterChanges: 2 }));
    expect(r.host.status, r.host.error?.message).toBe("changed");
    expect(bindingsOf(r.sim)).toEqual(planned(r.before, OLD, NEW));
    const log = r.sim.commandLog;
    const lines = log.filter(isLine);
    expect(lines).toHaveLength(learns ? 2 : 1);
    const cut = log.indexOf(lines.at(-1)!);
    // the cut line, then one listing, then the rest alone: never the line again
    expect(log[cut + 1]).toBe("netsh http show sslcert");
    const after = log.slice(cut + 2);
    expect(after.filter(isLine)).toEqual([]);
    // what the line did not reach is finished alone (re-read, change, read back per binding)
    // update: two bindings changed (cut); delete+add: the first deleted and re-added (cut)
    const byLine = missingUpdate ? 1 : 2;
    const finished = LISTED.slice(byLine);
    for (const endpoint of finished) expect(after.some((c) => /sslcert/.test(c) && !/show/.test(c) && c.includes(`=${endpoint}`)), endpoint).toBe(true);
    // the ones the line changed are not changed again
    for (const endpoint of LISTED.slice(0, byLine)) {
      expect(after.some((c) => /sslcert/.test(c) && !/show/.test(c) && c.includes(`=${endpoint}`)), endpoint).toBe(false);
    }
    expect(r.journal.records.filter((x) => x.type === "done" && x.outcome === "rebound")).toHaveLength(4);
  });

  it("rollback from the journal of a batched rollout puts every binding back exactly", async () => {
    const r = await run(spec(profile));
    expect(r.host.status).toBe("changed");
    const items = journaledBindings(r.journal.records);
    expect(items).toHaveLength(4);
    const report = await runRollback(r.h.hosts, r.h.freshDeps(), { items, concurrency: 1 });
    expect(report.hosts[0]!.status, report.hosts[0]!.error?.message).toBe("changed");
    expect(bindingsOf(r.sim)).toEqual(bindingsOf(r.before));
  });
});

describe("an over-long batch", () => {
  it("is split into lines within cmd.exe's 8,191 characters, run one after the other, still four commands", async () => {
    // 24 bindings with many settings: one line would be far over cmd.exe's limit.
    const many: SimBindingSpec[] = Array.from({ length: 24 }, (_, i) => ({
      kind: "ipport",
      endpoint: `0.0.0.0:${8000 + i}`,
      certHash: OLD,
      appId: IIS_APPID,
      storeName: "MY",
      params: { clientcertnegotiation: "enable", revocationfreshnesstime: "3600", urlretrievaltimeout: "15000", disablehttp2: "enable", disablelegacytls: "enable" },
    }));
    const r = await run(specOf({ os: "2022", shell: "cmd" }, many));
    expect(r.host.status, r.host.error?.message).toBe("changed");
    expect(bindingsOf(r.sim)).toEqual(planned(r.before, OLD, NEW));
    const lines = r.sim.commandLog.filter(isLine);
    expect(lines.length).toBe(2);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(8191);
    expect(lines.join(" & ").length).toBeGreaterThan(8191);
    expect(r.sim.commandLog).toHaveLength(4);
    // each binding changed exactly once
    expect(r.sim.changeLog).toHaveLength(24);
  });

  it("a refusal in the first line stops the host before the second line is sent", async () => {
    const many: SimBindingSpec[] = Array.from({ length: 24 }, (_, i) => ({
      kind: "ipport",
      endpoint: `0.0.0.0:${8000 + i}`,
      certHash: OLD,
      appId: IIS_APPID,
      storeName: "MY",
      params: { clientcertnegotiation: "enable", revocationfreshnesstime: "3600", urlretrievaltimeout: "15000", disablehttp2: "enable", disablelegacytls: "enable" },
    }));
    const r = await run(specOf({ os: "2022", shell: "cmd" }, many), (sim) => ({
      hostStep: (_host, text) => {
        if (text.startsWith("rebinding")) void sim.putBinding({ ...many[3]!, certHash: unrelatedCert.thumbprint });
      },
    }));
    expect(r.host.status).toBe("failed");
    expect(r.sim.commandLog.filter(isLine)).toHaveLength(1);
    expect(bindingsOf(r.sim).filter((b) => b.endpoint !== "0.0.0.0:8003")).toEqual(bindingsOf(r.before).filter((b) => b.endpoint !== "0.0.0.0:8003"));
    expect(r.sim.changeLog.filter((c) => c.certHash === NEW)).toHaveLength(3);
  });
});
