/**
 * Ctrl-C during a rollout: the first SIGINT starts no new host and lets the hosts in progress end
 * fully rebound or fully as they were; the run exits 130 and says how to go on.
 */
import { spawn } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Report } from "../../src/report/schema.js";
import { startFleet, type SimFleet } from "../../src/simulator/index.js";
import type { FleetFiles } from "../../src/simulator/index.js";
import { readFile } from "node:fs/promises";
import { bindingMap, certs, expectSameBindings, mixedFleetSpecs, onNthChange, snapshotFleet, type FleetSnapshot } from "../support/rollout-fleet.js";

describe("Ctrl-C during a rollout", () => {
  let fleet: SimFleet;
  let files: FleetFiles;
  let before: FleetSnapshot;
  const { OLD, NEW } = certs();

  beforeAll(async () => {
    fleet = await startFleet(mixedFleetSpecs(6));
    files = await fleet.writeFiles(await mkdtemp(join(tmpdir(), "certfleet-ctrlc-")));
    before = snapshotFleet(fleet.hosts);
  });
  afterAll(async () => fleet?.stop());

  it("stops starting hosts, finishes the ones in progress safely, exits 130", async () => {
    const out = await mkdtemp(join(tmpdir(), "certfleet-ctrlc-out-"));
    // Canary web01 first, then the rest one at a time: the interrupt lands while web01 changes.
    const child = spawn(
      process.execPath,
      ["dist/cli/main.js", "rollout", "-i", files.inventory, "--new", NEW, "--canary", "1", "--batch", "1", "-c", "1", "--yes", "--verify-window", "2", "--verify-interval", "0.1", "--out", out],
      { env: { ...process.env, CI: "1" }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const hook = onNthChange(fleet.hosts, 1, () => child.kill("SIGINT"));
    const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
    hook.restore();

    expect(code).toBe(130);
    expect(stderr).toContain("stopping: no new host starts");
    expect(stderr).toContain("rollback --journal");
    const report = Report.parse(JSON.parse(await readFile(join(out, "report.json"), "utf8")));
    const first = report.hosts[0]!;
    expect(["changed", "failed"]).toContain(first.status);
    expect(report.hosts.slice(1).every((h) => h.status === "halted")).toBe(true);
    // The host in progress ended whole: every old binding moved, or none did.
    const web01 = fleet.hosts[0]!;
    const was = before.get(web01.name)!;
    const now = bindingMap(web01);
    const moved = [...was.values()].filter((b) => b.certHash === OLD).map((b) => now.get(`${b.kind}=${b.endpoint.toLowerCase()}`)!.certHash);
    expect(new Set(moved).size).toBe(1);
    expect(now.size).toBe(was.size);
    // Every other host is untouched.
    for (const h of fleet.hosts.slice(1)) expectSameBindings(h, before.get(h.name)!);
  });
});
