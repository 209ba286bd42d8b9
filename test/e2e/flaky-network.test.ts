/**
 * Issue 14, "transient loss is not failure": a fleet whose hosts drop the connection at every Nth
 * command (deterministic: 1 in 3 to 1 in 5, so each host drops at a different point of each run).
 * Discover, rollout, verify and rollback all finish every host exactly, none is reported
 * `unreachable`, rollback leaves no host mixed, and the report says what the network cost.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { journaledBindings } from "../../src/journal/record.js";
import { Report } from "../../src/report/schema.js";
import { APPID } from "../../src/simulator/index.js";
import type { SimHostSpec } from "../../src/simulator/state.js";
import { startHarness, type Harness } from "../support/harness.js";
import { runDiscover, runRollback, runVerify } from "../support/reported.js";
import { certs, expectRebound, expectSameBindings, fileTarget, mixedFleetSpecs, readJournal, rollout, snapshotFleet, tempJournal, type FleetSnapshot } from "../support/rollout-fleet.js";

const noSleep = async () => undefined;

/** The host: 16 bindings on the old certificate, on 2012 R2 (delete + add for each). */
function sixteenBindings(name: string, os: "2012r2" | "2022"): SimHostSpec {
  const { oldCert, newCert } = certs();
  return {
    name,
    profile: { os, shell: "cmd" },
    certificates: [{ cert: oldCert }, { cert: newCert }],
    bindings: Array.from({ length: 16 }, (_, i) => ({ kind: "hostnameport" as const, endpoint: `site${i + 1}.example.com:443`, certHash: oldCert.thumbprint, appId: APPID.iis, storeName: "MY" })),
  };
}

function expectNetworkCost(report: Report): void {
  for (const host of report.hosts) {
    expect(host.error?.kind, `${host.name}: ${host.error?.message}`).not.toBe("unreachable");
    expect(host.error, host.name).toBeUndefined();
  }
  // Every host dropped at least once in this run, and the report says so.
  for (const host of report.hosts) {
    expect(host.network, host.name).toBeDefined();
    expect(host.network!.reconnects, host.name).toBeGreaterThan(0);
    expect(host.network!.lostMs, host.name).toBeGreaterThanOrEqual(0);
  }
}

describe("a fleet on a flaky network (every Nth command drops its connection)", () => {
  let h: Harness;
  let before: FleetSnapshot;
  const { OLD, NEW } = certs();

  beforeAll(async () => {
    const specs = [...mixedFleetSpecs(6), sixteenBindings("web94", "2012r2"), sixteenBindings("web95", "2022")];
    h = await startHarness(specs.map((s, i) => ({ ...s, faults: { ...s.faults, dropEveryNth: 3 + (i % 3) } })));
    before = snapshotFleet(h.fleet.hosts);
  });
  afterAll(async () => h?.close());

  it("discover reads every host exactly; none is unreachable", async () => {
    // Each host's counter starts where its Nth command falls on the discovery read itself.
    for (const sim of h.fleet.hosts) sim.commandLog.length = 0;
    // (Discovery is one command under shell: auto, so it is the Nth itself.)
    for (const sim of h.fleet.hosts) sim.commandLog.push(...Array.from({ length: sim.faults.dropEveryNth! - 1 }, () => "(earlier)"));
    const report = await runDiscover(h.hosts, 4, h.freshDeps({ sleep: noSleep }));
    Report.parse(report);
    expect(report.hosts.map((x) => `${x.name}:${x.status}`)).toEqual(h.hosts.map((x) => `${x.name}:ok`));
    expectNetworkCost(report);
    for (const host of report.hosts) {
      expect(host.bindings.length, host.name).toBe(before.get(host.name)!.size);
    }
  });

  it("rollout, verify and rollback finish every host exactly; rollback leaves none mixed", async () => {
    const { path, journal } = await tempJournal();
    const { report } = await rollout(h.hosts, h.freshDeps({ sleep: noSleep }), journal);
    journal.close();
    Report.parse(report);
    expect(report.hosts.map((x) => `${x.name}:${x.status}`)).toEqual(h.hosts.map((x) => `${x.name}:changed`));
    expectNetworkCost(report);
    for (const sim of h.fleet.hosts) expectRebound(sim, before.get(sim.name)!, OLD, NEW);

    const verified = await runVerify(h.hosts, h.freshDeps({ sleep: noSleep }), {
      target: fileTarget(),
      concurrency: 4,
      timing: { windowMs: 3000, intervalMs: 100, handshakeTimeoutMs: 5000 },
    });
    expect(verified.hosts.map((x) => `${x.name}:${x.status}`)).toEqual(h.hosts.map((x) => `${x.name}:ok`));

    const items = journaledBindings(readJournal(path).records);
    const back = await runRollback(h.hosts, h.freshDeps({ sleep: noSleep }), { items, concurrency: 4 });
    Report.parse(back);
    expect(back.hosts.map((x) => `${x.name}:${x.status}`)).toEqual(h.hosts.map((x) => `${x.name}:changed`));
    expectNetworkCost(back);
    for (const sim of h.fleet.hosts) expectSameBindings(sim, before.get(sim.name)!);
    expect(back.hosts.flatMap((x) => x.bindings).every((b) => b.manualCommand === undefined)).toBe(true);
  });
});
