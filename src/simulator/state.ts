/**
 * The data of one simulated Windows host: certificate stores, http.sys SSL bindings, the profile
 * (OS generation, display language, OpenSSH default shell, elevation) and the faults a test can
 * switch on at any time. Pure data plus small mutation helpers; no I/O.
 */
import type { SimConsumersSpec } from "./consumers.js";
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
  /** set by `certutil -importpfx`: whether the key was imported exportable (false with NoExport) */
  exportable?: boolean;
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
  /** a command matching this never answers; in a line of several commands, the first program matching it hangs (what ran before it stays done) */
  hangOn?: RegExp;
  /** a command matching this is executed, then the connection is destroyed before the reply */
  dropAfter?: RegExp;
  /**
   * A flaky network, deterministic: every Nth command this host receives (counted over all its
   * connections: N, 2N, 3N, ...) is executed, then its connection is destroyed before the reply.
   * 5 models a host that drops 20% of its sessions. 0 or absent: never.
   */
  dropEveryNth?: number;
  /**
   * the connection is cut right after the Nth binding change made by one command (a batch): the
   * change is in place, the rest of that command never runs and no reply is sent
   */
  dropAfterChanges?: number;
  /** every Nth TCP connection to the SSH port (N, 2N, ...) is cut before the SSH handshake. 0 or absent: never. */
  dropConnectionEveryNth?: number;
  /** a command matching this returns truncated output followed by junk bytes */
  garbageOn?: RegExp;
  /** after a binding changes, the TLS endpoint keeps serving the previous certificate this often */
  staleHandshakes: number;
  /** add/update with this hash fails with 1312 even though the key is there (unusable key) */
  failAddWith1312ForHash?: string;
  /** the OpenSSH server has no sftp subsystem configured: SFTP requests are refused */
  noSftp?: boolean;
  /**
   * `certutil -importpfx` reports success but the key does not land (puppetlabs-sslcertificate#116:
   * a certificate imported without its key); the probe shows "Missing stored keyset"
   */
  importDropsKey?: boolean;
  /** `ver` prints no version number (a build certfleet cannot read: it must learn `update` support at the first change) */
  unreadableVersion?: boolean;
  /** WinRM: the next this-many Receives answer the w:TimedOut fault (no output yet) */
  winrmOperationTimeouts?: number;
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

/** How the host's WinRM service is set up; absent: no WinRM listener. */
export interface SimWinrmSpec {
  /** an HTTPS listener with a self-signed certificate instead of HTTP */
  https?: boolean;
  /** winrm/config/service/auth Negotiate (default true) */
  negotiate?: boolean;
  /** winrm/config/service/auth Basic (default false) */
  basic?: boolean;
  /** winrm/config/service AllowUnencrypted (default false) */
  allowUnencrypted?: boolean;
  /** winrm/config/winrs MaxShellsPerUser (default 30) */
  maxShellsPerUser?: number;
}

export interface SimHostSpec {
  name: string;
  winrm?: SimWinrmSpec;
  profile?: Partial<SimProfile>;
  certificates?: SimCertificateSpec[];
  bindings?: SimBindingSpec[];
  faults?: Partial<SimFaults>;
  groups?: string[];
  /** WinRM listeners, RDP/WMSvc registry values, key grants (see consumers.ts) */
  consumers?: SimConsumersSpec;
}

export interface SimSnapshot {
  certificates: Array<{ thumbprint: string; hasPrivateKey: boolean; store: string; template?: string; exportable?: boolean }>;
  bindings: SimBinding[];
  /** every file on the host's simulated disk (staged PFX and .cer files), full Windows paths */
  files: string[];
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
