/**
 * A resumed rollout never overwrites a binding that someone else changed after the crash: the
 * journal says where the interrupted run was heading, but a third certificate on the binding is
 * an operator's decision, kept as in any compare-and-set.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withSession } from "../../src/host/visit.js";
import type { JournalRecord } from "../../src/journal/record.js";
import { runRollout } from "../support/reported.js";
import { APPID, demoCertificates } from "../../src/simulator/index.js";
import { startHarness, type Harness } from "../support/harness.js";
import { fileTarget } from "../support/rollout-fleet.js";
import { memoryJournal, rolloutOptions } from "../support/verifier-fleet.js";

describe("resume after a crash when someone changed a half-done binding", () => {
  let h: Harness;
  const { oldCert, newCert, unrelatedCert } = demoCertificates();

  beforeAll(async () => {
    h = await startHarness([
      {
        name: "web01",
        profile: { os: "2022", language: "en", shell: "cmd", elevated: true },
        certificates: [{ cert: oldCert }, { cert: newCert }, { cert: unrelatedCert }],
        bindings: [
          { kind: "ipport", endpoint: "0.0.0.0:443", certHash: oldCert.thumbprint, appId: APPID.iis, storeName: "MY" },
          { kind: "hostnameport", endpoint: "www.example.com:443", certHash: oldCert.thumbprint, appId: APPID.iis, storeName: "MY" },
        ],
      },
    ]);
  });
  afterAll(async () => h?.close());

  it("keeps the third certificate, finishes the rest of the host", async () => {
    const sim = h.fleet.host("web01");
    // The records the interrupted run journaled: the bindings as read, and where it was heading.
    const state = await withSession(h.hosts[0]!, h.freshDeps(), (session) => session.discover());
    const records: JournalRecord[] = [
      { type: "run", runId: "crashed", at: "2026-11-25T02:00:00.000Z", command: "rollout", newThumbprint: newCert.thumbprint },
      ...state.bindings.map((original) => ({
        type: "intent" as const,
        runId: "crashed",
        at: "2026-11-25T02:00:01.000Z",
        host: "web01",
        address: "127.0.0.1",
        original,
        desired: { ...original, certHash: newCert.thumbprint },
      })),
    ];
    // Neither was changed before the crash; then an admin bound an unrelated certificate by hand.
    await sim.putBinding({ kind: "ipport", endpoint: "0.0.0.0:443", certHash: unrelatedCert.thumbprint, appId: APPID.iis, storeName: "MY" });

    const journal = memoryJournal();
    const { report } = await runRollout(h.hosts, h.freshDeps(), rolloutOptions(fileTarget(), ["web01"], { journal, resumeFrom: records }));

    const byEndpoint = new Map(sim.bindings.map((b) => [b.endpoint, b.certHash]));
    expect(byEndpoint.get("0.0.0.0:443")).toBe(unrelatedCert.thumbprint);
    expect(byEndpoint.get("www.example.com:443")).toBe(newCert.thumbprint);
    expect(sim.bindings).toHaveLength(2);
    expect(report.hosts[0]!.status).toBe("changed");
    // the resumed run never sent a change for the third party's binding
    expect(sim.commandLog.filter((c) => /(update|delete|add) sslcert/.test(c) && c.includes("ipport=0.0.0.0:443"))).toEqual([]);
  });
});

describe("rollback when someone changed a binding after the rollout", () => {
  let h: Harness;
  const { oldCert, newCert, unrelatedCert } = demoCertificates();

  beforeAll(async () => {
    h = await startHarness([
      {
        name: "web01",
        profile: { os: "2012r2", language: "de", shell: "powershell", elevated: true },
        certificates: [{ cert: oldCert }, { cert: newCert }, { cert: unrelatedCert }],
        bindings: [
          { kind: "ipport", endpoint: "0.0.0.0:443", certHash: oldCert.thumbprint, appId: APPID.iis, storeName: "MY" },
          { kind: "ipport", endpoint: "0.0.0.0:8443", certHash: oldCert.thumbprint, appId: APPID.iis, storeName: "MY", params: { clientcertnegotiation: "enable" } },
        ],
      },
    ]);
  });
  afterAll(async () => h?.close());

  it("puts back what certfleet changed and leaves the third party's binding alone", async () => {
    const sim = h.fleet.host("web01");
    const before = sim.snapshot().bindings;
    const journal = memoryJournal();
    const { report } = await runRollout(h.hosts, h.freshDeps(), rolloutOptions(fileTarget(), ["web01"], { journal }));
    expect(report.hosts[0]!.status).toBe("changed");
    await sim.putBinding({ kind: "ipport", endpoint: "0.0.0.0:8443", certHash: unrelatedCert.thumbprint, appId: APPID.iis, storeName: "MY" });

    const { runRollback } = await import("../support/reported.js");
    const { journaledBindings } = await import("../../src/journal/record.js");
    const back = await runRollback(h.hosts, h.freshDeps(), { items: journaledBindings(journal.records), concurrency: 1 });
    const byEndpoint = new Map(sim.bindings.map((b) => [b.endpoint, b]));
    expect(byEndpoint.get("0.0.0.0:443")).toEqual(before.find((b) => b.endpoint === "0.0.0.0:443"));
    expect(byEndpoint.get("0.0.0.0:8443")!.certHash).toBe(unrelatedCert.thumbprint);
    const row = back.hosts[0]!.bindings.find((b) => b.endpoint === "0.0.0.0:8443")!;
    expect(row.action).toBe("none");
    expect(row.reason).toMatch(/changed by someone else/);
  });
});
