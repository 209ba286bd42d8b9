/**
 * Issue 2, "Done when": discover over real SSH against 20 simulated Windows hosts with -c 5. The
 * report must pass its schema and say exactly what each simulator holds; unknown and changed host
 * keys are refused with the offered fingerprint; an unreachable host never stops the others.
 */
import { readFile, writeFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ResolvedHost } from "../../src/inventory/schema.js";
import { Report, type ReportHost } from "../../src/report/schema.js";
import { runDiscover } from "../support/reported.js";
import type { FleetDeps } from "../../src/host/visit.js";
import type { ProgressSink } from "../../src/host/progress.js";
import { APPID, createCertificate, demoCertificates, demoFleetSpecs, type SimHostSpec } from "../../src/simulator/index.js";
import { ConnectionPool } from "../../src/transport/pool.js";
import { connectSsh } from "../../src/transport/ssh.js";
import type { Transport } from "../../src/transport/transport.js";
import { discoverAnyShellCommand } from "../../src/windows/discover-any-shell.js";
import { startHarness, type Harness } from "../support/harness.js";
import {
  expectedBinding,
  expectedCertificates,
  expectedPrivateKeys,
  reportedBinding,
  reportedCertificates,
} from "../support/e2e-expect.js";

const DAY = 86_400_000;

/** 16 demo hosts (2012 R2 to 2025, en/fr/de, cmd/PowerShell, IP/SNI/IPv6, WebHosting) + 4 of ours. */
function fleetSpecs(): SimHostSpec[] {
  const { ca, oldCert } = demoCertificates();
  const now = Date.now();
  const partner = createCertificate({
    subject: "CN=partner.example.org, OU=B2B, O=Example Corp, C=DE",
    dnsNames: ["partner.example.org"],
    // 13:47 UTC: a 24-hour time, so a day/month or AM/PM slip shows in the minute comparison
    notBefore: new Date(Math.floor((now - 30 * DAY) / DAY) * DAY + 13 * 3_600_000 + 47 * 60_000),
    notAfter: new Date(Math.floor((now + 200 * DAY) / DAY) * DAY + 13 * 3_600_000 + 47 * 60_000),
    issuer: ca,
  });
  const keyless = createCertificate({
    subject: "CN=shop.example.org, O=Example Corp, C=FR",
    dnsNames: ["shop.example.org"],
    notBefore: new Date(now - 90 * DAY),
    notAfter: new Date(now + 3 * DAY),
    issuer: ca,
  });
  const extra: SimHostSpec[] = [
    {
      // German, PowerShell, 2016: a CCS binding (no hash) and a specific-IP binding with every
      // kind of non-default setting, including CTL strings
      name: "ccs01",
      groups: ["web", "dc-west"],
      profile: { os: "2016", language: "de", shell: "powershell", elevated: true },
      certificates: [{ cert: partner, template: "WebServer" }, { cert: keyless, hasPrivateKey: false }],
      bindings: [
        { kind: "ccs", endpoint: "443", appId: APPID.iis, storeName: null },
        {
          kind: "ipport",
          endpoint: "10.0.0.5:8443",
          certHash: partner.thumbprint,
          appId: APPID.exchange,
          storeName: "MY",
          params: {
            verifyclientcertrevocation: "disable",
            verifyrevocationwithcachedclientcertonly: "enable",
            usagecheck: "disable",
            revocationfreshnesstime: "3600",
            urlretrievaltimeout: "15000",
            sslctlidentifier: "CorpClientCAs",
            sslctlstorename: "ClientAuthIssuer",
            dsmapperusage: "enable",
            clientcertnegotiation: "enable",
            disablehttp2: "enable",
          },
        },
      ],
    },
    {
      // French 2012 R2 under cmd: a certificate without its private key, bound over SNI, and IPv6
      name: "legacy01",
      groups: ["web", "dc-east"],
      profile: { os: "2012r2", language: "fr", shell: "cmd", elevated: true },
      certificates: [{ cert: oldCert, template: "WebServer, Web Server" }, { cert: keyless, hasPrivateKey: false }],
      bindings: [
        { kind: "hostnameport", endpoint: "shop.example.org:443", certHash: keyless.thumbprint, appId: APPID.iis, storeName: "My" },
        { kind: "ipport", endpoint: "[::]:8443", certHash: oldCert.thumbprint, appId: APPID.ipv6Site, storeName: null, params: { usagecheck: "disable", revocationfreshnesstime: "86400" } },
      ],
    },
    {
      name: "down01",
      groups: ["web", "dc-east"],
      profile: { os: "2022", language: "en", shell: "cmd" },
      certificates: [{ cert: oldCert }],
      bindings: [{ kind: "ipport", endpoint: "0.0.0.0:443", certHash: oldCert.thumbprint, appId: APPID.iis }],
      faults: { unreachable: true },
    },
    {
      // Windows Server 2025, PowerShell, not elevated; flags only 2022+ and 2025 have
      name: "noelev01",
      groups: ["web", "dc-west"],
      profile: { os: "2025", language: "en", shell: "powershell", elevated: true },
      certificates: [{ cert: oldCert, template: "WebServer, Web Server" }, { cert: partner }, { cert: keyless, hasPrivateKey: false }],
      bindings: [
        {
          kind: "ipport",
          endpoint: "0.0.0.0:443",
          certHash: oldCert.thumbprint,
          appId: APPID.iis,
          storeName: "MY",
          params: { enablecachingclienthello: "enable", disablesessionid: "enable", disabletls13: "enable", disablequic: "enable", enablesessionticket: "enable", logextendedevents: "enable" },
        },
        { kind: "hostnameport", endpoint: "partner.example.org:443", certHash: partner.thumbprint, appId: APPID.iis, storeName: "My", params: { disableocspstapling: "enable" } },
      ],
      faults: { notElevated: true },
    },
  ];
  return [...demoFleetSpecs(16), ...extra];
}

const UNKNOWN_KEY_HOST = "web02";
const CHANGED_KEY_HOST = "web03";
const KEY_DONOR = "web04";
const UNREACHABLE = "down01";
const NOT_ELEVATED = "noelev01";

interface RunMeasurements {
  report: Report;
  /** dials of a new SSH connection per host */
  dials: Map<string, number>;
  /** deps.connect (session open / reconnect) per host */
  connects: Map<string, number>;
  maxHostsInFlight: number;
  maxOpenConnections: number;
  started: string[];
  finished: string[];
  durationMs: number;
}

describe("discover over real SSH: 20 simulated hosts, -c 5", () => {
  let h: Harness;
  let run: RunMeasurements;
  let knownHostsBefore: string;

  beforeAll(async () => {
    const t0 = performance.now();
    h = await startHarness(fleetSpecs());
    expect(h.fleet.hosts).toHaveLength(20);

    // An unknown key: the host's line is gone. A changed key: its line holds another host's key.
    knownHostsBefore = await readFile(h.files.knownHostsFile, "utf8");
    const lineOf = (name: string) => knownHostsBefore.split("\n").find((l) => l.startsWith(`[127.0.0.1]:${h.fleet.host(name).sshPort} `))!;
    const donorKey = h.fleet.host(KEY_DONOR).hostKeyLine;
    const edited = knownHostsBefore
      .split("\n")
      .filter((l) => l !== lineOf(UNKNOWN_KEY_HOST))
      .map((l) => (l === lineOf(CHANGED_KEY_HOST) ? `[127.0.0.1]:${h.fleet.host(CHANGED_KEY_HOST).sshPort} ${donorKey}` : l))
      .join("\n");
    await writeFile(h.files.knownHostsFile, edited);

    const dials = new Map<string, number>();
    const connects = new Map<string, number>();
    let openConnections = 0;
    let maxOpenConnections = 0;
    const pool = new ConnectionPool<ResolvedHost>(async (host) => {
      dials.set(host.name, (dials.get(host.name) ?? 0) + 1);
      const t = await connectSsh(host, { commandTimeoutMs: 20_000, connectTimeoutMs: 10_000 });
      openConnections++;
      maxOpenConnections = Math.max(maxOpenConnections, openConnections);
      let closed = false;
      const counted: Transport = {
        host: t.host,
        exec: (c, o) => t.exec(c, o),
        upload: (l, r) => t.upload(l, r),
        close: async () => {
          if (!closed) {
            closed = true;
            openConnections--;
          }
          await t.close();
        },
      };
      return counted;
    });
    let inFlight = 0;
    let maxHostsInFlight = 0;
    const started: string[] = [];
    const finished: string[] = [];
    const progress: ProgressSink = {
      hostStart: (name) => {
        started.push(name);
        inFlight++;
        maxHostsInFlight = Math.max(maxHostsInFlight, inFlight);
      },
      hostDone: (name) => {
        finished.push(name);
        inFlight--;
      },
    };
    const deps: FleetDeps = h.freshDeps({
      progress,
      connect: (host) => {
        connects.set(host.name, (connects.get(host.name) ?? 0) + 1);
        return pool.connect(host);
      },
      release: (host) => pool.release(host),
    });
    const tRun = performance.now();
    const report = await runDiscover(h.hosts, 5, deps);
    const durationMs = performance.now() - tRun;
    await pool.closeAll();
    run = { report, dials, connects, maxHostsInFlight, maxOpenConnections, started, finished, durationMs };
    // eslint-disable-next-line no-console
    console.log(`discover e2e: fleet start + run ${Math.round(performance.now() - t0)} ms, runDiscover(20 hosts, -c 5) ${Math.round(durationMs)} ms`);
  });

  afterAll(async () => {
    await h?.close();
  });

  const hostReport = (name: string): ReportHost => {
    const r = run.report.hosts.find((x) => x.name === name);
    if (!r) throw new Error(`no report entry for ${name}`);
    return r;
  };
  const refused = new Set([UNKNOWN_KEY_HOST, CHANGED_KEY_HOST, UNREACHABLE]);
  const reachable = () => h.fleet.hosts.filter((x) => !refused.has(x.name));

  it("the fleet covers the mix the issue asks for", () => {
    const hosts = h.fleet.hosts;
    expect(new Set(hosts.map((x) => x.profile.os))).toEqual(new Set(["2012r2", "2016", "2022", "2025"]));
    expect(new Set(hosts.map((x) => x.profile.language))).toEqual(new Set(["en", "fr", "de"]));
    expect(new Set(hosts.map((x) => x.profile.shell))).toEqual(new Set(["cmd", "powershell"]));
    const all = hosts.flatMap((x) => x.bindings);
    expect(new Set(all.map((b) => b.kind))).toEqual(new Set(["ipport", "hostnameport", "ccs"]));
    expect(all.some((b) => b.endpoint.startsWith("[::]"))).toBe(true);
    expect(all.some((b) => /^\d+\.\d+\.\d+\.\d+:/.test(b.endpoint) && !b.endpoint.startsWith("0.0.0.0"))).toBe(true);
    expect(all.some((b) => b.storeName === "WebHosting")).toBe(true);
    expect(all.some((b) => b.storeName === null)).toBe(true);
    expect(hosts.some((x) => x.certificates.some((c) => !c.hasPrivateKey && c.store.toLowerCase() === "my"))).toBe(true);
  });

  it("report.json passes the zod Report schema and has every host once, in inventory order", () => {
    const parsed = Report.safeParse(JSON.parse(JSON.stringify(run.report)));
    expect(parsed.success, parsed.success ? "" : JSON.stringify(parsed.error.issues.slice(0, 5))).toBe(true);
    expect(run.report.command).toBe("discover");
    expect(run.report.hosts.map((x) => x.name)).toEqual(h.hosts.map((x) => x.name));
    expect(run.report.summary).toMatchObject({ hosts: 20, ok: 17, failed: 3, changed: 0, halted: 0, needsAttention: 0 });
  });

  it("every reachable host's bindings equal the simulator's state exactly", () => {
    for (const sim of reachable()) {
      const r = hostReport(sim.name);
      expect(r.status, `${sim.name}: ${JSON.stringify(r.error)}`).toBe("ok");
      // netsh lists bindings in http.sys order (IP bindings first), not in the order they were made
      const byKey = (a: { kind: string; endpoint: string }, b: { kind: string; endpoint: string }) =>
        `${a.kind}=${a.endpoint}`.localeCompare(`${b.kind}=${b.endpoint}`);
      const want = sim.bindings.map((b) => expectedBinding(b, sim)).sort(byKey);
      const got = r.bindings.map((b) => reportedBinding(b, sim)).sort(byKey);
      expect(got, sim.name).toEqual(want);
      expect(r.bindings).toHaveLength(sim.bindings.length);
    }
  });

  it("every reachable host's certificates equal the simulator's My and WebHosting stores", () => {
    for (const sim of reachable()) {
      const r = hostReport(sim.name);
      expect(reportedCertificates(r), sim.name).toEqual(expectedCertificates(sim));
      const keys = expectedPrivateKeys(sim);
      for (const c of r.certificates ?? []) {
        const want = keys.get(`${(c.store ?? "").toLowerCase()}/${c.thumbprint}`);
        if (sim.profile.language === "en") {
          expect(c.hasPrivateKey, `${sim.name} ${c.subject}`).toBe(want);
        } else {
          // A localized key status may be unreadable ("unknown"), but never the wrong answer.
          expect([want, "unknown"], `${sim.name} ${c.subject}: hasPrivateKey ${String(c.hasPrivateKey)}`).toContain(c.hasPrivateKey);
        }
      }
    }
  });

  it("a certificate without its private key: false in English, never true in French or German", () => {
    const keyless = h.fleet.host("ccs01").certificates.find((c) => !c.hasPrivateKey)!.cert.thumbprint;
    const on = (name: string) => hostReport(name).certificates?.find((x) => x.thumbprint === keyless);
    expect(on(NOT_ELEVATED)?.hasPrivateKey).toBe(false);
    for (const name of ["ccs01", "legacy01"]) {
      expect(on(name), name).toBeDefined();
      expect(on(name)!.hasPrivateKey, name).not.toBe(true);
    }
    // and the ones that do have a key are not all "unknown" in German: certutil's verdict is read
    const de = hostReport("ccs01").certificates?.find((x) => x.thumbprint !== keyless);
    expect(de?.hasPrivateKey).toBe(true);
  });

  it("an unknown host key is refused with the offered SHA256 fingerprint", () => {
    const r = hostReport(UNKNOWN_KEY_HOST);
    expect(r.status).toBe("failed");
    expect(r.error?.kind).toBe("host-key");
    const fp = h.fleet.host(UNKNOWN_KEY_HOST).hostKeyFingerprint;
    expect(fp).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(r.error?.message).toContain(fp);
    expect(r.error?.message).toMatch(/unknown host key/i);
    // refused before authentication: the host saw no command at all
    expect(h.fleet.host(UNKNOWN_KEY_HOST).commandLog).toEqual([]);
  });

  it("a changed host key is refused with the offered fingerprint and the one on file", () => {
    const r = hostReport(CHANGED_KEY_HOST);
    expect(r.status).toBe("failed");
    expect(r.error?.kind).toBe("host-key");
    expect(r.error?.message).toContain(h.fleet.host(CHANGED_KEY_HOST).hostKeyFingerprint);
    expect(r.error?.message).toContain(h.fleet.host(KEY_DONOR).hostKeyFingerprint);
    expect(r.error?.message).toMatch(/changed/i);
    expect(h.fleet.host(CHANGED_KEY_HOST).commandLog).toEqual([]);
  });

  it("the known_hosts file is left alone (no --accept-new-host-keys)", async () => {
    const now = await readFile(h.files.knownHostsFile, "utf8");
    expect(now).not.toContain(h.fleet.host(UNKNOWN_KEY_HOST).hostKeyLine);
    expect(now.split("\n").filter(Boolean)).toHaveLength(19);
  });

  it("an unreachable host is reported unreachable while all others complete", () => {
    const r = hostReport(UNREACHABLE);
    expect(r.status).toBe("failed");
    expect(r.error?.kind).toBe("unreachable");
    expect(r.bindings).toEqual([]);
    expect(run.finished.sort()).toEqual(h.hosts.map((x) => x.name).sort());
    for (const sim of reachable()) expect(hostReport(sim.name).status, sim.name).toBe("ok");
  });

  it("a host whose session is not elevated is discovered, with a warning", () => {
    const r = hostReport(NOT_ELEVATED);
    expect(r.status).toBe("ok");
    expect(r.warnings?.some((w) => /not elevated/i.test(w))).toBe(true);
    expect(r.bindings).toHaveLength(2);
    for (const sim of reachable().filter((x) => x.name !== NOT_ELEVATED)) {
      expect(hostReport(sim.name).warnings ?? [], sim.name).not.toContainEqual(expect.stringMatching(/not elevated/i));
    }
  });

  it("at most 5 hosts are worked on, and at most 5 SSH connections are open, at once", () => {
    expect(run.started).toHaveLength(20);
    expect(run.maxHostsInFlight).toBe(5);
    expect(run.maxOpenConnections).toBeGreaterThan(0);
    expect(run.maxOpenConnections).toBeLessThanOrEqual(5);
  });

  it("one SSH connection and ONE remote command per host (shell detection included), and discover changes nothing", () => {
    for (const sim of h.fleet.hosts) {
      expect(run.dials.get(sim.name), sim.name).toBe(1);
      expect(run.connects.get(sim.name), sim.name).toBe(1);
      for (const c of sim.commandLog) expect(c, sim.name).not.toMatch(/\b(add|delete|update) sslcert\b/i);
    }
    for (const sim of reachable()) {
      expect(h.sent.get(sim.name), sim.name).toEqual(sim.commandLog);
      // shell: auto: the one line both shells run, whichever shell the host has.
      expect(sim.commandLog, sim.name).toEqual([discoverAnyShellCommand()]);
    }
  });
});
