/**
 * Issue 9 item 4: the journal records where each host was (address, port, host key
 * fingerprint); rollback and resume use it and stop (exit 2) before touching a host the
 * inventory now places elsewhere, or that presents another host key than the journal's.
 */
import { runCliCaptured } from "../support/cli-capture.js";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { Report } from "../../src/report/schema.js";
import { startHarness, type Harness } from "../support/harness.js";
import { certs, expectRebound, expectSameBindings, mixedFleetSpecs, readJournal, rollout, snapshotFleet, tempJournal, writeNewCer, type FleetSnapshot } from "../support/rollout-fleet.js";

const cli = (args: string[]) => runCliCaptured(args);

describe("the journal records where each host was", () => {
  let h: Harness;
  let before: FleetSnapshot;
  let journalPath: string;
  const { OLD, NEW } = certs();

  beforeAll(async () => {
    h = await startHarness(mixedFleetSpecs(3));
    before = snapshotFleet(h.fleet.hosts);
  });
  afterAll(async () => h?.close());
  beforeEach(async () => {
    for (const x of h.fleet.hosts) x.bindings = [...before.get(x.name)!.values()].map((b) => ({ ...b, params: { ...b.params } }));
    const { path, journal } = await tempJournal();
    await rollout(h.hosts, h.freshDeps(), journal);
    journal.close();
    journalPath = path;
  });

  it("every intent record holds the host's address, SSH port and host key fingerprint", () => {
    const intents = readJournal(journalPath).records.filter((r) => r.type === "intent");
    expect(intents.length).toBeGreaterThan(0);
    for (const r of intents) {
      if (r.type !== "intent") continue;
      const sim = h.fleet.host(r.host);
      expect({ address: r.address, port: r.port, hostKey: r.hostKey }, r.host).toEqual({ address: "127.0.0.1", port: sim.sshPort, hostKey: sim.hostKeyFingerprint });
    }
  });

  it("rollback stops with exit 2 before contacting any host when the inventory moved a journaled host", async () => {
    const inv = parse(await readFile(h.files.inventory, "utf8")) as { hosts: Record<string, { port: number }> };
    // web02's entry now points at web03's SSH server: certfleet must not "restore" web02's records there.
    inv.hosts.web02!.port = h.fleet.host("web03").sshPort;
    const moved = join(dirname(h.files.inventory), "moved.yaml");
    await writeFile(moved, stringify(inv));
    const marks = new Map(h.fleet.hosts.map((x) => [x.name, x.commandLog.length]));
    const run = await cli(["rollback", "--journal", journalPath, "-i", moved, "--yes", "--plain", "--out", await mkdtemp(join(tmpdir(), "certfleet-where-"))]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(new RegExp(`host web02: the journal recorded it at 127\\.0\\.0\\.1:${h.fleet.host("web02").sshPort}, the inventory now says 127\\.0\\.0\\.1:${h.fleet.host("web03").sshPort}`));
    for (const sim of h.fleet.hosts) {
      expect(sim.commandLog.length, sim.name).toBe(marks.get(sim.name));
      expectRebound(sim, before.get(sim.name)!, OLD, NEW);
    }
  });

  it("rollout --resume stops the same way for a half-done host the inventory moved", async () => {
    // A half-done binding on web02: an intent without its done record.
    const lines = (await readFile(journalPath, "utf8")).split("\n").filter((l) => l.trim() !== "");
    const firstWeb02Done = lines.findIndex((l) => l.includes('"type":"done"') && l.includes('"host":"web02"'));
    const halfDone = join(dirname(journalPath), "half-done.jsonl");
    await writeFile(halfDone, `${lines.filter((_, i) => i !== firstWeb02Done).join("\n")}\n`, { mode: 0o600 });
    const inv = parse(await readFile(h.files.inventory, "utf8")) as { hosts: Record<string, { address: string }> };
    inv.hosts.web02!.address = "localhost";
    const moved = join(dirname(h.files.inventory), "moved-address.yaml");
    await writeFile(moved, stringify(inv));
    const marks = new Map(h.fleet.hosts.map((x) => [x.name, x.commandLog.length]));
    const out = await mkdtemp(join(tmpdir(), "certfleet-where-resume-"));
    const run = await cli(["rollout", "--new", await writeNewCer(out), "--resume", halfDone, "-i", moved, "--yes", "--plain", "--out", out]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/host web02: the journal recorded it at 127\.0\.0\.1:\d+, the inventory now says localhost:\d+/);
    for (const sim of h.fleet.hosts) expect(sim.commandLog.length, sim.name).toBe(marks.get(sim.name));
  });

  it("a host that presents another host key than the journal's is not touched; the others are restored; exit 2", async () => {
    // The journal says web02 had another key (the server was reinstalled and known_hosts updated since).
    const other = h.fleet.host("web01").hostKeyFingerprint;
    const text = (await readFile(journalPath, "utf8")).replaceAll(h.fleet.host("web02").hostKeyFingerprint, other);
    const tampered = join(dirname(journalPath), "other-key.jsonl");
    await writeFile(tampered, text, { mode: 0o600 });
    const web02 = h.fleet.host("web02");
    const mark = web02.commandLog.length;
    const out = await mkdtemp(join(tmpdir(), "certfleet-where-key-"));
    const run = await cli(["rollback", "--journal", tampered, "-i", h.files.inventory, "--yes", "--plain", "--out", out]);
    expect(run.code).toBe(2);
    const report = Report.parse(JSON.parse(await readFile(join(out, "report.json"), "utf8")));
    const bad = report.hosts.find((x) => x.name === "web02")!;
    expect(bad.status).toBe("failed");
    expect(bad.error?.message).toContain(`the journal recorded ${other} for it: stopped before touching it`);
    expect(web02.commandLog.length).toBe(mark);
    expectRebound(web02, before.get("web02")!, OLD, NEW);
    for (const name of ["web01", "web03"]) {
      expect(report.hosts.find((x) => x.name === name)?.status).toBe("changed");
      expectSameBindings(h.fleet.host(name), before.get(name)!);
    }
  });

  it("rollout --resume: a half-done host that presents another host key than the journal's is not touched; exit 2", async () => {
    // web02 half-done (an intent without its done record), and the journal says it had another key.
    const lines = (await readFile(journalPath, "utf8")).split("\n").filter((l) => l.trim() !== "");
    const firstWeb02Done = lines.findIndex((l) => l.includes('"type":"done"') && l.includes('"host":"web02"'));
    const other = h.fleet.host("web01").hostKeyFingerprint;
    const text = `${lines.filter((_, i) => i !== firstWeb02Done).join("\n")}\n`.replaceAll(h.fleet.host("web02").hostKeyFingerprint, other);
    const tampered = join(dirname(journalPath), "half-done-other-key.jsonl");
    await writeFile(tampered, text, { mode: 0o600 });
    const web02 = h.fleet.host("web02");
    const mark = web02.commandLog.length;
    const out = await mkdtemp(join(tmpdir(), "certfleet-where-resume-key-"));
    const run = await cli(["rollout", "--new", await writeNewCer(out), "--resume", tampered, "-i", h.files.inventory, "--yes", "--plain", "--out", out]);
    expect(run.code, run.stdout + run.stderr).toBe(2);
    const report = Report.parse(JSON.parse(await readFile(join(out, "report.json"), "utf8")));
    const bad = report.hosts.find((x) => x.name === "web02")!;
    expect(bad.status).toBe("failed");
    expect(bad.error?.message).toContain(`the journal recorded ${other} for it`);
    expect(web02.commandLog.length).toBe(mark);
  });
});
