/**
 * Issue 3 "Done when", over real SSH to the simulated fleet: rollout moves exactly the bindings on
 * the old certificate and keeps every setting; failures stay within their host and the budget;
 * crashes and dropped sessions end rebound or restored, never missing; re-runs and dry-runs change
 * nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Report } from "../../src/report/schema.js";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { APPID } from "../../src/simulator/index.js";
import { startHarness, type Harness } from "../support/harness.js";
import { runCli } from "../../src/cli/program.js";
import { exitCodeFor } from "../../src/cli/output.js";
import { addBindingCommand } from "../../src/windows/commands.js";
import { journaledBindings } from "../../src/journal/record.js";
import {
  CLI_VERIFY,
  CLI_OWNER_MANAGED,
  certs,
  expectSameBindings,
  rolloutKilledAt,
  writeNewCer,
  changeCommands,
  countVerb,
  expectRebound,
  mixedFleetSpecs,
  readJournal,
  rollout,
  snapshotFleet,
  tempJournal,
  type FleetSnapshot,
} from "../support/rollout-fleet.js";

describe("rollout over 30 mixed hosts", () => {
  let h: Harness;
  let before: FleetSnapshot;
  const { OLD, NEW } = certs();

  beforeAll(async () => {
    h = await startHarness(mixedFleetSpecs(30));
    before = snapshotFleet(h.fleet.hosts);
  });
  afterAll(async () => h?.close());

  let dryRun: Report | undefined;

  it("--dry-run changes nothing, sends no change command and lists the exact commands per host", async () => {
    const { report, halted } = await rollout(h.hosts, h.deps, undefined, { dryRun: true });
    Report.parse(report);
    expect(halted).toBe(false);
    expect(report.dryRun).toBe(true);
    for (const host of h.fleet.hosts) {
      expectSameBindings(host, before.get(host.name)!);
      expect(changeCommands(host), host.name).toEqual([]);
      const r = report.hosts.find((x) => x.name === host.name)!;
      expect(r.status, `${host.name} ${r.error?.message ?? ""}`).toBe("unchanged");
      const rebinds = r.bindings.filter((b) => b.action === "rebind");
      expect(rebinds.length, host.name).toBe([...before.get(host.name)!.values()].filter((b) => b.certHash === OLD).length);
      // the batched line (update, or delete+add on 2012 R2), then the one read-back
      const cmds = r.commands ?? [];
      if (rebinds.length === 0) expect(cmds, host.name).toEqual([]);
      else expect(cmds.slice(1), host.name).toEqual(["netsh http show sslcert"]);
      const line = cmds[0] ?? "";
      const changes = [...line.matchAll(/netsh http (update|delete|add) sslcert [^&|;]*/g)].map((m) => m[0]);
      expect(countVerb(changes, host.profile.os === "2012r2" ? "delete" : "update"), host.name).toBe(rebinds.length);
      expect(countVerb(changes, host.profile.os === "2012r2" ? "update" : "delete"), host.name).toBe(0);
      // each binding goes to the new certificate (a delete+add line also holds the put-back add of the original, sent only if the add fails)
      expect(changes.filter((x) => /http (?:update|add) sslcert/.test(x) && x.includes(`certhash=${NEW}`)).length, host.name).toBe(rebinds.length);
      for (const b of rebinds) expect(changes.some((c) => c.includes(`=${b.endpoint}`)), `${host.name} ${b.endpoint}`).toBe(true);
    }
    dryRun = report;
  });

  it("moves every old-hash binding to the new certificate with every setting kept; nothing else changes", async () => {
    const { path, journal } = await tempJournal();
    const marks = new Map(h.fleet.hosts.map((x) => [x.name, x.commandLog.length]));
    const started = performance.now();
    const { report, halted } = await rollout(h.hosts, h.deps, journal, { concurrency: 10 });
    const elapsed = performance.now() - started;
    journal.close();
    Report.parse(report);
    const failed = report.hosts.filter((x) => x.status !== "changed" && x.status !== "unchanged");
    expect(failed.map((x) => `${x.name}: ${x.status} ${x.error?.kind} ${x.error?.message} ${x.error?.remote ?? ""}`)).toEqual([]);
    expect(halted).toBe(false);

    let moved = 0;
    for (const host of h.fleet.hosts) {
      const b = before.get(host.name)!;
      const n = expectRebound(host, b, OLD, NEW);
      moved += n;
      const cmds = changeCommands(host);
      const r = report.hosts.find((x) => x.name === host.name)!;
      expect(r.status, host.name).toBe(n > 0 ? "changed" : "unchanged");
      // One batched line changes every binding; one listing reads them all back.
      const made = host.changeLog;
      const sentNow = host.commandLog.slice(marks.get(host.name));
      if (n === 0) expect(sentNow, `${host.name}: discovery only`).toHaveLength(1);
      else if (host.profile.os === "2012r2") {
        // discovery reads the build (no `update` on 2012 R2): one delete+add line, the read-back.
        expect(cmds.map((c) => [countVerb([c], "update"), countVerb([c], "delete")]), host.name).toEqual([[0, 1]]);
        expect(made.filter((c) => c.certHash === null), host.name).toHaveLength(n);
        expect(made.filter((c) => c.certHash === NEW), host.name).toHaveLength(n);
        expect(sentNow, `${host.name}: remote commands`).toHaveLength(3);
      } else {
        expect(cmds.map((c) => [countVerb([c], "update"), countVerb([c], "delete") + countVerb([c], "add")]), host.name).toEqual([[1, 0]]);
        expect(made, host.name).toEqual(made.filter((c) => c.certHash === NEW));
        expect(made, host.name).toHaveLength(n);
        expect(sentNow, `${host.name}: remote commands`).toHaveLength(3);
      }
      // every rebound binding was verified over TLS against the new certificate
      for (const row of r.bindings.filter((x) => x.action === "rebind")) {
        expect(row.verify?.ok, `${host.name} ${row.endpoint} ${row.verify?.error ?? ""}`).toBe(true);
      }
    }
    expect(moved).toBeGreaterThan(45);

    // What the rollout really sent after discovery is exactly what --dry-run listed, in order.
    for (const host of h.fleet.hosts) {
      const listed = dryRun!.hosts.find((x) => x.name === host.name)!.commands!;
      expect(host.commandLog.slice(marks.get(host.name)! + 1), host.name).toEqual(listed);
    }

    const records = readJournal(path).records;
    expect(records.filter((r) => r.type === "intent")).toHaveLength(moved);
    expect(records.filter((r) => r.type === "done" && r.outcome === "rebound")).toHaveLength(moved);

    const perHost = h.fleet.hosts.map((x) => x.commandLog.length);
    console.info(
      `[rollout-30] hosts=${h.fleet.hosts.length} bindings moved=${moved} elapsed=${Math.round(elapsed)}ms ` +
        `commands/host min=${Math.min(...perHost)} max=${Math.max(...perHost)} mean=${(perHost.reduce((a, b) => a + b, 0) / perHost.length).toFixed(1)}`,
    );
  });

  it("a re-run changes nothing: every host unchanged, no change command, exit 0 (API and CLI)", async () => {
    const after = snapshotFleet(h.fleet.hosts);
    const marks = new Map(h.fleet.hosts.map((x) => [x.name, x.commandLog.length]));
    const { journal } = await tempJournal();
    const { report, halted } = await rollout(h.hosts, h.freshDeps(), journal);
    journal.close();
    expect(halted).toBe(false);
    expect(report.hosts.filter((x) => x.status !== "unchanged").map((x) => `${x.name}: ${x.status} ${x.error?.message ?? ""}`)).toEqual([]);
    expect(exitCodeFor(report, halted)).toBe(0);

    const out = await mkdtemp(join(tmpdir(), "certfleet-rerun-"));
    const cer = await writeNewCer(out);
    const code = await runCli(["rollout", "--new", cer, "-i", h.files.inventory, "--yes", "--plain", "--out", out, ...CLI_VERIFY, ...CLI_OWNER_MANAGED]);
    expect(code).toBe(0);
    const cliReport = Report.parse(JSON.parse(await readFile(join(out, "report.json"), "utf8")));
    expect(cliReport.summary.unchanged).toBe(30);

    for (const host of h.fleet.hosts) {
      expect(changeCommands(host, marks.get(host.name)), host.name).toEqual([]);
      expectSameBindings(host, after.get(host.name)!);
    }
  });
});

describe("a host whose new certificate has no usable private key (netsh: 1312)", () => {
  let h: Harness;
  let before: FleetSnapshot;
  const { OLD, NEW } = certs();
  // web05 is a German 2012 R2 host (delete+add path), web06 a 2016 host (update path)
  const BAD = ["web05", "web06"];

  beforeAll(async () => {
    const specs = mixedFleetSpecs(8).map((s, i) => (i === 5 ? { ...s, name: "web06", groups: ["web"], bindings: s.bindings?.filter((b) => b.appId !== APPID.adfs).concat([{ kind: "ipport", endpoint: "0.0.0.0:443", certHash: OLD, appId: APPID.iis, storeName: "MY", params: { disablehttp2: "enable" } }]) } : s));
    h = await startHarness(specs);
    for (const name of BAD) h.fleet.host(name).faults.failAddWith1312ForHash = NEW;
    before = snapshotFleet(h.fleet.hosts);
  });
  afterAll(async () => h?.close());

  it("fails only that host, which keeps exactly its original bindings; the others proceed within --max-failures", async () => {
    const { path, journal } = await tempJournal();
    const { report, halted } = await rollout(h.hosts, h.deps, journal, { maxFailures: 2, waves: [["web01"], h.hosts.slice(1).map((x) => x.name)] });
    journal.close();
    Report.parse(report);
    expect(halted).toBe(false);
    expect(exitCodeFor(report, halted)).toBe(1);
    for (const host of h.fleet.hosts) {
      const r = report.hosts.find((x) => x.name === host.name)!;
      if (BAD.includes(host.name)) {
        expect(r.status, host.name).toBe("failed");
        expect(r.error?.kind, host.name).toBe("apply");
        expect(r.error?.remote, host.name).toMatch(/1312/);
        expectSameBindings(host, before.get(host.name)!);
      } else {
        expect(r.status, `${host.name}: ${r.error?.message ?? ""}`).toBe("changed");
        expectRebound(host, before.get(host.name)!, OLD, NEW);
      }
    }
    // the 2012 R2 host really deleted, failed the add, and put the original back
    const w5 = changeCommands(h.fleet.host("web05"));
    expect(countVerb(w5, "delete")).toBeGreaterThanOrEqual(1);
    expect(w5.filter((c) => /add sslcert/.test(c) && c.includes(`certhash=${OLD}`)).length).toBeGreaterThanOrEqual(1);
    expect(report.hosts.find((x) => x.name === "web05")!.bindings.some((b) => b.action === "restored")).toBe(true);
    // the 2016 host never lost its binding: update failed in place
    expect(countVerb(changeCommands(h.fleet.host("web06")), "delete")).toBe(0);
    const outcomes = readJournal(path).records.filter((r) => r.type === "done" && BAD.includes(r.host)).map((r) => (r.type === "done" ? r.outcome : ""));
    expect(outcomes.sort()).toEqual(["restored", "unchanged"]);
  });

  it("with one failure too many (budget 1, two bad hosts in the first batch) the remaining hosts halt", async () => {
    // put every host back on the old certificate first
    for (const host of h.fleet.hosts) host.bindings = [...before.get(host.name)!.values()].map((b) => ({ ...b, params: { ...b.params } }));
    const marks = new Map(h.fleet.hosts.map((x) => [x.name, x.commandLog.length]));
    const { journal } = await tempJournal();
    const order = ["web01", "web05", "web06", ...h.hosts.map((x) => x.name).filter((n) => !["web01", "web05", "web06"].includes(n))];
    const { report, halted } = await rollout(h.hosts, h.deps, journal, {
      maxFailures: 1,
      concurrency: 1,
      waves: [["web01"], ["web05", "web06"], order.slice(3)],
    });
    journal.close();
    expect(halted).toBe(true);
    expect(exitCodeFor(report, halted)).toBe(3);
    for (const name of order.slice(3)) {
      expect(report.hosts.find((x) => x.name === name)!.status).toBe("halted");
      expect(changeCommands(h.fleet.host(name), marks.get(name))).toEqual([]);
      expectSameBindings(h.fleet.host(name), before.get(name)!);
    }
  });

  it("the CLI with --max-failures 1: that host fails and is restored, every other host changed, exit 1", async () => {
    for (const host of h.fleet.hosts) host.bindings = [...before.get(host.name)!.values()].map((b) => ({ ...b, params: { ...b.params } }));
    h.fleet.host("web06").faults.failAddWith1312ForHash = undefined;
    const out = await mkdtemp(join(tmpdir(), "certfleet-1312-"));
    const cer = await writeNewCer(out);
    const code = await runCli(["rollout", "--new", cer, "-i", h.files.inventory, "--max-failures", "1", "--yes", "--plain", "--out", out, ...CLI_VERIFY, ...CLI_OWNER_MANAGED]);
    expect(code).toBe(1);
    const report = Report.parse(JSON.parse(await readFile(join(out, "report.json"), "utf8")));
    expect(report.summary).toMatchObject({ hosts: 8, changed: 7, failed: 1, halted: 0 });
    const w5 = report.hosts.find((x) => x.name === "web05")!;
    expect(w5).toMatchObject({ status: "failed", error: { kind: "apply" } });
    expect(w5.error?.remote).toMatch(/1312/);
    expectSameBindings(h.fleet.host("web05"), before.get("web05")!);
    for (const host of h.fleet.hosts.filter((x) => x.name !== "web05")) expectRebound(host, before.get(host.name)!, OLD, NEW);
  });
});

describe("a canary failure under the default budget (0)", () => {
  let h: Harness;
  let before: FleetSnapshot;
  const { NEW } = certs();

  beforeAll(async () => {
    h = await startHarness(mixedFleetSpecs(6));
    h.fleet.host("web01").faults.failAddWith1312ForHash = NEW;
    before = snapshotFleet(h.fleet.hosts);
  });
  afterAll(async () => h?.close());

  it("halts every other host untouched; runRollout says halted (exit 3)", async () => {
    const { journal } = await tempJournal();
    const { report, halted } = await rollout(h.hosts, h.deps, journal);
    journal.close();
    expect(halted).toBe(true);
    expect(exitCodeFor(report, halted)).toBe(3);
    expect(report.summary).toMatchObject({ hosts: 6, failed: 1, halted: 5, changed: 0 });
    expect(report.hosts[0]).toMatchObject({ name: "web01", status: "failed", error: { kind: "apply" } });
    for (const host of h.fleet.hosts) {
      expectSameBindings(host, before.get(host.name)!);
      if (host.name !== "web01") {
        expect(report.hosts.find((x) => x.name === host.name)!.status).toBe("halted");
        expect(host.commandLog, host.name).toEqual([]);
      }
    }
  });

  it("the CLI exits 3 and writes a report saying so", async () => {
    const out = await mkdtemp(join(tmpdir(), "certfleet-canary-"));
    const cer = await writeNewCer(out);
    const code = await runCli(["rollout", "--new", cer, "-i", h.files.inventory, "--yes", "--plain", "--out", out, ...CLI_VERIFY, ...CLI_OWNER_MANAGED]);
    expect(code).toBe(3);
    const report = Report.parse(JSON.parse(await readFile(join(out, "report.json"), "utf8")));
    expect(report.summary).toMatchObject({ failed: 1, halted: 5 });
    for (const host of h.fleet.hosts) {
      expectSameBindings(host, before.get(host.name)!);
      if (host.name !== "web01") expect(changeCommands(host), host.name).toEqual([]);
    }
  });
});

describe("a session dropped right after a delete", () => {
  let h: Harness;
  let before: FleetSnapshot;
  const { OLD, NEW } = certs();

  beforeAll(async () => {
    // web01 and web05: 2012 R2 (delete+add); web01 cmd.exe, web05 German; web02 PowerShell for contrast
    h = await startHarness(mixedFleetSpecs(5));
    before = snapshotFleet(h.fleet.hosts);
  });
  afterAll(async () => h?.close());

  it("every delete drops the connection: on reconnect each binding is finished, none missing", async () => {
    h.fleet.host("web01").faults.dropAfter = /delete sslcert/;
    const { path, journal } = await tempJournal();
    const { report } = await rollout(h.hosts, h.freshDeps(), journal, { waves: [h.hosts.map((x) => x.name)] });
    journal.close();
    h.fleet.host("web01").faults.dropAfter = undefined;
    const r = report.hosts.find((x) => x.name === "web01")!;
    const host = h.fleet.host("web01");
    const deletes = countVerb(changeCommands(host), "delete");
    expect(deletes).toBeGreaterThanOrEqual(1);
    // the state and the status agree: changed = all rebound, failed = all as before
    if (r.status === "changed") expectRebound(host, before.get("web01")!, OLD, NEW);
    else {
      expect(r.status, r.error?.message).toBe("failed");
      expectSameBindings(host, before.get("web01")!);
    }
    expect(r.status, `${r.error?.kind}: ${r.error?.message}`).toBe("changed");
    const done = readJournal(path).records.filter((x) => x.type === "done" && x.host === "web01");
    expect(done.length).toBe([...before.get("web01")!.values()].filter((b) => b.certHash === OLD).length);
  });

  it("a single drop after one delete on a German 2012 R2 host: finished on reconnect", async () => {
    const host = h.fleet.host("web05");
    for (const x of h.fleet.hosts) x.bindings = [...before.get(x.name)!.values()].map((b) => ({ ...b, params: { ...b.params } }));
    let dropped = 0;
    host.faults.dropAfter = { lastIndex: 0, test: (c: string) => /delete sslcert/.test(c) && dropped++ === 0 } as unknown as RegExp;
    const { journal } = await tempJournal();
    const { report } = await rollout(h.hosts, h.freshDeps(), journal, { waves: [["web05"]] });
    journal.close();
    host.faults.dropAfter = undefined;
    expect(dropped).toBe(1);
    const r = report.hosts.find((x) => x.name === "web05")!;
    expect(r.status, `${r.error?.kind}: ${r.error?.message}`).toBe("changed");
    expectRebound(host, before.get("web05")!, OLD, NEW);
  });
});

describe("resume after the orchestrator was killed (SIGKILL) mid-rollout", () => {
  let h: Harness;
  let before: FleetSnapshot;
  const { OLD, NEW } = certs();

  beforeAll(async () => {
    h = await startHarness(mixedFleetSpecs(8));
    before = snapshotFleet(h.fleet.hosts);
  });
  afterAll(async () => h?.close());

  // 1: right after the canary's (2012 R2) first delete, its binding missing; 14: mid second wave
  it.each([1, 14])("killed at binding change %i: `rollout --resume` finishes every host on the new certificate", async (n) => {
    for (const x of h.fleet.hosts) x.bindings = [...before.get(x.name)!.values()].map((b) => ({ ...b, params: { ...b.params } }));
    const out = await mkdtemp(join(tmpdir(), "certfleet-kill-"));
    const cer = await writeNewCer(out);
    const killed = await rolloutKilledAt(h.fleet.hosts, n, { inventory: h.files.inventory, cer, out, extra: ["-c", "4"] });
    expect(killed.signal).toBe("SIGKILL");
    const crashed = readJournal(killed.journal);
    expect(crashed.records.some((r) => r.type === "intent")).toBe(true);
    // the crash left the fleet half-done: some binding not yet on the new certificate
    expect(h.fleet.hosts.some((x) => x.bindings.some((b) => b.certHash === OLD))).toBe(true);
    if (n === 1) expect(h.fleet.host("web01").bindings.length).toBeLessThan(before.get("web01")!.size);

    const out2 = await mkdtemp(join(tmpdir(), "certfleet-resume-"));
    const code = await runCli(["rollout", "--new", cer, "--resume", killed.journal, "-i", h.files.inventory, "--yes", "--plain", "--out", out2, ...CLI_VERIFY, ...CLI_OWNER_MANAGED]);
    const report = Report.parse(JSON.parse(await readFile(join(out2, "report.json"), "utf8")));
    // changed, or unchanged where the killed run had already finished the host
    expect(report.hosts.filter((x) => x.status !== "changed" && x.status !== "unchanged").map((x) => `${x.name}: ${x.status} ${x.error?.message ?? ""}`)).toEqual([]);
    expect(report.hosts.filter((x) => x.status === "changed").length).toBeGreaterThan(0);
    expect(code).toBe(0);
    for (const host of h.fleet.hosts) expectRebound(host, before.get(host.name)!, OLD, NEW);
    if (n === 4) {
      // web01, left half-done: the bindings the interrupted run moved or left half-done are
      // reported rebound and TLS-verified
      const w1 = report.hosts.find((x) => x.name === "web01")!;
      expect(w1.status).toBe("changed");
      const moved = w1.bindings.filter((b) => b.action === "rebind");
      expect(moved.map((b) => b.endpoint).sort()).toEqual([...before.get("web01")!.values()].filter((b) => b.certHash === OLD).map((b) => b.endpoint).sort());
      expect(moved.every((b) => b.verify?.ok === true && b.before?.certHash === OLD)).toBe(true);
    }
    // every journaled binding now has an outcome: nothing is left half-done for a later resume
    expect(journaledBindings(readJournal(killed.journal).records).filter((j) => j.outcome === undefined)).toEqual([]);
    // the resumed run appended to the same journal, which still takes everything back
    expect(readJournal(killed.journal).records.filter((r) => r.type === "run").length).toBe(2);
    expect(await runCli(["rollback", "--journal", killed.journal, "-i", h.files.inventory, "--yes", "--plain", "--out", join(out2, "rollback")])).toBe(0);
    for (const host of h.fleet.hosts) expectSameBindings(host, before.get(host.name)!);
  });
});

describe("resume when the failure budget is spent again", () => {
  let h: Harness;
  let before: FleetSnapshot;
  const { OLD, NEW } = certs();

  beforeAll(async () => {
    h = await startHarness(mixedFleetSpecs(8));
    before = snapshotFleet(h.fleet.hosts);
  });
  afterAll(async () => h?.close());

  it("a host left half-done by the crash is settled even when the resumed run's canary fails", async () => {
    const out = await mkdtemp(join(tmpdir(), "certfleet-kill-"));
    const cer = await writeNewCer(out);
    // one host at a time: web01..web04 done, web05 (2012 R2) killed right after its first delete
    const killed = await rolloutKilledAt(h.fleet.hosts, 1, {
      inventory: h.files.inventory,
      cer,
      out,
      extra: ["-c", "1"],
      counts: (host, c) => host === "web05" && c.certHash === null,
    });
    expect(killed.signal).toBe("SIGKILL");
    expect(h.fleet.host("web05").bindings.length).toBe(before.get("web05")!.size - 1);
    for (const name of ["adfs06", "exchange07", "web08"]) expectSameBindings(h.fleet.host(name), before.get(name)!);

    // the resumed run's canary fails (budget 0): nothing new may start, yet web05 must not stay broken
    h.fleet.host("web08").faults.failAddWith1312ForHash = NEW;
    const out2 = await mkdtemp(join(tmpdir(), "certfleet-resume-"));
    const code = await runCli(["rollout", "--new", cer, "--resume", killed.journal, "--canary", "web08", "-i", h.files.inventory, "--yes", "--plain", "--out", out2, ...CLI_VERIFY, ...CLI_OWNER_MANAGED]);
    h.fleet.host("web08").faults.failAddWith1312ForHash = undefined;
    const report = Report.parse(JSON.parse(await readFile(join(out2, "report.json"), "utf8")));
    const status = (n: string) => report.hosts.find((x) => x.name === n)!.status;
    expect(code).toBe(3);
    expect(status("web08")).toBe("failed");
    expectSameBindings(h.fleet.host("web08"), before.get("web08")!);
    // web05 is whole again: all rebound (as the crashed run intended), or all as before
    const w5 = h.fleet.host("web05");
    expect(status("web05")).toBe("changed");
    expectRebound(w5, before.get("web05")!, OLD, NEW);
    for (const name of ["adfs06", "exchange07"]) {
      expect(status(name)).toBe("halted");
      expectSameBindings(h.fleet.host(name), before.get(name)!);
    }
  });
});

describe("a restore that itself fails", () => {
  let h: Harness;
  let before: FleetSnapshot;
  const { OLD, NEW } = certs();

  beforeAll(async () => {
    h = await startHarness(mixedFleetSpecs(2));
    before = snapshotFleet(h.fleet.hosts);
  });
  afterAll(async () => h?.close());

  it("ends needs-attention with the exact command to run by hand, in the report and on stdout", async () => {
    // web01 (2012 R2): the add of the new certificate fails with 1312, and the old certificate
    // vanishes from the store right after the delete, so putting the original back fails too.
    const host = h.fleet.host("web01");
    host.faults.failAddWith1312ForHash = NEW;
    const log = host.commandLog;
    const push = log.push.bind(log);
    log.push = (...items: string[]) => {
      if (items.some((c) => /delete sslcert/.test(c))) host.certificates = host.certificates.filter((e) => e.cert.thumbprint !== OLD);
      return push(...items);
    };
    const out = await mkdtemp(join(tmpdir(), "certfleet-attention-"));
    const cer = await writeNewCer(out);
    const stdout: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array) => (stdout.push(String(chunk)), true)) as typeof process.stdout.write;
    let code: number;
    try {
      code = await runCli(["rollout", "--new", cer, "-i", h.files.inventory, "--yes", "--plain", "--out", out, ...CLI_VERIFY, ...CLI_OWNER_MANAGED]);
    } finally {
      process.stdout.write = write;
      log.push = push;
    }
    const report = Report.parse(JSON.parse(await readFile(join(out, "report.json"), "utf8")));
    const r = report.hosts.find((x) => x.name === "web01")!;
    expect(r.status).toBe("needs-attention");
    expect(code).toBe(3);
    const first = [...before.get("web01")!.values()][0]!;
    expect(host.bindings.some((b) => b.endpoint === first.endpoint)).toBe(false);
    const row = r.bindings.find((b) => b.endpoint === first.endpoint)!;
    const expected = addBindingCommand("cmd", { kind: first.kind, endpoint: first.endpoint, certHash: OLD, appId: row.appId, storeName: row.storeName, settings: row.settings });
    expect(row.manualCommand).toContain(expected);
    expect(expected).toContain("clientcertnegotiation=enable");
    expect(stdout.join("")).toContain(expected);
  });
});

describe("resume when the interrupted host cannot be finished", () => {
  let h: Harness;
  let before: FleetSnapshot;
  const { OLD, NEW, oldCert, newCert } = certs();

  beforeAll(async () => {
    const specs = mixedFleetSpecs(4);
    // web05: 2012 R2 whose second binding lives in WebHosting, where the new certificate's key is
    // missing; certutil says so in French, which certfleet cannot read ("unknown": no preflight
    // block), so the add with the new hash fails (1312) after the first binding was already moved
    specs.push({
      name: "web05",
      profile: { os: "2012r2", language: "fr", shell: "cmd", elevated: true },
      certificates: [{ cert: oldCert }, { cert: newCert }, { cert: oldCert, store: "WebHosting" }, { cert: newCert, store: "WebHosting", hasPrivateKey: false }],
      bindings: [
        { kind: "ipport", endpoint: "0.0.0.0:443", certHash: OLD, appId: APPID.iis, storeName: "MY", params: { clientcertnegotiation: "enable" } },
        { kind: "ipport", endpoint: "0.0.0.0:8444", certHash: OLD, appId: APPID.iis, storeName: "WebHosting", params: { dsmapperusage: "enable" } },
      ],
    });
    h = await startHarness(specs);
    before = snapshotFleet(h.fleet.hosts);
  });
  afterAll(async () => h?.close());

  const reset = () => {
    for (const x of h.fleet.hosts) {
      x.bindings = [...before.get(x.name)!.values()].map((b) => ({ ...b, params: { ...b.params } }));
      x.faults.failAddWith1312ForHash = undefined;
    }
  };

  it("killed after one binding moved and the next deleted, then the add fails on resume: every binding back as before", async () => {
    reset();
    const out = await mkdtemp(join(tmpdir(), "certfleet-kill-"));
    const cer = await writeNewCer(out);
    // web01 (2012 R2, 4 bindings): update (missing, nothing changed), delete 1, add 1, delete 2 <- killed here
    const killed = await rolloutKilledAt(h.fleet.hosts, 3, { inventory: h.files.inventory, cer, out });
    expect(killed.signal).toBe("SIGKILL");
    const w1 = h.fleet.host("web01");
    expect(w1.bindings.filter((b) => b.certHash === NEW)).toHaveLength(1);
    expect(w1.bindings.length).toBe(before.get("web01")!.size - 1);

    w1.faults.failAddWith1312ForHash = NEW;
    const out2 = await mkdtemp(join(tmpdir(), "certfleet-resume-"));
    const code = await runCli(["rollout", "--new", cer, "--resume", killed.journal, "--max-failures", "2", "-i", h.files.inventory, "--yes", "--plain", "--out", out2, ...CLI_VERIFY, ...CLI_OWNER_MANAGED]);
    const report = Report.parse(JSON.parse(await readFile(join(out2, "report.json"), "utf8")));
    const r1 = report.hosts.find((x) => x.name === "web01")!;
    expect(r1.status, r1.error?.message).toBe("failed");
    // "failed" means nothing left changed: the binding the crashed run had moved is back too
    expectSameBindings(w1, before.get("web01")!);
    expect(code).toBe(1);
  });

  it("killed mid-host, then the finished bindings fail the TLS check on resume: the whole host goes back", async () => {
    reset();
    const out = await mkdtemp(join(tmpdir(), "certfleet-kill-"));
    const cer = await writeNewCer(out);
    const killed = await rolloutKilledAt(h.fleet.hosts, 4, { inventory: h.files.inventory, cer, out });
    expect(killed.signal).toBe("SIGKILL");
    const w1 = h.fleet.host("web01");
    // IIS keeps serving the old certificate on every endpoint that changes from now on
    w1.faults.staleHandshakes = 1_000_000;
    const out2 = await mkdtemp(join(tmpdir(), "certfleet-resume-"));
    const code = await runCli(["rollout", "--new", cer, "--resume", killed.journal, "--max-failures", "2", "-i", h.files.inventory, "--yes", "--plain", "--out", out2, ...CLI_VERIFY, ...CLI_OWNER_MANAGED]);
    w1.faults.staleHandshakes = 0;
    const report = Report.parse(JSON.parse(await readFile(join(out2, "report.json"), "utf8")));
    const r1 = report.hosts.find((x) => x.name === "web01")!;
    expect(r1.status, r1.error?.message).toBe("failed");
    expect(r1.error?.kind).toBe("verify");
    expectSameBindings(w1, before.get("web01")!);
    expect(code).toBe(1);
  });

  it("killed while a failed host was being put back: resume finishes putting it back, nothing missing", async () => {
    reset();
    const out = await mkdtemp(join(tmpdir(), "certfleet-kill-"));
    const cer = await writeNewCer(out);
    // web05: delete 443, add 443 (new), delete 8444, add 8444 (new: 1312), add 8444 (original),
    // then the undo of 443: delete <- killed here, so 443 is missing
    const killed = await rolloutKilledAt(h.fleet.hosts, 3, {
      inventory: h.files.inventory,
      cer,
      out,
      extra: ["--canary", "web05", "--max-failures", "5"],
      counts: (host, c) => host === "web05" && c.certHash === null,
    });
    expect(killed.signal).toBe("SIGKILL");
    const w5 = h.fleet.host("web05");
    expect(w5.bindings.map((b) => b.endpoint)).toEqual(["0.0.0.0:8444"]);

    const out2 = await mkdtemp(join(tmpdir(), "certfleet-resume-"));
    await runCli(["rollout", "--new", cer, "--resume", killed.journal, "--canary", "web05", "--max-failures", "5", "-i", h.files.inventory, "--yes", "--plain", "--out", out2, ...CLI_VERIFY, ...CLI_OWNER_MANAGED]);
    const report = Report.parse(JSON.parse(await readFile(join(out2, "report.json"), "utf8")));
    const r5 = report.hosts.find((x) => x.name === "web05")!;
    expect(r5.status).toBe("failed");
    expectSameBindings(w5, before.get("web05")!);
    for (const name of ["web01", "web02", "web03", "web04"]) expectRebound(h.fleet.host(name), before.get(name)!, OLD, NEW);
  });
});
