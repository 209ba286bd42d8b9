/**
 * The live progress of a 40-host rollout in a real 80x24 terminal (pseudo-terminal, listr2's
 * renderer): every frame fits the screen, lists only the hosts at work or with a problem, and
 * carries the counters and the failure budget.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFleet, type FleetFiles, type SimFleet } from "../../src/simulator/index.js";
import { runInPty } from "../support/pty.js";
import { certs, mixedFleetSpecs } from "../support/rollout-fleet.js";

const CLI = join(process.cwd(), "dist/cli/main.js");
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

describe("progress of a 40-host rollout at 80x24", () => {
  let fleet: SimFleet;
  let files: FleetFiles;
  beforeAll(async () => {
    fleet = await startFleet(mixedFleetSpecs(40));
    files = await fleet.writeFiles(await mkdtemp(join(tmpdir(), "certfleet-progress-")));
  });
  afterAll(async () => fleet?.stop());

  it("every frame fits the screen and shows only hosts at work or with a problem", async () => {
    const out = await mkdtemp(join(tmpdir(), "certfleet-progress-out-"));
    const { NEW } = certs();
    const run = runInPty([process.execPath, CLI, "rollout", "-i", files.inventory, "--new", NEW, "--canary", "1", "--batch", "25%", "--max-failures", "2", "-c", "5", "--yes", "--rebind-owner-managed", "--verify-window", "2", "--verify-interval", "0.1", "--out", out]);
    const code = await run.exited;
    expect(code, run.screen()).toBe(0);
    // listr2 redraws by erasing the previous frame (clear line, cursor up, ...): split on that
    const frames = run
      .screen()
      .split(/(?:\x1b\[2K\x1b\[1A)+\x1b\[2K\x1b\[G/)
      .map((f) => f.replace(ANSI, "").split(/\r?\n/).filter((l) => l.trim() !== ""))
      .filter((lines) => lines.some((l) => /rollout: \d+\/40 done/.test(l)));
    expect(frames.length).toBeGreaterThan(5);
    for (const lines of frames) {
      // the view: its title line and the indented lines under it (what follows is the summary)
      const start = lines.findIndex((l) => /rollout: \d+\/40 done/.test(l));
      const end = lines.findIndex((l, i) => i > start && !l.startsWith("  "));
      const view = lines.slice(start, end < 0 ? undefined : end);
      expect(view.length, view.join("\n")).toBeLessThanOrEqual(20);
      for (const l of view) expect(l.length, l).toBeLessThanOrEqual(80);
      expect(view[0]).toMatch(/rollout: \d+\/40 done · \d+ changed · \d+ failed · \d+ left · budget \d+\/2 failed/);
      // at most -c hosts at work are drawn; never the hosts still waiting for their turn
      expect(view.filter((l) => l.includes("▸ ")).length).toBeLessThanOrEqual(5);
    }
    const last = frames.at(-1)!;
    expect(last.join("\n")).toMatch(/rollout: 40\/40 done · 40 changed · 0 failed · 0 left/);
  });
});
