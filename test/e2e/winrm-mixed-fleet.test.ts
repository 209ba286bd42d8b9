/**
 * A mixed simulated fleet through the CLI: some hosts over SSH, some over WinRM on HTTP with NTLM
 * and message encryption (a default Windows server), some over WinRM on HTTPS with a pinned
 * listener certificate. discover, rollout, verify and rollback run exactly as for the SSH fleet.
 */
import { runCliCaptured } from "../support/cli-capture.js";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadInventory } from "../../src/inventory/load.js";
import { Report } from "../../src/report/schema.js";
import { startFleet, type SimFleet } from "../../src/simulator/index.js";
import type { ResolvedHost } from "../../src/inventory/schema.js";
import { ConnectionPool } from "../../src/transport/pool.js";
import { connectWinrm } from "../../src/transport/winrm/index.js";
import { ntHash } from "../../src/transport/winrm/ntlm/keys.js";
import { OnceRegExp } from "../support/verifier-fleet.js";
import {
  certs,
  CLI_VERIFY,
  CLI_OWNER_MANAGED,
  expectRebound,
  expectSameBindings,
  mixedFleetSpecs,
  rollout,
  snapshotFleet,
  tempJournal,
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

/** Everything the CLI printed, kept to check that no secret was in it. */
const printed: string[] = [];
const cli = async (args: string[]): Promise<number> => (await runCliCaptured(args, (t) => printed.push(t))).code;

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
    expect(await cli(["discover", "-i", inventory, "--plain", "--out", out])).toBe(0);
    const r = await report(out);
    for (const host of fleet.hosts) {
      const h = r.hosts.find((x) => x.name === host.name)!;
      expect(h.transport, host.name).toBe(host.winrm ? "winrm" : "ssh");
      expect(h.status, `${host.name}: ${h.error?.message ?? ""}`).not.toBe("failed");
      expect(h.bindings.length, host.name).toBe(host.bindings.length);
    }
    expect(await readFile(join(out, "report.md"), "utf8")).toContain("**Transport** WinRM");
    for (const host of fleet.hosts.filter((x) => x.winrm)) {
      expect(host.winrm!.authorizationLog.length, host.name).toBeGreaterThan(0);
      expect(host.winrm!.openShells, `${host.name}: shell deleted after the visit`).toBe(0);
    }
  });

  it("rollout: every old binding moves to the new certificate, TLS-verified", async () => {
    const out = join(dir, "rollout");
    const code = await cli(["rollout", "--new", cer, "-i", inventory, "--yes", "--plain", "--out", out, ...CLI_VERIFY, ...CLI_OWNER_MANAGED]);
    const r = await report(out);
    expect(r.hosts.filter((x) => x.status !== "changed").map((x) => `${x.name}: ${x.status} ${x.error?.message ?? ""}`)).toEqual([]);
    expect(code).toBe(0);
    const { OLD, NEW } = certs();
    for (const host of fleet.hosts) expect(expectRebound(host, before.get(host.name)!, OLD, NEW), host.name).toBeGreaterThan(0);
  });

  it("verify: every endpoint serves the new certificate", async () => {
    const out = join(dir, "verify");
    expect(await cli(["verify", "--expect", cer, "-i", inventory, "--plain", "--out", out])).toBe(0);
  });

  it("rollback: every binding back exactly as it was", async () => {
    const out = join(dir, "rollback");
    expect(await cli(["rollback", "--journal", join(dir, "rollout", "journal.jsonl"), "-i", inventory, "--yes", "--plain", "--out", out])).toBe(0);
    for (const host of fleet.hosts) expectSameBindings(host, before.get(host.name)!);
    for (const host of fleet.hosts.filter((x) => x.winrm)) expect(host.winrm!.openShells, host.name).toBe(0);
  });

  it("no password or NT hash in any output, report or journal, in any encoding", async () => {
    const secrets = [Buffer.from(fleet.password, "utf8"), Buffer.from(fleet.password, "utf16le"), ntHash(fleet.password)];
    const forms = secrets.flatMap((b) => [b.toString("hex"), b.toString("hex").toUpperCase(), b.toString("base64").replace(/=+$/, "")]);
    forms.push(fleet.password);
    const files: string[] = [];
    for (const sub of ["discover", "rollout", "verify", "rollback"]) {
      for (const f of await readdir(join(dir, sub))) files.push(await readFile(join(dir, sub, f), "utf8"));
    }
    expect(printed.length).toBeGreaterThan(0);
    expect(files.length).toBeGreaterThan(10);
    for (const text of [...printed, ...files]) for (const form of forms) expect(text.includes(form), form).toBe(false);
  });
});

describe("a WinRM connection dropped after a delete (2012 R2: delete + add)", () => {
  it("reconnects, reads the real state and finishes the add, as over SSH", async () => {
    const spec = { ...mixedFleetSpecs(1)[0]!, winrm: {} };
    expect(spec.profile?.os).toBe("2012r2");
    const f = await startFleet([spec]);
    const d = await mkdtemp(join(tmpdir(), "certfleet-winrm-drop-"));
    try {
      const { inventory: inv } = await f.writeFiles(d, { winrmPasswordEnv: "DROP_TEST_PW" });
      const hosts: ResolvedHost[] = (await loadInventory(inv)).hosts;
      const sim = f.hosts[0]!;
      const snap = snapshotFleet(f.hosts);
      const drop = new OnceRegExp("delete sslcert");
      sim.faults.dropAfter = drop;
      const pool = new ConnectionPool<ResolvedHost>((h) => connectWinrm(h, { env: { DROP_TEST_PW: f.password }, commandTimeoutMs: 20_000 }));
      const { journal } = await tempJournal();
      const { report: r } = await rollout(hosts, { connect: (h) => pool.connect(h), now: () => new Date(), progress: {}, commandTimeoutMs: 20_000 }, journal);
      journal.close();
      await pool.closeAll();
      expect(drop.hits).toBe(1);
      const host = r.hosts[0]!;
      expect(host.status, `${host.error?.kind}: ${host.error?.message}`).toBe("changed");
      const { OLD, NEW } = certs();
      expectRebound(sim, snap.get(sim.name)!, OLD, NEW);
      // after the drop the binding was read back before anything else was sent
      const log = sim.commandLog;
      const i = log.findIndex((c) => /delete sslcert/.test(c));
      expect(log[i + 1]).toMatch(/show sslcert/);
      // Windows keeps the dropped connection's shell until its idle timeout: the reconnect deleted it
      expect(sim.winrm!.openShells).toBe(0);
    } finally {
      await f.stop();
      await rm(d, { recursive: true, force: true });
    }
  });
});

describe("WinRM hosts that refuse or cannot be reached, in the report", () => {
  it("refused credentials: kind auth with the server's reason; a closed listener: unreachable; the others fine; each remedy for its own transport, in every report and printed", async () => {
    const [a, b, c, d4, e5] = mixedFleetSpecs(5);
    const f = await startFleet([
      { ...a!, winrm: {}, faults: { badAuth: true } },
      { ...b!, winrm: { https: true } },
      { ...c!, winrm: {} },
      { ...d4! },
      // logs on over WinRM (Remote Management Users, say) but is not an administrator
      { ...e5!, winrm: {}, faults: { notElevated: true } },
    ]);
    // Closed once every host listens: a port closed during the start could be taken by another
    // host's listener starting beside it (then TLS meets someone else's certificate).
    await f.hosts[1]!.setFaults({ unreachable: true });
    await f.hosts[3]!.setFaults({ unreachable: true });
    const d = await mkdtemp(join(tmpdir(), "certfleet-winrm-refused-"));
    const saved = process.env.REFUSED_TEST_PW;
    process.env.REFUSED_TEST_PW = f.password;
    try {
      const { inventory: inv } = await f.writeFiles(d, { winrmPasswordEnv: "REFUSED_TEST_PW" });
      const out = join(d, "discover");
      const run = await runCliCaptured(["discover", "-i", inv, "--plain", "--out", out]);
      expect(run.code).toBe(1);
      const r = await report(out);
      const [refused, closed, fine, sshClosed, notAdmin] = r.hosts;
      expect(refused!.error?.kind).toBe("auth");
      expect(refused!.error?.message).toMatch(/refused the credentials of certadmin/);
      expect(refused!.error?.remote).toBe("HTTP 401 Unauthorized: Access is denied.");
      expect(closed!.error?.kind).toBe("unreachable");
      expect(closed!.error?.message).toMatch(/ECONNREFUSED/);
      expect(fine!.status).toBe("ok");
      expect(sshClosed!.error?.message).toMatch(/ECONNREFUSED/);
      expect(notAdmin!.status).toBe("ok");
      expect(r.hosts.map((h) => h.transport)).toEqual(["winrm", "winrm", "winrm", "ssh", "winrm"]);

      // report.json: the cause and fix of the transport each host was reached by
      expect(refused!.remedy?.cause).toMatch(/^the WinRM listener refused the logon \(HTTP 401\)/);
      expect(refused!.remedy?.fix).toMatch(/LocalAccountTokenFilterPolicy/);
      expect(closed!.remedy?.cause).toMatch(/^nothing accepts WinRM on that address and port/);
      expect(closed!.remedy?.fix).toMatch(/winrm quickconfig \(or Enable-PSRemoting -Force\)/);
      expect(sshClosed!.remedy?.fix).toBe("start the OpenSSH Server service (sshd) and open the port in the firewall, or correct port in the inventory");
      for (const h of [refused!, closed!]) expect(`${h.remedy?.cause} ${h.remedy?.fix}`, h.name).not.toMatch(/SSH|sshd|authorized_keys|known_hosts/);

      // every other format and the printed summary show the same remedy
      const files = await Promise.all(["report.md", "report.html", "junit.xml"].map((n) => readFile(join(out, n), "utf8")));
      for (const text of [...files, run.stdout]) {
        expect(text).toContain("the WinRM listener refused the logon (HTTP 401)");
        expect(text).toContain("winrm quickconfig");
        expect(text).toContain("start the OpenSSH Server service (sshd)");
        // a format shows each refused host's remedy as often as the other's: the SSH fix is the SSH host's only
        const count = (needle: string) => text.split(needle).length - 1;
        expect(count("start the OpenSSH Server service")).toBe(count("nothing accepts WinRM"));
        expect(text).not.toContain("the SSH session is not elevated");
      }
      const lines = run.stdout.split("\n");
      const why = (name: string) => lines.find((l) => l.startsWith(`  ${name}  why: `));
      expect(why(refused!.name)).toMatch(/why: the WinRM listener refused the logon/);
      expect(why(closed!.name)).toMatch(/why: nothing accepts WinRM/);

      // plan prints the run summary: the same remedies under each failed host
      const plan = await runCliCaptured(["plan", "-i", inv, "--new", certs().NEW, "--plain", "--out", join(d, "plan")]);
      expect(plan.code).toBe(1);
      expect(plan.stdout).toMatch(new RegExp(`${refused!.name}[^]*?why: the WinRM listener refused the logon`));
      expect(plan.stdout).toMatch(new RegExp(`${closed!.name}[^]*?why: nothing accepts WinRM`));
      expect(plan.stdout).toMatch(new RegExp(`${sshClosed!.name}[^]*?why: nothing accepts SSH`));
      // not elevated over WinRM: the account is not an administrator, not "the SSH session"
      expect(plan.stdout).toMatch(new RegExp(`${notAdmin!.name}[^]*?why: the account may log on over WinRM but is not an administrator`));
      expect(plan.stdout).toContain("LocalAccountTokenFilterPolicy=1");
      expect(plan.stdout).not.toContain("the SSH session is not elevated");
      const planned = await report(join(d, "plan"));
      expect(planned.hosts.find((h) => h.name === notAdmin!.name)?.remedy?.fix).toMatch(/^use an account in the host's Administrators group/);
      // the longer WinRM causes and fixes still wrap at 80 columns
      for (const l of plan.stdout.split("\n").filter((x) => /(why|fix): /.test(x))) expect(l.length, l).toBeLessThanOrEqual(80);
    } finally {
      if (saved === undefined) delete process.env.REFUSED_TEST_PW;
      else process.env.REFUSED_TEST_PW = saved;
      await f.stop();
      await rm(d, { recursive: true, force: true });
    }
  });
});
