/** Hand-built HostStates for the pure planner tests: no simulator, no parser. */
import type { Binding } from "../../src/model/binding.js";
import type { Certificate } from "../../src/model/certificate.js";
import type { HostState } from "../../src/model/host-state.js";
import type { NewCertificate, Target } from "../../src/certificate/target.js";

export const NOW = new Date("2026-11-25T02:00:00Z");

export const T_OLD = "a".repeat(40);
export const T_NEW = "b".repeat(40);
export const T_OLDER = "c".repeat(40);
export const T_UNRELATED = "d".repeat(40);
export const T_OTHER_SUBJECT = "e".repeat(40);
export const T_LATER_SAME_SUBJECT = "f".repeat(40);

export const APP_IIS = "{4dc3e181-e14b-4a21-b022-59fc669b0914}";
export const APP_ADFS = "{5d89a20c-beab-4389-9447-324788eb944a}";

const WILDCARD = "CN=*.example.com, O=Example Corp, C=US";

export function cert(thumbprint: string, over: Partial<Certificate> = {}): Certificate {
  return {
    thumbprint,
    subject: WILDCARD,
    issuer: "CN=Example Issuing CA 1",
    notBefore: "2025-12-01T00:00:00.000Z",
    notAfter: "2026-12-05T00:00:00.000Z",
    hasPrivateKey: true,
    ...over,
  };
}

export const oldCert = cert(T_OLD);
export const olderCert = cert(T_OLDER, { notAfter: "2025-12-05T00:00:00.000Z" });
export const newCert = cert(T_NEW, { notBefore: "2026-11-20T00:00:00.000Z", notAfter: "2027-12-20T00:00:00.000Z" });
export const unrelatedCert = cert(T_UNRELATED, { subject: "CN=intranet.corp.local, O=Example Corp", notAfter: "2028-01-01T00:00:00.000Z" });
/** same subject but expires AFTER the new one: never a default old certificate. */
export const laterCert = cert(T_LATER_SAME_SUBJECT, { notAfter: "2028-06-01T00:00:00.000Z" });

/** netsh's defaults on a 2022 host, as the parser keys them. */
export const DEFAULT_SETTINGS: Record<string, string> = {
  verifyclientcertrevocation: "Enabled",
  verifyrevocationwithcachedclientcertonly: "Disabled",
  usagecheck: "Enabled",
  revocationfreshnesstime: "0",
  urlretrievaltimeout: "0",
  sslctlidentifier: "(null)",
  sslctlstorename: "(null)",
  dsmapperusage: "Disabled",
  clientcertnegotiation: "Disabled",
  reject: "Disabled",
  disablehttp2: "Not Set",
  disablequic: "Not Set",
  disabletls12: "Not Set",
  disabletls13: "Not Set",
  disableocspstapling: "Not Set",
  enabletokenbinding: "Not Set",
  logextendedevents: "Not Set",
  disablelegacytls: "Not Set",
  enablesessionticket: "Not Set",
};

export function binding(endpoint: string, certHash: string | null, over: Partial<Binding> = {}): Binding {
  const kind = /^(\d{1,3}\.){3}\d{1,3}:|^\[/.test(endpoint) ? "ipport" : "hostnameport";
  return { kind, endpoint, certHash, appId: APP_IIS, storeName: "MY", settings: { ...DEFAULT_SETTINGS }, ...over };
}

export function hostState(over: Partial<HostState> = {}): HostState {
  return {
    host: "web01",
    shell: "cmd",
    elevated: true,
    certificates: [oldCert, newCert, unrelatedCert],
    bindings: [binding("0.0.0.0:443", T_OLD)],
    warnings: [],
    ...over,
  };
}

export function newCertTarget(over: Partial<NewCertificate> = {}, oldThumbprints: string[] = []): Target {
  return { newCert: { thumbprint: T_NEW, source: "thumbprint", ...over }, oldThumbprints };
}

/** A target read from a certificate file: subject, SANs and validity known locally. */
export function fileTarget(over: Partial<NewCertificate> = {}, oldThumbprints: string[] = []): Target {
  return newCertTarget(
    {
      source: "file",
      subject: WILDCARD,
      dnsNames: ["*.example.com", "example.com"],
      notBefore: newCert.notBefore!,
      notAfter: newCert.notAfter!,
      ...over,
    },
    oldThumbprints,
  );
}
