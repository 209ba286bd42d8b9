/**
 * `certfleet rollback --journal`: every journaled binding back to its original record exactly,
 * after a clean rollout and after the orchestrator was SIGKILLed mid-rollout; running it twice
 * is harmless.
 */
import { mkdtemp, readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/program.js";
import { Report } from "../../src/report/schema.js";
import { journaledBindings } from "../../src/journal/record.js";
import { runRollback } from "../support/reported.js";
import { startHarness, type Harness } from "../support/harness.js";
import {
  certs,
  changeCommands,
  expectRebound,
  expectSameBindings,
  mixedFleetSpecs,
  readJournal,
  rollout,
  rolloutKilledAt,
  snapshotFleet,
  tempJournal,
  writeNewCer,
  type FleetSnapshot,
} from "../support/rollout-fleet.js";

const resetTo = (h: Harness, snap: FleetSnapshot) => {
  for (const x of h.fleet.hosts) x.bindings = [...snap.get(x.name)!.values()].map((b) => ({ ...b, params: { ...b.params } }));
};

describe("rollback after a clean rollout", () => {
  let h: Harness;
  let before: FleetSnapshot;
  const { OLD, NEW } = certs();

  beforeAll(async () => {
    h = await startHarness(mixedFleetSpecs(8));
    before = snapshotFleet(h.fleet.hosts);
  });
  afterAll(async () => h?.close());

  it("restores every binding exactly; a second rollback changes nothing", async () => {
    const { path, journal } = await tempJournal();
    const { report } = await rollout(h.hosts, h.deps, journal);
    journal.close();
    expect(report.summary.changed).toBe(8);
    for (const host of h.fleet.hosts) expectRebound(host, before.get(host.name)!, OLD, NEW);
    expect((await stat(path)).mode & 0o777).toBe(0o600);

    const items = journaledBindings(readJournal(path).records);
    expect(items.length).toBe([...before.values()].flatMap((m) => [...m.values()]).filter((b) => b.certHash === OLD).length);
    const first = await runRollback(h.hosts, h.freshDeps(), { items, concurrency: 4 });
    Report.parse(first);
    expect(first.hosts.map((x) => `${x.name}:${x.status}`)).toEqual(h.hosts.map((x) => `${x.name}:changed`));
    for (const host of h.fleet.hosts) expectSameBindings(host, before.get(host.name)!);
    // 2012 R2 hosts went back by delete+add, the others by update
    for (const host of h.fleet.hosts.filter((x) => x.profile.os === "2012r2")) {
      expect(changeCommands(host).filter((c) => /add sslcert/.test(c) && c.includes(`certhash=${OLD}`)).length).toBeGreaterThan(0);
    }

    const marks = new Map(h.fleet.hosts.map((x) => [x.name, x.commandLog.length]));
    const second = await runRollback(h.hosts, h.freshDeps(), { items, concurrency: 4 });
    expect(second.hosts.map((x) => x.status)).toEqual(h.hosts.map(() => "unchanged"));
    expect(second.hosts.flatMap((x) => x.bindings.map((b) => b.action))).toEqual(items.map(() => "none"));
    for (const host of h.fleet.hosts) {
      expect(changeCommands(host, marks.get(host.name)), host.name).toEqual([]);
      expectSameBindings(host, before.get(host.name)!);
    }
  });

  it("the CLI: rollback twice, exit 0 both times, hosts exactly as before", async () => {
    resetTo(h, before);
    const { path, journal } = await tempJournal();
    await rollout(h.hosts, h.freshDeps(), journal);
    journal.close();
    for (const host of h.fleet.hosts) expectRebound(host, before.get(host.name)!, OLD, NEW);
    for (const round of [1, 2]) {
      const out = await mkdtemp(join(tmpdir(), `certfleet-rollback-${round}-`));
      const code = await runCli(["rollback", "--journal", path, "-i", h.files.inventory, "--yes", "--plain", "--out", out]);
      expect(code, `round ${round}`).toBe(0);
      const report = Report.parse(JSON.parse(await readFile(join(out, "report.json"), "utf8")));
      expect(report.command).toBe("rollback");
      expect(report.summary[round === 1 ? "changed" : "unchanged"]).toBe(8);
      for (const host of h.fleet.hosts) expectSameBindings(host, before.get(host.name)!);
    }
  });
});

describe("rollback after the orchestrator was killed (SIGKILL) mid-rollout", () => {
  let h: Harness;
  let before: FleetSnapshot;
  const { OLD } = certs();

  beforeAll(async () => {
    h = await startHarness(mixedFleetSpecs(10));
    before = snapshotFleet(h.fleet.hosts);
  });
  afterAll(async () => h?.close());

  // 1: the canary (2012 R2) has just deleted its first binding; 5: the 5th binding change;
  // 16: several hosts of the second wave half-way, in parallel
  it.each([1, 5, 16])("killed at binding change %i: rollback --journal brings every host back exactly", async (n) => {
    resetTo(h, before);
    const out = await mkdtemp(join(tmpdir(), "certfleet-kill-"));
    const cer = await writeNewCer(out);
    const killed = await rolloutKilledAt(h.fleet.hosts, n, { inventory: h.files.inventory, cer, out, extra: ["-c", "4"] });
    expect(killed.signal).toBe("SIGKILL");
    const touched = h.fleet.hosts.filter((x) => x.bindings.length !== before.get(x.name)!.size || x.bindings.some((b) => b.certHash !== before.get(x.name)!.get(`${b.kind}=${b.endpoint.toLowerCase()}`)?.certHash));
    expect(touched.length, "the crash left something changed").toBeGreaterThan(0);
    if (n === 1) expect(h.fleet.host("web01").bindings.length).toBe(before.get("web01")!.size - 1);

    const out2 = await mkdtemp(join(tmpdir(), "certfleet-rollback-"));
    const code = await runCli(["rollback", "--journal", killed.journal, "-i", h.files.inventory, "--yes", "--plain", "--out", out2]);
    const report = Report.parse(JSON.parse(await readFile(join(out2, "report.json"), "utf8")));
    expect(report.hosts.filter((x) => x.status !== "changed" && x.status !== "unchanged").map((x) => `${x.name}: ${x.status} ${x.error?.message ?? ""}`)).toEqual([]);
    expect(code).toBe(0);
    for (const host of h.fleet.hosts) expectSameBindings(host, before.get(host.name)!);
  });

  it("killed right after the delete on a German 2012 R2 host under PowerShell: rollback re-adds it with every setting", async () => {
    resetTo(h, before);
    const w5 = h.fleet.host("web05");
    expect(w5.profile).toMatchObject({ os: "2012r2", language: "de", shell: "powershell" });
    const out = await mkdtemp(join(tmpdir(), "certfleet-kill-"));
    const cer = await writeNewCer(out);
    const killed = await rolloutKilledAt(h.fleet.hosts, 1, {
      inventory: h.files.inventory,
      cer,
      out,
      extra: ["-c", "4"],
      counts: (host, c) => host === "web05" && c.certHash === null,
    });
    expect(killed.signal).toBe("SIGKILL");
    expect(w5.bindings.length).toBe(before.get("web05")!.size - 1);
    const journaled = readJournal(killed.journal).records.filter((r) => r.type === "intent" && r.host === "web05");
    expect(journaled.length).toBeGreaterThan(0);

    const code = await runCli(["rollback", "--journal", killed.journal, "-i", h.files.inventory, "--yes", "--plain", "--out", await mkdtemp(join(tmpdir(), "certfleet-rollback-"))]);
    expect(code).toBe(0);
    for (const host of h.fleet.hosts) expectSameBindings(host, before.get(host.name)!);
    expect([...before.get("web05")!.values()].some((b) => b.certHash === OLD && Object.values(b.params).includes("enable"))).toBe(true);
  });
});
