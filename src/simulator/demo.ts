/**
 * The ready-made demo fleet: one CA, a wildcard `*.example.com` certificate about to expire (old)
 * and its renewal (new) in every host's store, spread over a realistic mix of Windows versions,
 * languages, shells, binding kinds, owners, flags and a few broken hosts.
 */
import { createCa, createCertificate, type SimCa, type SimCertificate } from "./pki.js";
import type { SimBindingSpec, SimCertificateSpec, SimHostSpec, SimLanguage, SimOs, SimShell } from "./state.js";

import { WINRM_APPID } from "./winrm-listener.js";

export const APPID = {
  iis: "{4dc3e181-e14b-4a21-b022-59fc669b0914}",
  adfs: "{5d89a20c-beab-4389-9447-324788eb944a}",
  exchange: "{4dcc9b81-e3ec-4a21-b012-59fc61bc0914}",
  // an ordinary site of its own (not SSTP's {ba195980-...}, which certfleet leaves to its owner)
  ipv6Site: "{6a1f3c2e-8b4d-4e7a-9c15-2d3e4f5a6b7c}",
} as const;

export interface DemoCertificates {
  ca: SimCa;
  /** `*.example.com`, expires in 10 days */
  oldCert: SimCertificate;
  /** its renewal: same subject and SANs, valid for 13 months */
  newCert: SimCertificate;
  /** an unrelated certificate bound on some hosts (out of scope for a rollout) */
  unrelatedCert: SimCertificate;
}

let demo: DemoCertificates | undefined;

const DAY = 86_400_000;

/** Created once per process, so every caller sees the same thumbprints. */
export function demoCertificates(): DemoCertificates {
  if (demo) return demo;
  const now = Date.now();
  const ca = createCa("CN=Example Issuing CA 1, O=Example Corp, C=US");
  const wildcard = { subject: "CN=*.example.com, O=Example Corp, C=US", dnsNames: ["*.example.com", "example.com"], issuer: ca };
  demo = {
    ca,
    oldCert: createCertificate({ ...wildcard, notBefore: new Date(now - 355 * DAY), notAfter: new Date(now + 10 * DAY) }),
    newCert: createCertificate({ ...wildcard, notBefore: new Date(now - DAY), notAfter: new Date(now + 397 * DAY) }),
    unrelatedCert: createCertificate({
      subject: "CN=intranet.corp.local, O=Example Corp, C=US",
      dnsNames: ["intranet.corp.local"],
      notBefore: new Date(now - 100 * DAY),
      notAfter: new Date(now + 600 * DAY),
      issuer: ca,
    }),
  };
  return demo;
}

const OSES: readonly SimOs[] = ["2012r2", "2016", "2022", "2025"];

function languageOf(i: number): SimLanguage {
  return i % 6 === 4 ? "fr" : i % 6 === 5 ? "de" : "en";
}

function shellOf(i: number): SimShell {
  return i % 3 === 2 ? "powershell" : "cmd";
}

/**
 * `n` hosts (default 24); hosts 20-22 (when present) carry faults. With `deliver`, only the hosts
 * a PFX cannot reach yet (WinRM: no SFTP) and the WebHosting sites hold the new certificate; the
 * rest get it from `rollout --new renewed.pfx`.
 */
export function demoFleetSpecs(n = 24, opts: { deliver?: boolean } = {}): SimHostSpec[] {
  const { oldCert, newCert, unrelatedCert } = demoCertificates();
  const specs: SimHostSpec[] = [];
  for (let i = 0; i < n; i++) {
    const os = OSES[i % OSES.length] as SimOs;
    const modern = os === "2022" || os === "2025";
    const role = i === 5 ? "adfs" : i === 6 ? "exchange" : "web";
    const name = role === "adfs" ? "adfs01" : role === "exchange" ? "exch01" : `web${String(i + 1).padStart(2, "0")}`;
    const groups = i === 0 ? ["canary", role] : [role, i < n / 2 ? "dc-east" : "dc-west"];

    const seeded = !opts.deliver || i % 4 === 3;
    const certificates: SimCertificateSpec[] = [
      { cert: oldCert, template: "WebServer, Web Server" },
      ...(seeded ? [{ cert: newCert, hasPrivateKey: i !== 22, template: "WebServer, Web Server" }] : []),
    ];
    const bindings: SimBindingSpec[] = [];
    const params: Record<string, string> = {};
    if (modern && i % 6 === 2) Object.assign(params, { disablehttp2: "enable", disablelegacytls: "enable" });
    if (os === "2016" && i % 3 === 0) params.disablehttp2 = "enable";
    if (i % 6 === 3) params.clientcertnegotiation = "enable";
    if (os === "2025" && i % 8 === 7) params.enablecachingclienthello = "enable";

    if (role === "adfs") {
      for (const port of [443, 49443]) {
        bindings.push({
          kind: "hostnameport",
          endpoint: `sts.example.com:${port}`,
          certHash: oldCert.thumbprint,
          appId: APPID.adfs,
          storeName: "my",
          params: { sslctlstorename: "AdfsTrustedDevices" },
        });
      }
    } else if (role === "exchange") {
      bindings.push({ kind: "ipport", endpoint: "0.0.0.0:443", certHash: oldCert.thumbprint, appId: APPID.iis, storeName: "MY" });
      bindings.push({ kind: "ipport", endpoint: "0.0.0.0:444", certHash: oldCert.thumbprint, appId: APPID.exchange, storeName: "MY" });
    } else if (i % 8 === 7) {
      // Sites in the WebHosting store (the renewal was imported there too)
      certificates.push({ cert: oldCert, store: "WebHosting" }, { cert: newCert, store: "WebHosting" });
      bindings.push({ kind: "ipport", endpoint: "0.0.0.0:443", certHash: oldCert.thumbprint, appId: APPID.iis, storeName: "WebHosting", params });
    } else {
      bindings.push({
        kind: "ipport",
        endpoint: "0.0.0.0:443",
        certHash: oldCert.thumbprint,
        appId: APPID.iis,
        storeName: i % 2 === 0 ? "MY" : null,
        params,
      });
    }
    if (role === "web" && i % 4 === 1) {
      for (const host of ["www.example.com", "api.example.com"]) {
        bindings.push({ kind: "hostnameport", endpoint: `${host}:443`, certHash: oldCert.thumbprint, appId: APPID.iis, storeName: "My" });
      }
    }
    if (role === "web" && i % 4 === 2) {
      bindings.push({ kind: "ipport", endpoint: "[::]:443", certHash: oldCert.thumbprint, appId: APPID.ipv6Site, storeName: "MY" });
    }
    if (i % 5 === 3) {
      certificates.push({ cert: unrelatedCert });
      bindings.push({ kind: "ipport", endpoint: "0.0.0.0:8443", certHash: unrelatedCert.thumbprint, appId: APPID.iis, storeName: "MY" });
    }

    // The certificate's other consumers (issue 11): the WinRM HTTPS listener on every fourth web
    // host, WMSvc on some, the RDP listener (NETWORK SERVICE reads the old key) on every third.
    const consumers: NonNullable<SimHostSpec["consumers"]> = {};
    if (role === "web" && i < 20) {
      if (i % 4 === 0) {
        consumers.winrmListeners = [{ transport: "HTTPS", hostname: `${name}.example.com`, certificateThumbprint: oldCert.thumbprint }];
        bindings.push({ kind: "ipport", endpoint: "0.0.0.0:5986", certHash: oldCert.thumbprint, appId: WINRM_APPID, storeName: null });
      }
      if (i % 4 === 3) {
        consumers.wmsvc = { thumbprint: oldCert.thumbprint };
        bindings.push({ kind: "ipport", endpoint: "0.0.0.0:8172", certHash: oldCert.thumbprint, appId: "{00000000-0000-0000-0000-000000000000}", storeName: "MY" });
      }
      if (i % 3 === 1) {
        consumers.rdp = { thumbprint: oldCert.thumbprint };
        consumers.keyGrants = [{ thumbprint: oldCert.thumbprint, sid: "S-1-5-20" }];
      }
    }

    specs.push({
      name,
      groups,
      profile: { os, language: languageOf(i), shell: shellOf(i), elevated: true },
      certificates,
      bindings,
      ...(Object.keys(consumers).length > 0 ? { consumers } : {}),
      faults: i === 20 ? { unreachable: true } : i === 21 ? { notElevated: true } : {},
    });
  }
  return specs;
}
