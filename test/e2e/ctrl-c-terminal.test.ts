/**
 * Ctrl-C in a real terminal: the CLI runs in a pseudo-terminal (listr2's interactive renderer,
 * not the plain CI lines), and the interrupt is typed as a keystroke, as an operator would.
 */
import { existsSync } from "node:fs";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Report } from "../../src/report/schema.js";
import { startFleet, type FleetFiles, type SimFleet } from "../../src/simulator/index.js";
import { runInPty } from "../support/pty.js";
import { bindingMap, certs, expectSameBindings, mixedFleetSpecs, onNthChange, snapshotFleet, type FleetSnapshot } from "../support/rollout-fleet.js";

const CLI = join(process.cwd(), "dist/cli/main.js");

describe("Ctrl-C in a terminal (listr2 renderer, pseudo-terminal)", () => {
  let fleet: SimFleet;
  let files: FleetFiles;
  let before: FleetSnapshot;
  const { OLD, NEW } = certs();

  beforeAll(async () => {
    fleet = await startFleet(mixedFleetSpecs(6));
    files = await fleet.writeFiles(await mkdtemp(join(tmpdir(), "certfleet-pty-")));
    before = snapshotFleet(fleet.hosts);
  });
  afterAll(async () => fleet?.stop());

  it("one Ctrl-C mid-host: no new host starts, the host in progress ends whole, the report is written, exit 130", async () => {
    const out = await mkdtemp(join(tmpdir(), "certfleet-pty-out-"));
    const run = runInPty([process.execPath, CLI, "rollout", "-i", files.inventory, "--new", NEW, "--canary", "1", "--batch", "1", "-c", "1", "--yes", "--verify-window", "2", "--verify-interval", "0.1", "--out", out]);
    const hook = onNthChange(fleet.hosts, 1, () => run.type("\x03"));
    const code = await run.exited;
    hook.restore();
    const screen = run.screen();

    expect(code, screen).toBe(130);
    expect(screen).toContain("stopping: no new host starts");
    expect(screen).not.toContain("Interrupted.");
    expect(screen).toContain(`certfleet rollback --journal ${join(out, "journal.jsonl")}`);
    expect(screen).toContain(`certfleet rollout --resume ${join(out, "journal.jsonl")}`);
    const report = Report.parse(JSON.parse(await readFile(join(out, "report.json"), "utf8")));
    expect(["changed", "failed"]).toContain(report.hosts[0]!.status);
    expect(report.hosts.slice(1).every((h) => h.status === "halted")).toBe(true);
    // The host in progress ended whole: every old binding moved, or none did.
    const web01 = fleet.hosts[0]!;
    const was = before.get(web01.name)!;
    const now = bindingMap(web01);
    const moved = [...was.values()].filter((b) => b.certHash === OLD).map((b) => now.get(`${b.kind}=${b.endpoint.toLowerCase()}`)!.certHash);
    expect(moved.length).toBeGreaterThan(0);
    expect(new Set(moved).size).toBe(1);
    expect(now.size).toBe(was.size);
    for (const h of fleet.hosts.slice(1)) expectSameBindings(h, before.get(h.name)!);
  });

  it("a second Ctrl-C exits at once and says how to go on from the journal", async () => {
    const out = await mkdtemp(join(tmpdir(), "certfleet-pty-out-"));
    const run = runInPty([process.execPath, CLI, "rollout", "-i", files.inventory, "--new", NEW, "-l", "web04,web05", "--canary", "1", "-c", "1", "--yes", "--verify-window", "2", "--verify-interval", "0.1", "--out", out]);
    // the change in progress never answers (a hung host): only a second Ctrl-C ends the run
    const web04 = fleet.host("web04");
    const hook = onNthChange(fleet.hosts, 1, () => {
      web04.faults.hangOn = /./;
      run.type("\x03");
    });
    await run.waitFor("stopping: no new host starts");
    run.type("\x03");
    const code = await run.exited;
    hook.restore();
    web04.faults.hangOn = undefined;
    const screen = run.screen();
    expect(code, screen).toBe(130);
    expect(screen).toContain("aborted at once (second Ctrl-C)");
    expect(screen).toContain(`certfleet rollback --journal ${join(out, "journal.jsonl")}`);
    expect(existsSync(join(out, "journal.jsonl"))).toBe(true);
  });

  it("Ctrl-C at the confirmation prompt: aborted, nothing changed, exit 130, no stack trace", async () => {
    const out = await mkdtemp(join(tmpdir(), "certfleet-pty-out-"));
    const snapshot = snapshotFleet(fleet.hosts);
    const run = runInPty([process.execPath, CLI, "rollout", "-i", files.inventory, "--new", NEW, "-l", "web02,web03", "--out", out]);
    await run.waitFor("[y/N]");
    run.type("\x03");
    const code = await run.exited;
    const screen = run.screen();
    expect(code, screen).toBe(130);
    expect(screen).toContain("aborted, nothing changed");
    expect(screen).not.toMatch(/internal error|at .*\.js:\d+/);
    expect(existsSync(join(out, "journal.jsonl"))).toBe(false);
    for (const h of fleet.hosts) expectSameBindings(h, snapshot.get(h.name)!);
  });
});
