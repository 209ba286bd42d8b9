/**
 * A mixed simulated fleet through the CLI: some hosts over SSH, some over WinRM on HTTP with NTLM
 * and message encryption (a default Windows server), some over WinRM on HTTPS with a pinned
 * listener certificate. discover, rollout, verify and rollback run exactly as for the SSH fleet.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/program.js";
import { loadInventory } from "../../src/inventory/load.js";
import { Report } from "../../src/report/schema.js";
import { startFleet, type SimFleet } from "../../src/simulator/index.js";
import {
  certs,
  CLI_VERIFY,
  expectRebound,
  expectSameBindings,
  mixedFleetSpecs,
  snapshotFleet,
  writeNewCer,
  type FleetSnapshot,
} from "../support/rollout-fleet.js";

const PASSWORD_ENV = "CERTFLEET_SIM_PASSWORD";
let fleet: SimFleet;
let dir: string;
let inventory: string;
let cer: string;
let before: FleetSnapshot;
const savedEnv = process.env[PASSWORD_ENV];

const report = async (out: string) => Report.parse(JSON.parse(await readFile(join(out, "report.json"), "utf8")));

beforeAll(async () => {
  const specs = mixedFleetSpecs(9).map((s, i) => (i % 3 === 1 ? { ...s, winrm: {} } : i % 3 === 2 ? { ...s, winrm: { https: true } } : s));
  fleet = await startFleet(specs);
  process.env[PASSWORD_ENV] = fleet.password;
  dir = await mkdtemp(join(tmpdir(), "certfleet-winrm-e2e-"));
  ({ inventory } = await fleet.writeFiles(dir));
  cer = await writeNewCer(dir);
  before = snapshotFleet(fleet.hosts);
});
afterAll(async () => {
  if (savedEnv === undefined) delete process.env[PASSWORD_ENV];
  else process.env[PASSWORD_ENV] = savedEnv;
  await fleet?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("mixed SSH / WinRM-HTTP / WinRM-HTTPS fleet through the CLI", () => {
  it("the inventory resolves each host's transport and WinRM port", async () => {
    const inv = await loadInventory(inventory);
    expect(inv.hosts.map((h) => `${h.transport ?? "ssh"}${h.https ? "+https" : ""}`)).toEqual([
      "ssh", "winrm", "winrm+https", "ssh", "winrm", "winrm+https", "ssh", "winrm", "winrm+https",
    ]);
    for (const h of inv.hosts.filter((x) => x.transport === "winrm")) expect(h.port).toBe(fleet.host(h.name).winrm!.port);
  });

  it("discover: every host ok, every binding found, over its own transport", async () => {
    const out = join(dir, "discover");
    expect(await runCli(["discover", "-i", inventory, "--plain", "--out", out])).toBe(0);
    const r = await report(out);
    for (const host of fleet.hosts) {
      const h = r.hosts.find((x) => x.name === host.name)!;
      expect(h.status, `${host.name}: ${h.error?.message ?? ""}`).not.toBe("failed");
      expect(h.bindings.length, host.name).toBe(host.bindings.length);
    }
    for (const host of fleet.hosts.filter((x) => x.winrm)) {
      expect(host.winrm!.authorizationLog.length, host.name).toBeGreaterThan(0);
      expect(host.winrm!.openShells, `${host.name}: shell deleted after the visit`).toBe(0);
    }
  });

  it("rollout: every old binding moves to the new certificate, TLS-verified", async () => {
    const out = join(dir, "rollout");
    const code = await runCli(["rollout", "--new", cer, "-i", inventory, "--yes", "--plain", "--out", out, ...CLI_VERIFY]);
    const r = await report(out);
    expect(r.hosts.filter((x) => x.status !== "changed").map((x) => `${x.name}: ${x.status} ${x.error?.message ?? ""}`)).toEqual([]);
    expect(code).toBe(0);
    const { OLD, NEW } = certs();
    for (const host of fleet.hosts) expect(expectRebound(host, before.get(host.name)!, OLD, NEW), host.name).toBeGreaterThan(0);
  });

  it("verify: every endpoint serves the new certificate", async () => {
    const out = join(dir, "verify");
    expect(await runCli(["verify", "--expect", cer, "-i", inventory, "--plain", "--out", out])).toBe(0);
  });

  it("rollback: every binding back exactly as it was", async () => {
    const out = join(dir, "rollback");
    expect(await runCli(["rollback", "--journal", join(dir, "rollout", "journal.jsonl"), "-i", inventory, "--yes", "--plain", "--out", out])).toBe(0);
    for (const host of fleet.hosts) expectSameBindings(host, before.get(host.name)!);
    for (const host of fleet.hosts.filter((x) => x.winrm)) expect(host.winrm!.openShells, host.name).toBe(0);
  });
});
