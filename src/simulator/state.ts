/**
 * The data of one simulated Windows host: certificate stores, http.sys SSL bindings, the profile
 * (OS generation, display language, OpenSSH default shell, elevation) and the faults a test can
 * switch on at any time. Pure data plus small mutation helpers; no I/O.
 */
import type { SimCertificate } from "./pki.js";

export type SimOs = "2012r2" | "2016" | "2022" | "2025";
export type SimLanguage = "en" | "fr" | "de";
export type SimShell = "cmd" | "powershell";

export interface SimProfile {
  os: SimOs;
  language: SimLanguage;
  shell: SimShell;
  elevated: boolean;
}

export const OS_ORDER: readonly SimOs[] = ["2012r2", "2016", "2022", "2025"];

export function osAtLeast(os: SimOs, min: SimOs): boolean {
  return OS_ORDER.indexOf(os) >= OS_ORDER.indexOf(min);
}

export interface SimStoreEntry {
  cert: SimCertificate;
  /** false: the certificate is in the store but its key is missing (certutil: Missing stored keyset) */
  hasPrivateKey: boolean;
  /** certutil's `Template:` line, e.g. `WebServer, Web Server` */
  template?: string;
  /** `My` unless said otherwise (`WebHosting`) */
  store: string;
}

export type SimBindingKind = "ipport" | "hostnameport" | "ccs";

export interface SimBinding {
  kind: SimBindingKind;
  /** `0.0.0.0:443`, `[::]:443`, `www.example.com:443`, or `443` for ccs */
  endpoint: string;
  /** 40 lowercase hex; empty for a ccs binding */
  certHash: string;
  /** `{4dc3e181-e14b-4a21-b022-59fc669b0914}`: braces, lowercase */
  appId: string;
  /** as given to certstorename=; null when none was given (netsh shows `(null)`, http.sys uses MY) */
  storeName: string | null;
  /**
   * Every other setting in `add sslcert` form (`verifyclientcertrevocation: "enable"`,
   * `revocationfreshnesstime: "0"`, `sslctlstorename: "AdfsTrustedDevices"`), always complete for
   * the host's OS: defaults are filled in, so two bindings with the same effective settings are
   * equal whether or not the flags were typed. String settings that are `(null)` are absent.
   */
  params: Record<string, string>;
}

export interface SimFaults {
  /** the SSH listener is closed: connection refused */
  unreachable: boolean;
  /** every authentication attempt is rejected */
  badAuth: boolean;
  /** the session runs at Medium integrity: whoami shows S-1-16-8192, netsh changes fail with 5 */
  notElevated: boolean;
  /** delay before every exec reply */
  slowMs: number;
  /** a command matching this never answers */
  hangOn?: RegExp;
  /** a command matching this is executed, then the connection is destroyed before the reply */
  dropAfter?: RegExp;
  /**
   * A flaky network, deterministic: every Nth command this host receives (counted over all its
   * connections: N, 2N, 3N, ...) is executed, then its connection is destroyed before the reply.
   * 5 models a host that drops 20% of its sessions. 0 or absent: never.
   */
  dropEveryNth?: number;
  /** every Nth TCP connection to the SSH port (N, 2N, ...) is cut before the SSH handshake. 0 or absent: never. */
  dropConnectionEveryNth?: number;
  /** a command matching this returns truncated output followed by junk bytes */
  garbageOn?: RegExp;
  /** after a binding changes, the TLS endpoint keeps serving the previous certificate this often */
  staleHandshakes: number;
  /** add/update with this hash fails with 1312 even though the key is there (unusable key) */
  failAddWith1312ForHash?: string;
}

export function defaultFaults(): SimFaults {
  return { unreachable: false, badAuth: false, notElevated: false, slowMs: 0, staleHandshakes: 0 };
}

export interface SimCertificateSpec {
  cert: SimCertificate;
  hasPrivateKey?: boolean;
  template?: string;
  store?: string;
}

export interface SimBindingSpec {
  kind: SimBindingKind;
  endpoint: string;
  certHash?: string;
  appId: string;
  storeName?: string | null;
  /** settings in `add sslcert` form; missing ones take the http.sys defaults */
  params?: Record<string, string>;
}

export interface SimHostSpec {
  name: string;
  profile?: Partial<SimProfile>;
  certificates?: SimCertificateSpec[];
  bindings?: SimBindingSpec[];
  faults?: Partial<SimFaults>;
  groups?: string[];
}

export interface SimSnapshot {
  certificates: Array<{ thumbprint: string; hasPrivateKey: boolean; store: string; template?: string }>;
  bindings: SimBinding[];
}

export function bindingKeyOf(b: Pick<SimBinding, "kind" | "endpoint">): string {
  return `${b.kind}=${b.endpoint.toLowerCase()}`;
}

export function cloneBinding(b: SimBinding): SimBinding {
  return { ...b, params: { ...b.params } };
}

/** Is this store name the personal store (MY, case-insensitive; null means MY for http.sys)? */
export function storeMatches(entryStore: string, storeName: string | null): boolean {
  return entryStore.toLowerCase() === (storeName ?? "MY").toLowerCase();
}
