import type { Binding } from "../../src/model/binding.js";
import type { Report, ReportBinding, ReportHost } from "../../src/report/schema.js";
import { summarize } from "../../src/report/schema.js";

/**
 * A realistic rollout report over six hosts: every host status, SNI and IPv6 bindings, a verify
 * mismatch, a restore that failed, and certificates that are valid, expiring soon and expired.
 * Values that came from hosts carry Markdown, HTML and XML specials and control characters so the
 * writers' escaping is exercised by every test that uses it.
 */

export const NEW = "a1b2c3d4e5f60718293a4b5c6d7e8f9011223344";
export const OLD = "0f1e2d3c4b5a69788796a5b4c3d2e1f00a1b2c3d";
export const LEGACY = "9988776655443322110099887766554433221100";
export const HOSTILE = "deadbeefcafebabe0123456789abcdef01234567";
export const IIS_APPID = "{4dc3e181-e14b-4a21-b022-59fc669b0914}";

/** A value that must never appear in any report: stands for a password read from the environment. */
export const SECRET = "Pa55w0rd-never-in-a-report-7f3c";

/** Subject of a certificate a hostile or careless admin put in a store. */
export const HOSTILE_SUBJECT = "CN=<script>alert('x')</script> | *bold* _em_ [link](http://evil.example/) `tick` #1";

export const REMOTE_1312 =
  "SSL Certificate add failed, Error: 1312\nA specified logon session does not exist. It may already have been terminated.";
export const REMOTE_RESTORE =
  "SSL Certificate add failed, Error: 183\nCannot create a file when that file already exists.\u001b[0m\u0000";
export const REMOTE_UNREACHABLE = "connect ETIMEDOUT 10.0.0.16:22";

const settings = (extra: Record<string, string> = {}): Record<string, string> => ({
  verifyclientcertrevocation: "Enabled",
  verifyrevocationwithcachedclientcertonly: "Disabled",
  usagecheck: "Enabled",
  revocationfreshnesstime: "0",
  urlretrievaltimeout: "0",
  sslctlidentifier: "(null)",
  sslctlstorename: "(null)",
  dsmapperusage: "Disabled",
  clientcertnegotiation: "Disabled",
  ...extra,
});

function binding(kind: Binding["kind"], endpoint: string, certHash: string | null, extra: Record<string, string> = {}): Binding {
  return { kind, endpoint, certHash, appId: IIS_APPID, storeName: "MY", settings: settings(extra) };
}

/** A binding moved from OLD to NEW and verified. */
function rebound(kind: Binding["kind"], endpoint: string, verify: ReportBinding["verify"]): ReportBinding {
  const before = binding(kind, endpoint, OLD);
  const after = binding(kind, endpoint, NEW);
  return {
    ...after,
    before,
    after,
    action: "rebind",
    scope: "old",
    reason: "uses old CN=*.example.com, expires 2026-04-15",
    ...(verify ? { verify } : {}),
  };
}

const newCert = {
  thumbprint: NEW,
  subject: "CN=*.example.com, O=Example Corp, C=DE",
  issuer: "CN=Example Issuing CA 2, O=Example Corp",
  serial: "4f000000a1c2",
  notBefore: "2026-03-01T00:00:00.000Z",
  notAfter: "2027-03-31T23:59:59.000Z",
  hasPrivateKey: true as const,
  dnsNames: ["*.example.com", "example.com"],
};
const oldCert = {
  thumbprint: OLD,
  subject: "CN=*.example.com, O=Example Corp, C=DE",
  issuer: "CN=Example Issuing CA 2, O=Example Corp",
  notBefore: "2025-04-15T00:00:00.000Z",
  notAfter: "2026-04-15T23:59:59.000Z",
  hasPrivateKey: true as const,
};
const legacyCert = {
  thumbprint: LEGACY,
  subject: "CN=legacy-intranet.corp.local",
  issuer: "CN=legacy-intranet.corp.local",
  notBefore: "2020-12-01T00:00:00.000Z",
  notAfter: "2025-12-01T00:00:00.000Z",
  hasPrivateKey: true as const,
};
const hostileCert = {
  thumbprint: HOSTILE,
  subject: HOSTILE_SUBJECT,
  notAfter: "2026-06-30T12:00:00.000Z",
  hasPrivateKey: "unknown" as const,
};

const hosts: ReportHost[] = [
  {
    name: "web01",
    address: "10.0.0.11",
    status: "changed",
    wave: 0,
    durationMs: 8123,
    certificates: [oldCert, newCert],
    bindings: [
      rebound("ipport", "0.0.0.0:443", {
        ok: true,
        servedThumbprint: NEW,
        expectedThumbprint: NEW,
        target: "10.0.0.11:443",
        notAfter: newCert.notAfter,
        chainComplete: true,
        attempts: 1,
      }),
      rebound("hostnameport", "www.example.com:443", {
        ok: true,
        servedThumbprint: NEW,
        expectedThumbprint: NEW,
        target: "10.0.0.11:443",
        serverName: "www.example.com",
        sniCovered: true,
        chainComplete: true,
        attempts: 2,
      }),
      rebound("ipport", "[::]:443", {
        ok: true,
        skipped: true,
        expectedThumbprint: NEW,
        error: "the inventory gives no IPv6 address (address6) for web01",
      }),
    ],
  },
  {
    name: "web02",
    address: "10.0.0.12",
    status: "failed",
    wave: 1,
    durationMs: 64210,
    error: {
      kind: "verify",
      message: "10.0.0.12:443 still served the old certificate after 60 s; the binding was restored",
      remote: "served 0f1e2d3c4b5a69788796a5b4c3d2e1f00a1b2c3d (CN=*.example.com)",
    },
    certificates: [oldCert, newCert],
    bindings: [
      {
        ...binding("ipport", "10.0.0.12:443", OLD),
        before: binding("ipport", "10.0.0.12:443", OLD),
        after: binding("ipport", "10.0.0.12:443", OLD),
        action: "restored",
        scope: "old",
        reason: "uses old CN=*.example.com, expires 2026-04-15",
        verify: {
          ok: false,
          servedThumbprint: OLD,
          expectedThumbprint: NEW,
          target: "10.0.0.12:443",
          attempts: 12,
          error: "served the old certificate for the whole 60 s window",
        },
      },
      {
        ...binding("hostnameport", "shop.example.com:443", OLD, { disablehttp2: "Enabled" }),
        before: binding("hostnameport", "shop.example.com:443", OLD, { disablehttp2: "Enabled" }),
        after: binding("hostnameport", "shop.example.com:443", OLD, { disablehttp2: "Enabled" }),
        action: "restored",
        scope: "old",
        reason: "uses old CN=*.example.com, expires 2026-04-15; restored with its host",
      },
    ],
  },
  {
    name: "web03",
    address: "10.0.0.13",
    status: "unchanged",
    wave: 1,
    durationMs: 2310,
    certificates: [newCert, legacyCert, hostileCert],
    bindings: [
      {
        ...binding("ipport", "0.0.0.0:443", NEW),
        action: "none",
        scope: "new",
        reason: "already on the new certificate",
        verify: { ok: true, servedThumbprint: NEW, expectedThumbprint: NEW, target: "10.0.0.13:443", attempts: 1 },
      },
      {
        ...binding("ipport", "0.0.0.0:8443", LEGACY),
        storeName: null,
        action: "none",
        scope: "unrelated",
        reason: "uses CN=legacy-intranet.corp.local | out of scope",
      },
    ],
    warnings: ["unknown netsh label `Foo | Bar` kept as label:Foo | Bar", "certutil date `13/14/2026` unreadable <b>"],
  },
  {
    name: "web04",
    address: "fd00::14",
    status: "needs-attention",
    wave: 1,
    durationMs: 12044,
    error: {
      kind: "apply",
      message: "add of ipport=0.0.0.0:443 failed and the original binding could not be restored",
      remote: `${REMOTE_1312}\n--- restore ---\n${REMOTE_RESTORE}`,
    },
    certificates: [oldCert, { ...newCert, hasPrivateKey: false }],
    bindings: [
      {
        ...binding("ipport", "0.0.0.0:443", null),
        before: binding("ipport", "0.0.0.0:443", OLD),
        action: "failed",
        scope: "old",
        reason: "uses old CN=*.example.com, expires 2026-04-15",
        manualCommand: `netsh http add sslcert ipport=0.0.0.0:443 certhash=${OLD} appid=${IIS_APPID} certstorename=MY verifyclientcertrevocation=enable`,
      },
    ],
    warnings: ["new certificate a1b2c3d4… has no private key on this host"],
  },
  { name: "web05", address: "10.0.0.15", status: "halted", durationMs: 0, bindings: [] },
  {
    name: "web06",
    address: "10.0.0.16",
    status: "failed",
    wave: 1,
    durationMs: 20000,
    error: { kind: "unreachable", message: "could not connect to 10.0.0.16:22 within 20 s", remote: REMOTE_UNREACHABLE },
    bindings: [],
  },
];

export const sampleReport: Report = {
  schemaVersion: 1,
  tool: "certfleet",
  command: "rollout",
  startedAt: "2026-03-20T14:05:10.004Z",
  finishedAt: "2026-03-20T14:07:42.512Z",
  target: { newThumbprint: NEW, oldThumbprints: [OLD], subject: "CN=*.example.com, O=Example Corp, C=DE" },
  summary: summarize(hosts),
  hosts,
};

const discoverHosts: ReportHost[] = [
  {
    name: "web01",
    address: "10.0.0.11",
    status: "ok",
    durationMs: 1200,
    certificates: [oldCert, newCert],
    bindings: [binding("ipport", "0.0.0.0:443", OLD), binding("hostnameport", "www.example.com:443", OLD)],
  },
  {
    name: "web03",
    address: "10.0.0.13",
    status: "ok",
    durationMs: 900,
    certificates: [newCert, legacyCert, hostileCert],
    bindings: [binding("ipport", "0.0.0.0:443", NEW), binding("ipport", "0.0.0.0:8443", LEGACY)],
  },
  {
    name: "web04",
    address: "fd00::14",
    status: "ok",
    durationMs: 1500,
    certificates: [oldCert, { ...newCert, hasPrivateKey: false }],
    bindings: [binding("ipport", "[::]:443", OLD)],
  },
  {
    name: "web06",
    address: "10.0.0.16",
    status: "failed",
    durationMs: 4000,
    error: { kind: "unreachable", message: "could not connect to 10.0.0.16:22 within 4 s", remote: REMOTE_UNREACHABLE },
    bindings: [],
  },
  {
    name: "web07",
    address: "10.0.0.17",
    status: "failed",
    durationMs: 300,
    error: { kind: "auth", message: "certadmin@10.0.0.17: all authentication methods failed" },
    bindings: [],
  },
  {
    name: "web08",
    address: "10.0.0.18",
    status: "failed",
    durationMs: 350,
    error: { kind: "unreachable", message: "could not connect to 10.0.0.18:22: ECONNREFUSED" },
    bindings: [],
  },
];

/** A discover report: no target, no actions; one host unreachable, one refusing auth. */
export const discoverReport: Report = {
  schemaVersion: 1,
  tool: "certfleet",
  command: "discover",
  startedAt: "2026-03-20T09:00:00.000Z",
  finishedAt: "2026-03-20T09:00:04.250Z",
  summary: summarize(discoverHosts),
  hosts: discoverHosts,
};
