/**
 * Issue 14 item 3: `rollback -l` selects among the journal's hosts. The others are skipped and
 * said to be skipped (not failed, no exit 1, no command printed for them); a journal host the
 * inventory no longer has is reported once, with no command that deletes anything.
 */
import { runCliCaptured } from "../support/cli-capture.js";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { Report } from "../../src/report/schema.js";
import { startHarness, type Harness } from "../support/harness.js";
import { certs, changeCommands, expectRebound, expectSameBindings, mixedFleetSpecs, rollout, snapshotFleet, tempJournal, type FleetSnapshot } from "../support/rollout-fleet.js";

const cli = (args: string[]) => runCliCaptured(args);

describe("rollback -l", () => {
  let h: Harness;
  let before: FleetSnapshot;
  let journalPath: string;
  const { OLD, NEW } = certs();

  beforeAll(async () => {
    h = await startHarness(mixedFleetSpecs(5));
    before = snapshotFleet(h.fleet.hosts);
    const { path, journal } = await tempJournal();
    await rollout(h.hosts, h.deps, journal);
    journal.close();
    journalPath = path;
    for (const sim of h.fleet.hosts) expectRebound(sim, before.get(sim.name)!, OLD, NEW);
  });
  afterAll(async () => h?.close());

  it("touches and reports only the selected host; the others are skipped, not failed, and get no command", async () => {
    const marks = new Map(h.fleet.hosts.map((x) => [x.name, x.commandLog.length]));
    const out = await mkdtemp(join(tmpdir(), "certfleet-rollback-l-"));
    const run = await cli(["rollback", "--journal", journalPath, "-i", h.files.inventory, "-l", "web02", "--yes", "--plain", "--out", out]);
    expect(run.code, run.stderr).toBe(0);
    const report = Report.parse(JSON.parse(await readFile(join(out, "report.json"), "utf8")));
    expect(report.hosts.map((x) => `${x.name}:${x.status}`)).toEqual(["web02:changed"]);
    expect(report.skippedHosts).toEqual(["web01", "web03", "web04", "web05"]);
    expectSameBindings(h.fleet.host("web02"), before.get("web02")!);
    for (const sim of h.fleet.hosts.filter((x) => x.name !== "web02")) {
      expect(sim.commandLog.length, `${sim.name} was not contacted`).toBe(marks.get(sim.name));
      expectRebound(sim, before.get(sim.name)!, OLD, NEW);
    }
    expect(run.stdout).not.toMatch(/netsh|restore by hand|not in the inventory/);
    expect(run.stdout).toMatch(/skipped \(not selected by -l; not touched\): 4 host\(s\)/);
  });

  it("a journal host missing from the inventory is reported once, never examined, with no command that deletes", async () => {
    const inv = parse(await readFile(h.files.inventory, "utf8")) as { hosts: Record<string, unknown> };
    delete inv.hosts.web04;
    // Beside the original: the key and known_hosts paths in it are relative to its folder.
    const smaller = join(dirname(h.files.inventory), "without-web04.yaml");
    await writeFile(smaller, stringify(inv));
    const web04 = h.fleet.host("web04");
    const mark = web04.commandLog.length;
    const out = await mkdtemp(join(tmpdir(), "certfleet-rollback-missing-"));
    const run = await cli(["rollback", "--journal", journalPath, "-i", smaller, "-l", "web04,web05", "--yes", "--plain", "--out", out]);
    const report = Report.parse(JSON.parse(await readFile(join(out, "report.json"), "utf8")));
    expect(report.hosts.map((x) => `${x.name}:${x.status}`)).toEqual(["web05:changed", "web04:needs-attention"]);
    const missing = report.hosts.find((x) => x.name === "web04")!;
    expect(missing.error?.message).toMatch(/in the journal .* but not in the inventory: it was not examined/);
    expect(missing.bindings.every((b) => b.manualCommand === undefined && b.certHash === OLD)).toBe(true);
    expect(run.stdout).not.toMatch(/delete sslcert/);
    // One row for the host (its message and remedy may wrap under it, and the next command names it).
    expect(run.stdout.split("\n").filter((l) => /^\s+web04\s/.test(l)), run.stdout).toHaveLength(1);
    expect(web04.commandLog.length).toBe(mark);
    expect(changeCommands(web04, mark)).toEqual([]);
    expect(run.code).toBe(1);
  });
});
