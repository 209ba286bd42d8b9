/**
 * Mistakes an operator makes at 2 a.m. that used to pass in silence: each is refused with one
 * clear line and exit 2 before any host is contacted, or (after discovery) blocks the host.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { startFleet, type FleetFiles, type SimFleet } from "../../src/simulator/index.js";
import { certs, mixedFleetSpecs } from "../support/rollout-fleet.js";

const MAIN = resolve(import.meta.dirname, "../../dist/cli/main.js");

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [MAIN, ...args], { env: { ...process.env, CI: "1" }, timeout: 60_000 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** the one line a refusal prints (no torn-write flood, no stack trace) */
function oneLine(stderr: string): string {
  const lines = stderr.trim().split("\n");
  expect(lines, stderr).toHaveLength(1);
  return lines[0]!;
}

describe("no silent mistake", () => {
  let fleet: SimFleet;
  let files: FleetFiles;
  let dir: string;
  const { OLD, NEW } = certs();
  const contacted = () => fleet.hosts.filter((h) => h.commandLog.length > 0).map((h) => h.name);

  beforeAll(async () => {
    fleet = await startFleet(mixedFleetSpecs(2));
    dir = await mkdtemp(join(tmpdir(), "certfleet-mistakes-"));
    files = await fleet.writeFiles(dir);
  });
  afterAll(async () => fleet?.stop());

  it("a file that is not a certfleet journal: exit 2, one line, nothing contacted", async () => {
    const report = join(dir, "report.json");
    await writeFile(report, JSON.stringify({ command: "rollout", hosts: [{ name: "web01" }] }, null, 2));
    for (const file of [report, "/etc/hostname"]) {
      const r = await cli(["rollback", "--journal", file, "-i", files.inventory, "--yes"]);
      expect(r.code, r.stderr).toBe(2);
      expect(oneLine(r.stderr)).toContain(`${file} is not a certfleet journal`);
    }
    const resumed = await cli(["rollout", "--new", NEW, "--resume", report, "-i", files.inventory, "--yes"]);
    expect(resumed.code).toBe(2);
    expect(oneLine(resumed.stderr)).toContain("is not a certfleet journal");
    expect(contacted()).toEqual([]);
  });

  it("parse that recognises nothing exits non-zero and says what it expected", async () => {
    const r = await cli(["parse", "netsh", "/etc/hostname"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("recognised no binding");
    const c = await cli(["parse", "certutil", "/etc/hostname"]);
    expect(c.code).not.toBe(0);
    expect(c.stderr).toContain("recognised no certificate");
  });

  it("--canary 0 is refused", async () => {
    const r = await cli(["rollout", "--new", NEW, "--canary", "0", "-i", files.inventory, "--yes"]);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toContain("--canary 0 would skip the canary");
    expect(contacted()).toEqual([]);
  });

  it("--resume with another --new than the journal's run is refused", async () => {
    const journal = join(dir, "other-run.jsonl");
    await writeFile(journal, `${JSON.stringify({ type: "run", runId: "r1", at: "2026-11-25T02:00:00.000Z", command: "rollout", newThumbprint: NEW })}\n`);
    const r = await cli(["rollout", "--new", OLD, "--old", NEW, "--resume", journal, "-i", files.inventory, "--yes"]);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toContain(`that run rolled out ${NEW}, not ${OLD}`);
    expect(contacted()).toEqual([]);
  });

  it("a mistyped .pfx name is said as such, before any password is asked for", async () => {
    const r = await cli(["rollout", "--new", join(dir, "renewd.pfx"), "-i", files.inventory, "--yes"]);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toContain(`--new: cannot read "${join(dir, "renewd.pfx")}" as a certificate file (ENOENT)`);
    expect(r.stderr).not.toMatch(/password/i);
    expect(contacted()).toEqual([]);
  });

  it("a missing identityFile is bad input before any host, named once", async () => {
    const doc = parse(await readFile(files.inventory, "utf8")) as { defaults: Record<string, unknown> };
    doc.defaults.identityFile = join(dir, "no-such-key");
    const inv = join(dir, "missing-key.yaml");
    await writeFile(inv, stringify(doc));
    const r = await cli(["discover", "-i", inv]);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toContain(`identityFile ${join(dir, "no-such-key")} (for 2 hosts`);
    expect(contacted()).toEqual([]);
  });

  it("an --out that already holds a report is refused, and says how to go on", async () => {
    const out = join(dir, "earlier-run");
    await mkdir(out);
    await writeFile(join(out, "report.json"), "{}");
    const r = await cli(["plan", "--new", NEW, "-i", files.inventory, "--out", out]);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toContain("already holds a report from an earlier run: choose another folder");
    expect(await readFile(join(out, "report.json"), "utf8")).toBe("{}");
    expect(contacted()).toEqual([]);
  });

  it("after discovery: a --new no host holds, or the old thumbprint as --new, blocks every host (exit 1)", async () => {
    const stranger = "12".repeat(20);
    const absent = await cli(["plan", "--new", stranger, "-i", files.inventory, "--out", join(dir, "plan-absent")]);
    expect(absent.code).toBe(1);
    const flat = (t: string) => t.replace(/\s+/g, " ");
    expect(flat(absent.stdout)).toContain(`the new certificate ${stranger} is not in this host's LocalMachine\\My store`);
    expect(flat(absent.stdout)).toContain("why: the new certificate is not on this host");
    expect(absent.stdout).not.toMatch(/unchanged\s+-?\s*0 binding/);
    // the fleet binds the old certificate and holds its renewal: the old thumbprint as --new
    const swapped = await cli(["plan", "--new", OLD, "-i", files.inventory, "--out", join(dir, "plan-swapped")]);
    expect(swapped.code).toBe(1);
    expect(flat(swapped.stdout)).toContain(`--new ${OLD}`);
    expect(flat(swapped.stdout)).toContain(`is older than ${NEW}`);
    expect(flat(swapped.stdout)).toContain("why: --new names an older certificate");
  });
});
