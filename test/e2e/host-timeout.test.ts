/**
 * Issue 14, "one hung host cannot hold the fleet": --host-timeout. A 2012 R2 host whose every
 * `netsh http add` hangs (the delete + add path): its change times out at the host's budget, the
 * restore attempts after it share ONE window (one add, not one per attempt), no further binding
 * is started, and the host ends `needs-attention` with the complete command that puts the
 * original back. Every other host is unaffected. Bounded by counting attempts, not by the clock.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APPID } from "../../src/simulator/index.js";
import type { SimHostSpec } from "../../src/simulator/state.js";
import { startHarness, type Harness } from "../support/harness.js";
import { certs, expectRebound, mixedFleetSpecs, rollout, snapshotFleet, tempJournal, type FleetSnapshot } from "../support/rollout-fleet.js";
import { unsafeRecovery } from "../support/recovery-audit.js";
import { journaledBindings } from "../../src/journal/record.js";
import { runRollback } from "../support/reported.js";
import { readJournal } from "../support/rollout-fleet.js";

describe("--host-timeout: a host whose adds hang", () => {
  let h: Harness;
  let before: FleetSnapshot;
  const { oldCert, newCert, OLD, NEW } = certs();
  const steps: Array<{ host: string; text: string }> = [];
  let journalPath = "";

  const hung: SimHostSpec = {
    name: "hung01",
    profile: { os: "2012r2", shell: "cmd" },
    certificates: [{ cert: oldCert }, { cert: newCert }],
    bindings: [
      { kind: "ipport", endpoint: "0.0.0.0:443", certHash: OLD, appId: APPID.iis, storeName: "MY", params: { clientcertnegotiation: "enable" } },
      { kind: "hostnameport", endpoint: "www.example.com:443", certHash: OLD, appId: APPID.iis, storeName: "MY" },
    ],
    faults: { hangOn: /add sslcert/ },
  };

  beforeAll(async () => {
    h = await startHarness([...mixedFleetSpecs(4), hung], { commandTimeoutMs: 1_500, progress: { hostStep: (host, text) => steps.push({ host, text }) } });
    before = snapshotFleet(h.fleet.hosts);
  });
  afterAll(async () => h?.close());

  it("ends the host within its budget plus one restore window: needs-attention with the complete restore command; the others are rebound", async () => {
    const { path, journal } = await tempJournal();
    journalPath = path;
    const names = h.hosts.map((x) => x.name);
    const { report } = await rollout(h.hosts, h.freshDeps({ hostTimeoutMs: 1_000, waitingEveryMs: 200 }), journal, {
      waves: [names],
      maxFailures: 1,
      verify: { enabled: false, timing: { windowMs: 0, intervalMs: 0, handshakeTimeoutMs: 1000 } },
    });
    journal.close();

    const bad = report.hosts.find((x) => x.name === "hung01")!;
    expect(bad.status).toBe("needs-attention");
    expect(bad.error?.kind).toBe("timeout");
    const sim = h.fleet.host("hung01");
    const adds = sim.commandLog.filter((c) => /add sslcert/.test(c));
    // One forward add (cut at the budget), then ONE restore add sharing the restore window;
    // before --host-timeout and the shared window, every restore attempt got its own timeout (4 adds).
    expect(adds.map((c) => (c.includes(`certhash=${NEW}`) ? "new" : c.includes(`certhash=${OLD}`) ? "old" : "?"))).toEqual(["new", "old"]);
    // No new step started after the budget: the second binding was never touched (the batched line
    // names it, but the line hung at the first binding's add: the simulator's log of real changes).
    expect(sim.changeLog.filter((c) => c.key.includes("www.example.com"))).toEqual([]);
    const row = bad.bindings.find((b) => b.endpoint === "0.0.0.0:443")!;
    expect(row.action).toBe("failed");
    expect(row.manualCommand).toMatch(new RegExp(`^netsh http add sslcert ipport=0\\.0\\.0\\.0:443 certhash=${OLD} appid=\\{[0-9a-f-]+\\} certstorename=MY .*clientcertnegotiation=enable`));
    expect(unsafeRecovery(row.manualCommand!)).toEqual([]);
    // The binding is gone on the host (the delete ran, every add hangs): exactly what the command restores.
    expect(sim.bindings.map((b) => b.endpoint)).toEqual(["www.example.com:443"]);

    for (const host of report.hosts.filter((x) => x.name !== "hung01")) expect(`${host.name}:${host.status}`).toBe(`${host.name}:changed`);
    for (const other of h.fleet.hosts.filter((x) => x.name !== "hung01")) expectRebound(other, before.get(other.name)!, OLD, NEW);
    // The progress said which host waited on which command.
    expect(steps.some((s) => s.host === "hung01" && /^waiting \d+ s on: netsh http add sslcert/.test(s.text))).toBe(true);
  });

  it("rollback under the same budget: the others go back exactly; the hung host needs attention with complete commands for each binding", async () => {
    const items = journaledBindings(readJournal(journalPath).records);
    const sim = h.fleet.host("hung01");
    const mark = sim.commandLog.length;
    const report = await runRollback(h.hosts, h.freshDeps({ hostTimeoutMs: 1_000 }), { items, concurrency: 4 });
    const bad = report.hosts.find((x) => x.name === "hung01")!;
    expect(bad.status).toBe("needs-attention");
    // The add of the original, cut at the budget, then one more inside the shared restore window;
    // nothing after it (each attempt used to get a full command timeout of its own).
    expect(sim.commandLog.slice(mark).filter((c) => /add sslcert/.test(c))).toHaveLength(2);
    expect(report.hosts.filter((x) => x.name !== "hung01").every((x) => x.error === undefined)).toBe(true);
    const row = bad.bindings.find((b) => b.endpoint === "0.0.0.0:443")!;
    expect(row.manualCommand).toMatch(new RegExp(`^netsh http add sslcert ipport=0\\.0\\.0\\.0:443 certhash=${OLD} `));
    for (const r of bad.bindings) if (r.manualCommand) expect(unsafeRecovery(r.manualCommand)).toEqual([]);
    for (const other of h.fleet.hosts.filter((x) => x.name !== "hung01")) {
      expect(report.hosts.find((x) => x.name === other.name)?.status, other.name).toBe("changed");
      expect(snapshotFleet([other]).get(other.name)).toEqual(before.get(other.name));
    }
  });
});
