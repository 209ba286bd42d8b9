/**
 * Connections: one SSH connection per host for the whole run (the plan shown before a rollout is
 * confirmed and the rollout share it), and none held past a host's visit otherwise, so a large
 * fleet never holds more sockets than -c hosts need.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ResolvedHost } from "../../src/inventory/schema.js";
import { runPlan } from "../support/reported.js";
import { runRollout } from "../support/reported.js";
import type { FleetDeps } from "../../src/host/visit.js";
import { ConnectionPool } from "../../src/transport/pool.js";
import { connectSsh } from "../../src/transport/ssh.js";
import type { Transport } from "../../src/transport/transport.js";
import { demoFleetSpecs } from "../../src/simulator/index.js";
import { startHarness, type Harness } from "../support/harness.js";
import { fileTarget } from "../support/rollout-fleet.js";
import { memoryJournal, rolloutOptions } from "../support/verifier-fleet.js";

function countingDeps(keepConnections: boolean) {
  const dials = new Map<string, number>();
  let open = 0;
  let peak = 0;
  const pool = new ConnectionPool<ResolvedHost>(async (h) => {
    dials.set(h.name, (dials.get(h.name) ?? 0) + 1);
    const t = await connectSsh(h, { commandTimeoutMs: 20_000 });
    peak = Math.max(peak, ++open);
    const counted: Transport = { ...t, exec: (c, o) => t.exec(c, o), upload: (a, b) => t.upload(a, b), close: async () => { open--; await t.close(); } };
    return counted;
  });
  const deps: FleetDeps = { connect: (h) => pool.connect(h), release: (h) => pool.release(h), now: () => new Date(), progress: {}, commandTimeoutMs: 20_000, keepConnections };
  return { deps, dials, pool, open: () => open, peak: () => peak };
}

describe("SSH connections over a run", () => {
  let h: Harness;
  beforeAll(async () => {
    // healthy hosts only: every host is visited by both passes
    h = await startHarness(demoFleetSpecs(8).map((s) => ({ ...s, faults: {} })));
  });
  afterAll(async () => h?.close());

  it("the confirmation plan and the rollout after it use one connection per host", async () => {
    const c = countingDeps(true);
    const names = h.hosts.map((x) => x.name);
    await runPlan(h.hosts, fileTarget(), 3, c.deps);
    const { report } = await runRollout(h.hosts, { ...c.deps, keepConnections: false }, rolloutOptions(fileTarget(), names, { journal: memoryJournal(), concurrency: 3 }));
    expect(report.hosts.every((x) => x.status === "changed")).toBe(true);
    expect([...c.dials.values()]).toEqual(names.map(() => 1));
    // the rollout let each host's connection go when it was done with it
    expect(c.open()).toBe(0);
    await c.pool.closeAll();
  });

  it("without keepConnections no connection outlives its host's visit: never more open than -c", async () => {
    const c = countingDeps(false);
    await runPlan(h.hosts, fileTarget(), 2, c.deps);
    expect(c.open()).toBe(0);
    expect(c.peak()).toBeLessThanOrEqual(2);
    await c.pool.closeAll();
  });
});
