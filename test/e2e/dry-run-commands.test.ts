/**
 * "Plan before apply; --dry-run shows the exact commands": what `rollout --dry-run` and `plan`
 * list for a host (report.json `commands`, and the printed dry-run summary) is, line for line,
 * what the host then receives from the real rollout, as the simulator's commandLog records it.
 *
 * The fleet covers the paths a rollout takes: the batched update line; a 2012 R2 host (no
 * `netsh http update`: one delete+add line); a host with so many bindings that the line splits
 * under cmd.exe's limit; a host that gets the PFX over SFTP, then key grants on the key the
 * import creates, the owners' settings and RDP; a PowerShell host with the new certificate
 * already there (grants on a known key); a WinRM host that gets the PFX staged through stdin.
 *
 * Compared: everything the rollout sends after discovery, read-only commands included (the
 * batched rebind's one read-back, each consumer value read before and after its change, the keys
 * read after a delivery). Not listed and not compared: discovery itself (the dry run sends it
 * too, so the real run's first commands are checked to be the dry run's own). Placeholders in
 * the listing (`<run id>`, `[one-time password]`, `<key file of the delivered certificate>`,
 * `<key id>`) stand for one token of the real line; an `(SFTP upload)` line is a file written
 * over SFTP, not a command line.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APPID, demoCertificates, startFleet, toPfx, type SimFleet } from "../../src/simulator/index.js";
import type { SimBindingSpec, SimHostSpec } from "../../src/simulator/state.js";
import type { Report } from "../../src/report/schema.js";
import { runCliCaptured } from "../support/cli-capture.js";
import { startHarness } from "../support/harness.js";
import { runRollout } from "../support/reported.js";
import { rolloutOptions, targetFor } from "../support/verifier-fleet.js";
import { setEnv } from "../support/env.js";
import { consumersOn, WINRM_APPID } from "../support/consumer-fixture.js";

const PFX_PASSWORD = "Dry-Run-Pfx-Secret-2718";
const PFX_PASSWORD_ENV = "CERTFLEET_TEST_DRYRUN_PFX_PASSWORD";
const WINRM_PASSWORD_ENV = "CERTFLEET_SIM_PASSWORD";
const { ca, oldCert, newCert, unrelatedCert } = demoCertificates();
const OLD = oldCert.thumbprint;

const web = (n: number): SimBindingSpec[] => [
  { kind: "ipport", endpoint: "0.0.0.0:443", certHash: OLD, appId: APPID.iis, storeName: "MY", params: { disablehttp2: "enable" } },
  { kind: "ipport", endpoint: "0.0.0.0:8443", certHash: unrelatedCert.thumbprint, appId: APPID.iis, storeName: "MY" },
  ...Array.from({ length: n }, (_, i): SimBindingSpec => ({ kind: "hostnameport", endpoint: `site${i}.example.com:443`, certHash: OLD, appId: APPID.iis, storeName: "My" })),
];

const both = [{ cert: oldCert }, { cert: newCert }, { cert: unrelatedCert }];

const consumers = (): SimHostSpec["consumers"] => consumersOn(OLD);

const consumerBindings: SimBindingSpec[] = [
  { kind: "ipport", endpoint: "0.0.0.0:443", certHash: OLD, appId: APPID.iis, storeName: "MY" },
  { kind: "ipport", endpoint: "0.0.0.0:5986", certHash: OLD, appId: WINRM_APPID, storeName: null },
  { kind: "ipport", endpoint: "0.0.0.0:8172", certHash: OLD, appId: "{00000000-0000-0000-0000-000000000000}", storeName: "MY" },
];

const SPECS: SimHostSpec[] = [
  { name: "upd-2022", profile: { os: "2022", shell: "cmd", language: "en" }, certificates: both, bindings: web(2) },
  { name: "r2-2012", profile: { os: "2012r2", shell: "powershell", language: "de" }, certificates: both, bindings: web(2) },
  { name: "many-2025", profile: { os: "2025", shell: "cmd", language: "fr" }, certificates: both, bindings: web(40) },
  // only the old certificate: the PFX is delivered first, and the grants go on the key it creates
  { name: "svc-2016", profile: { os: "2016", shell: "cmd", language: "de", elevated: true }, certificates: [{ cert: oldCert, template: "WebServer, Web Server" }], bindings: consumerBindings, consumers: consumers() },
  {
    name: "svc-2025-ps",
    profile: { os: "2025", shell: "powershell", language: "en", elevated: true },
    certificates: [
      { cert: oldCert, template: "WebServer, Web Server" },
      { cert: newCert, template: "WebServer, Web Server" },
    ],
    bindings: consumerBindings,
    consumers: consumers(),
  },
  { name: "winrm-2022", profile: { os: "2022", shell: "cmd", language: "en" }, certificates: [{ cert: oldCert }], bindings: web(1), winrm: {} },
];

const PLACEHOLDER = /<[a-z][a-z .-]*>|\[one-time password\]/g;
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/** A listed line as a pattern for the line really sent: each placeholder stands for one token. */
const asPattern = (listed: string) => new RegExp(`^${listed.split(PLACEHOLDER).map(escape).join("\\S+")}$`);
const isUpload = (line: string) => line.startsWith("(SFTP upload) ");

describe("rollout --dry-run and plan list exactly what the rollout then sends", () => {
  let fleet: SimFleet;
  let dir: string;
  let inventory: string;
  let pfxFile: string;
  let restoreEnv: (() => void) | undefined;

  beforeAll(async () => {
    fleet = await startFleet(SPECS);
    dir = await mkdtemp(join(tmpdir(), "cf-dry-run-commands-"));
    ({ inventory } = await fleet.writeFiles(dir));
    pfxFile = join(dir, "renewed.pfx");
    await writeFile(pfxFile, toPfx(newCert, PFX_PASSWORD, [ca.cert]));
    restoreEnv = setEnv({ [WINRM_PASSWORD_ENV]: fleet.password, [PFX_PASSWORD_ENV]: PFX_PASSWORD });
  });
  afterAll(async () => {
    restoreEnv?.();
    await fleet?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const certArgs = () => ["--new", pfxFile, "--pfx-password-env", PFX_PASSWORD_ENV, "-i", inventory, "--plain"];
  const readReport = async (out: string): Promise<Report> => JSON.parse(await readFile(join(out, "report.json"), "utf8")) as Report;

  it("line for line, in order, with the batch split as the rollout splits it", async () => {
    // 1. the dry run: what it lists, and what it sent itself (discovery)
    const dry = await runCliCaptured(["rollout", "--dry-run", ...certArgs(), "--out", join(dir, "dry")]);
    expect(dry.code, dry.stderr).toBe(0);
    const dryReport = await readReport(join(dir, "dry"));
    const discovery = new Map(fleet.hosts.map((h) => [h.name, [...h.commandLog]]));
    for (const h of fleet.hosts) expect(h.changeLog, h.name).toEqual([]);

    // 2. plan lists the same lines
    const plan = await runCliCaptured(["plan", ...certArgs(), "--out", join(dir, "plan")]);
    expect(plan.code, plan.stderr).toBe(0);
    const planReport = await readReport(join(dir, "plan"));
    const marks = new Map(fleet.hosts.map((h) => [h.name, h.commandLog.length]));

    // 3. the real rollout
    const real = await runCliCaptured(["rollout", ...certArgs(), "--yes", "--verify-window", "5", "--verify-interval", "0.1", "--out", join(dir, "real")]);
    const realReport = await readReport(join(dir, "real"));
    expect(
      realReport.hosts.filter((x) => x.status !== "changed").map((x) => `${x.name}: ${x.status} ${x.error?.message ?? ""}`),
      real.stderr,
    ).toEqual([]);

    for (const h of fleet.hosts) {
      const listed = dryReport.hosts.find((x) => x.name === h.name)!.commands ?? [];
      expect(listed.length, h.name).toBeGreaterThan(0);
      expect(planReport.hosts.find((x) => x.name === h.name)!.commands, `${h.name}: plan lists what the dry run lists`).toEqual(listed);
      // the printed dry-run summary shows every line as listed
      for (const line of listed) expect(dry.stdout, `${h.name}: printed`).toContain(`      ${line}\n`);

      const sent = h.commandLog.slice(marks.get(h.name));
      const ownDiscovery = discovery.get(h.name)!;
      expect(sent.slice(0, ownDiscovery.length), `${h.name}: discovery as the dry run did it`).toEqual(ownDiscovery);
      const afterDiscovery = sent.slice(ownDiscovery.length);
      const commands = listed.filter((l) => !isUpload(l));
      expect(afterDiscovery.length, `${h.name}: listed\n${commands.join("\n")}\nsent\n${afterDiscovery.join("\n")}`).toBe(commands.length);
      commands.forEach((line, i) => expect(afterDiscovery[i], `${h.name} line ${i}`).toMatch(asPattern(line)));
      // a placeholder never hides what the dry run could know: only the marked tokens differ
      commands.forEach((line, i) => {
        if (!PLACEHOLDER.test(line)) expect(afterDiscovery[i], `${h.name} line ${i}`).toBe(line);
        PLACEHOLDER.lastIndex = 0;
      });
    }

    const listedOf = (name: string) => dryReport.hosts.find((x) => x.name === name)!.commands!;
    const batches = (name: string) => listedOf(name).filter((c) => c.includes("==CFCAS:end=="));
    // the update path: one line, then one read-back
    expect(listedOf("upd-2022")).toEqual([expect.stringContaining("netsh http update sslcert"), "netsh http show sslcert"]);
    // 2012 R2: one delete+add line from the start (its build says update is missing)
    expect(batches("r2-2012")).toHaveLength(1);
    expect(batches("r2-2012")[0]).toMatch(/netsh http delete sslcert .* netsh http add sslcert /);
    expect(batches("r2-2012")[0]).not.toContain("netsh http update");
    // 41 bindings: the line splits under cmd.exe's limit
    expect(batches("many-2025").length).toBeGreaterThan(1);
    for (const line of batches("many-2025")) expect(line.length).toBeLessThanOrEqual(8191);
    // delivery over SFTP, the grants on the key the import creates (placeholder), the owners, RDP
    const svc = listedOf("svc-2016");
    expect(svc.some(isUpload)).toBe(true);
    expect(svc.some((c) => /-importpfx/.test(c) && c.includes("[one-time password]") && c.includes("<run id>"))).toBe(true);
    expect(svc.filter((c) => /\/grant \*S-1-5-[0-9-]+:R$/.test(c)).every((c) => c.includes("<key file of the delivered certificate>"))).toBe(true);
    expect(svc.filter((c) => /\/grant /.test(c) && !/\/grant:r /.test(c))).toHaveLength(2);
    expect(svc.some((c) => c.startsWith("winrm set "))).toBe(true);
    expect(svc.some((c) => c.startsWith("reg add") && c.includes("RDP-Tcp"))).toBe(true);
    // WinRM: the PFX staged through stdin, no SFTP line
    expect(listedOf("winrm-2022").some((c) => c.startsWith('findstr /r "^" > '))).toBe(true);
    expect(listedOf("winrm-2022").some(isUpload)).toBe(false);
    // no secret in anything listed or printed
    for (const text of [JSON.stringify(dryReport), JSON.stringify(planReport), dry.stdout, dry.stderr, plan.stdout]) expect(text).not.toContain(PFX_PASSWORD);
  });
});

describe("a host whose OS build discovery cannot read", () => {
  it("the dry run says its lines assume netsh http update; on a 2012 R2 host the rollout sends that line, learns update is missing, then the delete+add line", async () => {
    const h = await startHarness([{ name: "r2-unknown", profile: { os: "2012r2", shell: "cmd", language: "en" }, certificates: both, bindings: web(2), faults: { unreadableVersion: true } }]);
    try {
      const sim = h.fleet.host("r2-unknown");
      const target = targetFor(newCert);
      const dry = (await runRollout(h.hosts, h.deps, rolloutOptions(target, ["r2-unknown"], { dryRun: true, journal: undefined }))).report.hosts[0]!;
      expect(dry.warnings?.some((w) => /OS build could not be read: the commands listed assume netsh http update/.test(w))).toBe(true);
      const listed = dry.commands ?? [];
      expect(listed).toEqual([expect.stringContaining("netsh http update sslcert"), "netsh http show sslcert"]);
      const discovered = sim.commandLog.length;

      const real = (await runRollout(h.hosts, h.freshDeps(), rolloutOptions(target, ["r2-unknown"]))).report.hosts[0]!;
      expect(real.status, real.error?.message).toBe("changed");
      // after the real run's own discovery (as many commands as the dry run's)
      const sent = sim.commandLog.slice(2 * discovered);
      // as listed, except the delete+add line the first line's "command not found" made necessary
      expect(sent).toEqual([listed[0], expect.stringMatching(/netsh http delete sslcert .*==CFCAS:end==$/), listed[1]]);
    } finally {
      await h.close();
    }
  });
});
