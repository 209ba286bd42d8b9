/**
 * Issue 3 "Done when", over real SSH to the simulated fleet: rollout moves exactly the bindings on
 * the old certificate and keeps every setting; failures stay within their host and the budget;
 * crashes and dropped sessions end rebound or restored, never missing; re-runs and dry-runs change
 * nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Report } from "../../src/report/schema.js";
import { startHarness, type Harness } from "../support/harness.js";
import {
  certs,
  changeCommands,
  countVerb,
  expectRebound,
  mixedFleetSpecs,
  readJournal,
  rollout,
  snapshotFleet,
  tempJournal,
  type FleetSnapshot,
} from "../support/rollout-fleet.js";

describe("rollout over 30 mixed hosts", () => {
  let h: Harness;
  let before: FleetSnapshot;
  const { OLD, NEW } = certs();

  beforeAll(async () => {
    h = await startHarness(mixedFleetSpecs(30));
    before = snapshotFleet(h.fleet.hosts);
  });
  afterAll(async () => h?.close());

  it("moves every old-hash binding to the new certificate with every setting kept; nothing else changes", async () => {
    const { path, journal } = await tempJournal();
    const started = performance.now();
    const { report, halted } = await rollout(h.hosts, h.deps, journal, { concurrency: 10 });
    const elapsed = performance.now() - started;
    journal.close();
    Report.parse(report);
    const failed = report.hosts.filter((x) => x.status !== "changed" && x.status !== "unchanged");
    expect(failed.map((x) => `${x.name}: ${x.status} ${x.error?.kind} ${x.error?.message} ${x.error?.remote ?? ""}`)).toEqual([]);
    expect(halted).toBe(false);
    console.info(report.hosts.map((x) => `${x.name}:${x.status}:${x.bindings.map((b) => b.action).join("/")}`).join(" "), elapsed);

    let moved = 0;
    for (const host of h.fleet.hosts) {
      const b = before.get(host.name)!;
      const n = expectRebound(host, b, OLD, NEW);
      moved += n;
      const cmds = changeCommands(host);
      const r = report.hosts.find((x) => x.name === host.name)!;
      expect(r.status, host.name).toBe(n > 0 ? "changed" : "unchanged");
      if (host.profile.os === "2012r2") {
        // `update` is tried once, found missing, then delete+add for every binding.
        expect(countVerb(cmds, "update"), `${host.name} update attempts`).toBe(1);
        expect(countVerb(cmds, "delete"), host.name).toBe(n);
        expect(countVerb(cmds, "add"), host.name).toBe(n);
      } else {
        expect(countVerb(cmds, "update"), host.name).toBe(n);
        expect(countVerb(cmds, "delete") + countVerb(cmds, "add"), host.name).toBe(0);
      }
      // every rebound binding was verified over TLS against the new certificate
      for (const row of r.bindings.filter((x) => x.action === "rebind")) {
        expect(row.verify?.ok, `${host.name} ${row.endpoint} ${row.verify?.error ?? ""}`).toBe(true);
      }
    }
    expect(moved).toBeGreaterThan(45);

    const records = readJournal(path).records;
    expect(records.filter((r) => r.type === "intent")).toHaveLength(moved);
    expect(records.filter((r) => r.type === "done" && r.outcome === "rebound")).toHaveLength(moved);

    const perHost = h.fleet.hosts.map((x) => x.commandLog.length);
    console.info(
      `[rollout-30] hosts=${h.fleet.hosts.length} bindings moved=${moved} elapsed=${Math.round(elapsed)}ms ` +
        `commands/host min=${Math.min(...perHost)} max=${Math.max(...perHost)} mean=${(perHost.reduce((a, b) => a + b, 0) / perHost.length).toFixed(1)}`,
    );
  });
});
