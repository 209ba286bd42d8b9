/**
 * Every consumer of the certificate through a real rollout over SSH (issue 11, "Done when"): IIS,
 * the WinRM HTTPS listener, WMSvc and the RDP listener on English, German and French hosts under
 * cmd.exe and PowerShell; a host whose WinRM Hostname the new certificate does not cover; the RDP
 * key grant; an AD FS host; rollback of everything; verify's owner read-back.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { journaledBindings, journaledConsumers } from "../../src/journal/record.js";
import { probeRdp } from "../../src/verify/rdp-probe.js";
import { APPID } from "../../src/simulator/index.js";
import type { SimHostSpec } from "../../src/simulator/state.js";
import type { SimHost } from "../../src/simulator/host.js";
import { startHarness, type Harness } from "../support/harness.js";
import { certs, readJournal, rollout, tempJournal } from "../support/rollout-fleet.js";
import { runDiscover, runRollback, runVerify } from "../support/reported.js";
import { closeConnections, run, servedThumbprint } from "../simulator/helpers.js";
import { regSetHashCommand } from "../../src/windows/consumer-commands.js";
import { CLI_VERIFY, fileTarget, spawnCli, writeNewCer } from "../support/rollout-fleet.js";
import { runCli } from "../../src/cli/program.js";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { certificatesSeen } from "../../src/report/certificates-seen.js";
import { renderMarkdown } from "../../src/report/markdown.js";
import { APP_ACCOUNT, NETWORK_SERVICE } from "../support/consumer-fixture.js";

const WINRM = "{afebb9ad-9b97-4a91-9ab5-daf4d59122f6}";
const { oldCert, newCert, OLD, NEW } = certs();
/** `--new new.cer`: owner-managed bindings left to their owner (the default). */
const defaultTarget = () => {
  const { ownerManaged: _chosen, ...target } = fileTarget();
  return target;
};

function consumerHost(name: string, language: "en" | "de" | "fr", shell: "cmd" | "powershell", os: "2016" | "2022" | "2025", opts: { listenerHost?: string; rdpReadsOld?: boolean } = {}): SimHostSpec {
  return {
    name,
    profile: { os, language, shell, elevated: true },
    certificates: [
      { cert: oldCert, template: "WebServer, Web Server" },
      { cert: newCert, template: "WebServer, Web Server" },
    ],
    bindings: [
      { kind: "ipport", endpoint: "0.0.0.0:443", certHash: OLD, appId: APPID.iis, storeName: "MY" },
      { kind: "ipport", endpoint: "0.0.0.0:5986", certHash: OLD, appId: WINRM, storeName: null },
      { kind: "ipport", endpoint: "0.0.0.0:8172", certHash: OLD, appId: "{00000000-0000-0000-0000-000000000000}", storeName: "MY" },
    ],
    consumers: {
      rdp: { thumbprint: OLD },
      wmsvc: { thumbprint: OLD },
      winrmListeners: [{ transport: "HTTPS", hostname: opts.listenerHost ?? "web.example.com", certificateThumbprint: OLD }],
      keyGrants: [...(opts.rdpReadsOld === false ? [] : [{ thumbprint: OLD, sid: NETWORK_SERVICE }]), { thumbprint: OLD, sid: APP_ACCOUNT }],
    },
  };
}

const adfsHost: SimHostSpec = {
  name: "adfs01",
  profile: { os: "2022", language: "en", shell: "powershell", elevated: true },
  certificates: [
    { cert: oldCert, template: "WebServer, Web Server" },
    { cert: newCert, template: "WebServer, Web Server" },
  ],
  bindings: [
    { kind: "ipport", endpoint: "0.0.0.0:443", certHash: OLD, appId: APPID.iis, storeName: "MY" },
    { kind: "hostnameport", endpoint: "sts.example.com:443", certHash: OLD, appId: APPID.adfs, storeName: "my", params: { sslctlstorename: "AdfsTrustedDevices" } },
  ],
};

const SPECS = [
  consumerHost("web-en-cmd", "en", "cmd", "2022"),
  consumerHost("web-de-ps", "de", "powershell", "2025"),
  consumerHost("web-fr-cmd", "fr", "cmd", "2016"),
  adfsHost,
];

const rdpTarget = (h: SimHost) => ({ host: "127.0.0.1", port: Number(h.rdpEndpoint()!.split(":")[1]), timeoutMs: 5000 });
const rdpServes = async (h: SimHost) => (await probeRdp(rdpTarget(h)).catch((e: Error) => ({ thumbprint: `failed: ${e.message}` }))).thumbprint;

/** Every consumer on a consumer host names `want` and serves it. */
async function expectConsumersOn(h: SimHost, want: string): Promise<void> {
  const s = h.consumerSnapshot();
  expect(s.winrmListeners.map((l) => l.certificateThumbprint), h.name).toEqual([want]);
  expect(JSON.stringify(s), h.name).toContain(want);
  for (const ep of ["0.0.0.0:443", "0.0.0.0:5986", "0.0.0.0:8172"]) expect(await servedThumbprint(h.tlsEndpoints()[ep]!), `${h.name} ${ep}`).toBe(want);
  expect(await rdpServes(h), `${h.name} RDP`).toBe(want);
}

describe("rollout moves every consumer; rollback puts every one back", () => {
  let h: Harness;
  const before = new Map<string, unknown>();

  beforeAll(async () => {
    h = await startHarness(SPECS);
    for (const x of h.fleet.hosts) before.set(x.name, { bindings: x.snapshot().bindings, consumers: x.consumerSnapshot() });
  });
  afterAll(async () => h?.close());

  it("rollout: every consumer names and serves the new certificate, after a restart of every service too; AD FS is left and listed", async () => {
    for (const x of h.fleet.hosts.filter((y) => y.name.startsWith("web"))) expect(await rdpServes(x)).toBe(OLD);
    const { path, journal } = await tempJournal();
    const { report } = await rollout(h.hosts, h.deps, journal, { target: defaultTarget() });
    journal.close();
    expect(report.hosts.map((x) => `${x.name}:${x.status}`), JSON.stringify(report.hosts.map((x) => x.error))).toEqual(["web-en-cmd:changed", "web-de-ps:changed", "web-fr-cmd:changed", "adfs01:changed"]);
    for (const x of h.fleet.hosts.filter((y) => y.name.startsWith("web"))) await expectConsumersOn(x, NEW);
    await h.fleet.restartAll();
    for (const x of h.fleet.hosts.filter((y) => y.name.startsWith("web"))) await expectConsumersOn(x, NEW);

    // Grants by SID, never by a translated name; the owner's command, never netsh, for the listener.
    for (const x of h.fleet.hosts.filter((y) => y.name.startsWith("web"))) {
      const sent = h.sent.get(x.name)!;
      expect(sent.filter((c) => /icacls .* \/grant /.test(c)).map((c) => c.replace(/^.* \/grant /, ""))).toEqual([`*${NETWORK_SERVICE}:R`, `*${APP_ACCOUNT}:R`]);
      expect(sent.some((c) => /NETWORK SERVICE|NETZWERKDIENST|SERVICE R/.test(c))).toBe(false);
      expect(sent.some((c) => c.startsWith("winrm set winrm/config/Listener?Address=*+Transport=HTTPS"))).toBe(true);
      const row = report.hosts.find((r) => r.name === x.name)!;
      expect(row.consumers?.filter((c) => c.action === "moved").map((c) => c.owner).sort()).toEqual(["key", "key", "rdp", "winrm-https", "wmsvc"]);
      expect(row.consumers?.find((c) => c.owner === "rdp")?.verify?.ok).toBe(true);
      // The listener's 5986 binding, moved by the owners step, is one row (the moved one), not two.
      const keys = row.bindings.map((b) => `${b.kind} ${b.endpoint}`);
      expect(keys.length, keys.join(", ")).toBe(new Set(keys).size);
      const listener = row.bindings.find((b) => b.endpoint.endsWith(":5986"));
      expect(listener?.action, JSON.stringify(listener)).toBe("rebind");
    }

    // AD FS: its binding untouched, listed as owner-managed with the command; the rest rebound.
    const adfs = h.fleet.host("adfs01");
    expect(adfs.snapshot().bindings.find((b) => b.endpoint === "sts.example.com:443")!.certHash).toBe(OLD);
    expect(adfs.snapshot().bindings.find((b) => b.endpoint === "0.0.0.0:443")!.certHash).toBe(NEW);
    expect(h.sent.get("adfs01")!.some((c) => c.includes("sts.example.com:443") && /(?:update|add|delete) sslcert/.test(c))).toBe(false);
    const adfsRow = report.hosts.find((r) => r.name === "adfs01")!;
    const managed = adfsRow.consumers?.find((c) => c.action === "owner-managed");
    expect(managed?.name).toBe("sts.example.com:443");
    expect(managed?.manualCommand).toContain(`Set-AdfsSslCertificate -Thumbprint ${NEW.toUpperCase()}`);
    expect(adfsRow.warnings?.some((w) => /needs attention: sts\.example\.com:443 is managed by adfs/.test(w))).toBe(true);
    const markdown = renderMarkdown(report);
    expect(markdown).toContain("**Needs attention**: left to their owner");
    expect(markdown).toContain(`Set-AdfsSslCertificate -Thumbprint ${NEW.toUpperCase()}`);

    // verify: the AD FS binding is a straggler whose owner's command is in the report.
    const verified = await runVerify(h.hosts.filter((x) => x.name === "adfs01"), h.freshDeps(), { target: defaultTarget(), concurrency: 1, timing: { windowMs: 0, intervalMs: 100, handshakeTimeoutMs: 5000 } });
    const sts = verified.hosts[0]!.bindings.find((b) => b.endpoint === "sts.example.com:443")!;
    expect(verified.hosts[0]!.status).toBe("failed");
    expect(sts.verify?.ok).toBe(false);
    expect(sts.reason).toContain(`owner-managed (adfs): run Set-AdfsSslCertificate -Thumbprint ${NEW.toUpperCase()}`);
    // ... and the host's remedy sends the operator to the owner's command, not to an app pool.
    expect(verified.hosts[0]!.remedy?.cause).toMatch(/a binding its owner manages \(AD FS/);
    expect(verified.hosts[0]!.remedy?.fix).toMatch(/owner's commands .*--rebind-owner-managed/);
    const listed = verified.hosts[0]!.consumers?.find((c) => c.action === "owner-managed");
    expect(listed?.name).toBe("sts.example.com:443");
    expect(listed?.manualCommand).toContain(`Set-AdfsSslCertificate -Thumbprint ${NEW.toUpperCase()}`);

    // rollback --journal: every consumer back, the grants certfleet added removed, nothing else.
    const records = readJournal(path).records;
    expect(journaledConsumers(records).length).toBe(3 * 5);
    const back = await runRollback(h.hosts, h.freshDeps(), { items: journaledBindings(records), consumers: journaledConsumers(records), concurrency: 4 });
    expect(back.hosts.map((x) => x.status), JSON.stringify(back.hosts.map((x) => [x.error, x.consumers]))).toEqual(["changed", "changed", "changed", "changed"]);
    await h.fleet.restartAll();
    for (const x of h.fleet.hosts) {
      expect({ bindings: x.snapshot().bindings, consumers: x.consumerSnapshot() }, x.name).toEqual(before.get(x.name));
    }
    for (const x of h.fleet.hosts.filter((y) => y.name.startsWith("web"))) expect(await rdpServes(x)).toBe(OLD);
  });
});

describe("blocked before any change, the RDP key grant, verify's owner read-back, discover", () => {
  let h: Harness;
  const FAST = { windowMs: 2000, intervalMs: 100, handshakeTimeoutMs: 5000 };

  beforeAll(async () => {
    const rdpOnly = (name: string): SimHostSpec => ({
      ...consumerHost(name, "de", "powershell", "2022"),
      bindings: [{ kind: "ipport", endpoint: "0.0.0.0:443", certHash: OLD, appId: APPID.iis, storeName: "MY" }],
      consumers: { rdp: { thumbprint: OLD }, keyGrants: [{ thumbprint: OLD, sid: NETWORK_SERVICE }] },
    });
    h = await startHarness([consumerHost("uncovered", "fr", "cmd", "2022", { listenerHost: "winrm.other.net" }), rdpOnly("rdp-grant"), consumerHost("drift", "en", "powershell", "2025")]);
  });
  afterAll(async () => {
    await closeConnections();
    await h?.close();
  });

  it("a WinRM listener Hostname the new certificate does not cover blocks the host before any change", async () => {
    const host = h.fleet.host("uncovered");
    const before = { bindings: host.snapshot().bindings, consumers: host.consumerSnapshot() };
    const { report } = await rollout(h.hosts.filter((x) => x.name === "uncovered"), h.deps, undefined, { target: defaultTarget() });
    const row = report.hosts[0]!;
    expect(row.status).toBe("failed");
    expect(row.error?.kind).toBe("precondition");
    expect(row.error?.message).toMatch(/Hostname winrm\.other\.net is not covered by the new certificate/);
    expect((h.sent.get("uncovered") ?? []).filter((c) => /sslcert (?:add|update|delete)|http (?:add|update|delete) sslcert|winrm set|reg add|icacls .* \/grant/.test(c))).toEqual([]);
    expect({ bindings: host.snapshot().bindings, consumers: host.consumerSnapshot() }).toEqual(before);
  });

  it("RDP: without NETWORK SERVICE's read on the new key the handshake on 3389 fails; the rollout grants it by SID first and it passes", async () => {
    const host = h.fleet.host("rdp-grant");
    // By hand, as a naive script would: the value moved, no grant.
    await run(h.fleet, host, regSetHashCommand(host.shell, "rdp", NEW));
    expect(await rdpServes(host)).not.toBe(NEW);
    expect(await rdpServes(host)).toMatch(/^failed: /);
    await run(h.fleet, host, regSetHashCommand(host.shell, "rdp", OLD));
    expect(await rdpServes(host)).toBe(OLD);

    const { report } = await rollout(h.hosts.filter((x) => x.name === "rdp-grant"), h.deps, undefined, { target: defaultTarget() });
    expect(report.hosts[0]!.status, JSON.stringify(report.hosts[0]!.error)).toBe("changed");
    const sent = h.sent.get("rdp-grant")!;
    const grant = sent.findIndex((c) => /^icacls C:\\ProgramData\\Microsoft\\Crypto\\.* \/grant \*S-1-5-20:R$/.test(c));
    const move = sent.findIndex((c) => c.startsWith("reg add") && c.includes("RDP-Tcp") && c.includes(NEW.toUpperCase()));
    expect(grant).toBeGreaterThan(-1);
    expect(move).toBeGreaterThan(grant);
    expect(await rdpServes(host)).toBe(NEW);
    expect(report.hosts[0]!.consumers?.find((c) => c.owner === "rdp")?.verify?.ok).toBe(true);
  });

  it("verify: a WinRM listener naming the old certificate while http.sys serves the new one is a mismatch", async () => {
    const host = h.fleet.host("drift");
    await host.putBinding({ kind: "ipport", endpoint: "0.0.0.0:5986", certHash: NEW, appId: WINRM });
    expect(await servedThumbprint(host.tlsEndpoints()["0.0.0.0:5986"]!)).toBe(NEW);
    const report = await runVerify(h.hosts.filter((x) => x.name === "drift"), h.freshDeps(), { target: fileTarget(), concurrency: 1, timing: FAST });
    const row = report.hosts[0]!;
    expect(row.status).toBe("failed");
    const listener = row.consumers?.find((c) => c.source === "winrm-listener");
    expect(listener?.verify?.ok).toBe(false);
    expect(listener?.reason).toMatch(/MISMATCH: Listener\?Address=\*\+Transport=HTTPS names [0-9a-f]{40}, not [0-9a-f]{40}, while its binding 0\.0\.0\.0:5986 \(http\.sys serves [0-9a-f]{40}\)/);
    expect(listener?.certHash).toBe(OLD);
    expect(row.error?.message).toContain("Listener?Address=*+Transport=HTTPS");
  });

  it("discover lists every consumer with its owner, and the certificate summary names them", async () => {
    const report = await runDiscover(h.hosts.filter((x) => x.name === "drift"), 1, h.freshDeps());
    const consumers = report.hosts[0]!.consumers ?? [];
    expect(consumers.map((c) => `${c.owner}:${c.source}`).sort()).toEqual(["rdp:registry", "winrm-https:binding", "winrm-https:winrm-listener", "wmsvc:binding", "wmsvc:registry"]);
    expect(consumers.find((c) => c.owner === "rdp")?.certHash).toBe(OLD);
    const old = certificatesSeen(report).find((c) => c.thumbprint === OLD)!;
    // (its 5986 binding was moved to the new certificate by hand in the test before)
    expect(old.consumers.map((c) => c.owner).sort()).toEqual(["rdp", "winrm-https", "wmsvc", "wmsvc"]);
    expect(renderMarkdown(report)).toContain("drift rdp");
  });
});

describe("failure: every consumer goes back; a dropped connection after a change is read, not re-sent", () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness([
      // TLS keeps serving the old certificate after the rebind: the proof fails, the host goes back.
      { ...consumerHost("stale", "de", "cmd", "2022"), faults: { staleHandshakes: 1_000_000 } },
      // The connection drops right after `winrm set` ran.
      { ...consumerHost("dropped", "fr", "powershell", "2016"), faults: { dropAfter: /^winrm set / } },
    ]);
  });
  afterAll(async () => {
    await closeConnections();
    await h?.close();
  });

  it("a failed TLS proof puts back the bindings, the listener, both registry values and the grants certfleet added", async () => {
    const host = h.fleet.host("stale");
    const before = { bindings: host.snapshot().bindings, consumers: host.consumerSnapshot() };
    const { path, journal } = await tempJournal();
    const { report } = await rollout(h.hosts.filter((x) => x.name === "stale"), h.deps, journal, { target: defaultTarget() });
    journal.close();
    const row = report.hosts[0]!;
    expect(row.status).toBe("failed");
    expect(row.error?.kind).toBe("verify");
    expect(row.consumers?.filter((c) => c.action === "restored").map((c) => c.owner).sort()).toEqual(["key", "key", "rdp", "winrm-https", "wmsvc"]);
    await h.fleet.restartAll();
    expect({ bindings: host.snapshot().bindings, consumers: host.consumerSnapshot() }).toEqual(before);
    // The journal says so: every consumer restored, after its change.
    const records = readJournal(path).records;
    expect(journaledConsumers(records).map((c) => c.outcome)).toEqual(["restored", "restored", "restored", "restored", "restored"]);
  });

  it("the listener change whose reply was lost is read back (it took) and never sent twice", async () => {
    const host = h.fleet.host("dropped");
    const { report } = await rollout(h.hosts.filter((x) => x.name === "dropped"), h.deps, undefined, { target: defaultTarget() });
    expect(report.hosts[0]!.status, JSON.stringify(report.hosts[0]!.error)).toBe("changed");
    expect(host.commandLog.filter((c) => c.startsWith("winrm set ")).length).toBe(1);
    await expectConsumersOn(host, NEW);
  });
});

describe("killed between the owners' settings: rollout --resume finishes every consumer, rollback --journal puts every one back", () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness([consumerHost("killed", "de", "powershell", "2022")]);
  });
  afterAll(async () => {
    await closeConnections();
    await h?.close();
  });

  it("SIGKILL right as `winrm set` runs, then --resume, then rollback", async () => {
    const host = h.fleet.host("killed");
    const before = { bindings: host.snapshot().bindings, consumers: host.consumerSnapshot() };
    const dir = await mkdtemp(join(tmpdir(), "certfleet-consumers-"));
    const cer = await writeNewCer(dir);
    const out = join(dir, "rollout");
    const cli = spawnCli(["rollout", "--new", cer, "-i", h.files.inventory, "--yes", "--plain", "--out", out, ...CLI_VERIFY]);
    const push = host.commandLog.push.bind(host.commandLog);
    host.commandLog.push = (...items: string[]) => {
      if (items.some((c) => c.startsWith("winrm set "))) cli.child.kill("SIGKILL");
      return push(...items);
    };
    const ended = await cli.exited;
    host.commandLog.push = push;
    expect(ended.signal, cli.output()).toBe("SIGKILL");
    // Half-way: the listener moved (its command ran), the WMSvc value and RDP not yet.
    expect(host.consumerSnapshot().winrmListeners[0]!.certificateThumbprint).toBe(NEW);
    expect(JSON.stringify(host.consumerSnapshot())).toContain(OLD);

    const journal = join(out, "journal.jsonl");
    const resumed = await runCli(["rollout", "--new", cer, "--resume", journal, "-i", h.files.inventory, "--yes", "--plain", "--out", join(dir, "resume"), ...CLI_VERIFY]);
    expect(resumed).toBe(0);
    await h.fleet.restartAll();
    await expectConsumersOn(host, NEW);

    const back = await runCli(["rollback", "--journal", journal, "-i", h.files.inventory, "--yes", "--plain", "--out", join(dir, "rollback")]);
    expect(back).toBe(0);
    await h.fleet.restartAll();
    expect({ bindings: host.snapshot().bindings, consumers: host.consumerSnapshot() }).toEqual(before);
    expect(await rdpServes(host)).toBe(OLD);
  });
});

describe("a consumer host reached over WinRM (HTTP with message encryption)", () => {
  let h: Harness;
  beforeAll(async () => {
    process.env.CERTFLEET_SIM_PASSWORD ??= "sim-password";
    h = await startHarness([{ ...consumerHost("winrm-host", "en", "cmd", "2022"), winrm: {} }]);
  });
  afterAll(async () => {
    await closeConnections();
    await h?.close();
  });

  it("rollout moves every consumer, rollback puts every one back", async () => {
    expect(h.hosts[0]!.transport).toBe("winrm");
    const host = h.fleet.host("winrm-host");
    const before = { bindings: host.snapshot().bindings, consumers: host.consumerSnapshot() };
    const { path, journal } = await tempJournal();
    const { report } = await rollout(h.hosts, h.deps, journal, { target: defaultTarget() });
    journal.close();
    expect(report.hosts[0]!.status, JSON.stringify(report.hosts[0]!.error)).toBe("changed");
    await expectConsumersOn(host, NEW);
    const records = readJournal(path).records;
    const back = await runRollback(h.hosts, h.freshDeps(), { items: journaledBindings(records), consumers: journaledConsumers(records), concurrency: 1 });
    expect(back.hosts[0]!.status).toBe("changed");
    await h.fleet.restartAll();
    expect({ bindings: host.snapshot().bindings, consumers: host.consumerSnapshot() }).toEqual(before);
  });
});
