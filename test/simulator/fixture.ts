import { createCa, createCertificate, type SimCertificate, type SimHostSpec } from "../../src/simulator/index.js";

export const IIS = "{4dc3e181-e14b-4a21-b022-59fc669b0914}";

export interface TestCerts {
  oldCert: SimCertificate;
  newCert: SimCertificate;
  noKeyCert: SimCertificate;
  otherCert: SimCertificate;
}

let certs: TestCerts | undefined;

export function testCerts(): TestCerts {
  if (certs) return certs;
  const ca = createCa("CN=Test CA");
  const day = 86_400_000;
  const now = Date.UTC(2026, 0, 15, 9, 5);
  const base = { subject: "CN=www.example.com, O=Example", dnsNames: ["www.example.com", "api.example.com"], issuer: ca };
  certs = {
    oldCert: createCertificate({ ...base, notBefore: new Date(now - 300 * day), notAfter: new Date(now + 5 * day) }),
    newCert: createCertificate({ ...base, notBefore: new Date(now), notAfter: new Date(now + 365 * day) }),
    noKeyCert: createCertificate({ ...base, notBefore: new Date(now), notAfter: new Date(now + 200 * day) }),
    otherCert: createCertificate({ subject: "CN=other.example.net", dnsNames: ["other.example.net"], notBefore: new Date(now), notAfter: new Date(now + 90 * day) }),
  };
  return certs;
}

/** A host with the old certificate bound on 0.0.0.0:443 and www.example.com:443. */
export function hostSpec(name: string, profile: SimHostSpec["profile"], extra: Partial<SimHostSpec> = {}): SimHostSpec {
  const { oldCert, newCert, noKeyCert, otherCert } = testCerts();
  return {
    name,
    profile,
    certificates: [
      { cert: oldCert },
      { cert: newCert, template: "WebServer, Web Server" },
      { cert: noKeyCert, hasPrivateKey: false },
      { cert: otherCert },
    ],
    bindings: [
      { kind: "ipport", endpoint: "0.0.0.0:443", certHash: oldCert.thumbprint, appId: IIS, storeName: null },
      { kind: "hostnameport", endpoint: "www.example.com:443", certHash: oldCert.thumbprint, appId: IIS, storeName: "MY" },
    ],
    ...extra,
  };
}
