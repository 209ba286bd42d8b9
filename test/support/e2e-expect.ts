/**
 * What a discover report must say about a simulated host, computed from the simulator's own state
 * and field table only (no code from src/windows): a parser that agrees with its own formatter
 * proves nothing.
 */
import type { ReportBinding, ReportHost } from "../../src/report/schema.js";
import { fieldsFor, type FieldDef } from "../../src/simulator/netsh-fields.js";
import type { SimBinding, SimHost } from "../../src/simulator/index.js";

/** The words netsh prints for each vocabulary, and the add-parameter value each stands for. */
const WORDS: Record<FieldDef["vocab"], Record<string, string> | null> = {
  enabled: { Enabled: "enable", Disabled: "disable" },
  set: { Set: "enable", "Not Set": "disable" },
  uint: null,
  string: null,
};

export interface ComparableBinding {
  kind: string;
  endpoint: string;
  certHash: string | null;
  appId: string | null;
  /** null means MY for http.sys */
  store: string;
  /** every settable or shown field of the OS, in display order, in add-parameter form; (null) strings absent */
  params: Array<[string, string]>;
}

export function expectedBinding(b: SimBinding, host: SimHost): ComparableBinding {
  const params: Array<[string, string]> = [];
  for (const f of fieldsFor(host.profile.os)) {
    const v = b.params[f.param];
    if (v !== undefined) params.push([f.param, f.vocab === "string" ? v : v.toLowerCase()]);
  }
  return {
    kind: b.kind,
    endpoint: b.endpoint.toLowerCase(),
    certHash: b.certHash === "" ? null : b.certHash.toLowerCase(),
    appId: b.appId.toLowerCase(),
    store: (b.storeName ?? "MY").toUpperCase(),
    params,
  };
}

/**
 * The report's binding in the same form. Throws when a known field carries a word of the wrong
 * vocabulary (`Set` on an Enabled/Disabled field) or when a field of the OS is missing: both
 * would silently change a flag when the binding is re-created.
 */
export function reportedBinding(b: ReportBinding, host: SimHost): ComparableBinding {
  const fields = new Map(fieldsFor(host.profile.os).map((f) => [f.param, f]));
  const params: Array<[string, string]> = [];
  const unknown: string[] = [];
  for (const [key, raw] of Object.entries(b.settings)) {
    if (key.startsWith("propertyid")) continue;
    const f = fields.get(key);
    if (!f) {
      unknown.push(`${key}=${raw}`);
      continue;
    }
    const value = raw.trim();
    const words = WORDS[f.vocab];
    if (words) {
      const mapped = words[value];
      if (mapped === undefined) throw new Error(`${host.name} ${b.endpoint}: ${key} is ${JSON.stringify(raw)}, not one of ${Object.keys(words).join("/")}`);
      params.push([key, mapped]);
    } else if (f.vocab === "uint") {
      if (!/^\d+$/.test(value)) throw new Error(`${host.name} ${b.endpoint}: ${key} is ${JSON.stringify(raw)}, not a number`);
      params.push([key, value]);
    } else if (value !== "(null)") {
      params.push([key, value]);
    }
  }
  const missing = [...fields.keys()].filter((k) => !(k in b.settings));
  if (unknown.length > 0 || missing.length > 0) {
    throw new Error(`${host.name} ${b.endpoint}: settings not as netsh showed them; unknown: [${unknown.join(", ")}], missing: [${missing.join(", ")}]`);
  }
  return {
    kind: b.kind,
    endpoint: b.endpoint.toLowerCase(),
    certHash: b.certHash,
    appId: b.appId,
    store: (b.storeName ?? "MY").toUpperCase(),
    params,
  };
}

export interface ComparableCertificate {
  /** `my` or `webhosting`: the two stores discovery reads */
  store: string;
  thumbprint: string;
  subject: string;
  issuer: string;
  serial: string;
  /** ISO minute in UTC (certutil prints minutes, in the server's wall-clock time = UTC here) */
  notBefore: string;
  notAfter: string;
  template?: string;
}

const minute = (d: Date): string => d.toISOString().slice(0, 16);

/** The `My` store only: discover reads `certutil -store My`, not WebHosting. */
export function expectedCertificates(host: SimHost): ComparableCertificate[] {
  const order = ["my", "webhosting"];
  return host.certificates
    .filter((e) => order.includes(e.store.toLowerCase()))
    .sort((a, b) => order.indexOf(a.store.toLowerCase()) - order.indexOf(b.store.toLowerCase()))
    .map((e) => ({
      store: e.store.toLowerCase(),
      thumbprint: e.cert.thumbprint,
      subject: e.cert.subject,
      issuer: e.cert.issuer,
      serial: e.cert.serial.toLowerCase(),
      notBefore: minute(e.cert.notBefore),
      notAfter: minute(e.cert.notAfter),
      ...(e.template !== undefined ? { template: e.template } : {}),
    }));
}

export function reportedCertificates(h: ReportHost): ComparableCertificate[] {
  return (h.certificates ?? []).map((c) => ({
    store: (c.store ?? "(missing)").toLowerCase(),
    thumbprint: c.thumbprint,
    subject: c.subject,
    issuer: c.issuer ?? "(missing)",
    serial: (c.serial ?? "(missing)").replace(/\s+/g, "").toLowerCase(),
    notBefore: c.notBefore ? new Date(c.notBefore).toISOString().slice(0, 16) : "(missing)",
    notAfter: c.notAfter ? new Date(c.notAfter).toISOString().slice(0, 16) : "(missing)",
    ...(c.template !== undefined ? { template: c.template } : {}),
  }));
}

/** `store/thumbprint` -> whether the simulator's store holds the key. */
export function expectedPrivateKeys(host: SimHost): Map<string, boolean> {
  return new Map(host.certificates.map((e) => [`${e.store.toLowerCase()}/${e.cert.thumbprint}`, e.hasPrivateKey]));
}
