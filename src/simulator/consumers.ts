/**
 * The certificate consumers of a simulated host beyond IIS: what a host spec may declare, and
 * what each owning service does when it (re)starts. WinRM re-writes the http.sys binding of each
 * HTTPS listener from the listener's CertificateThumbprint; WMSvc re-writes its `:8172` binding
 * from the registry value SslCertificateHash. So a binding moved with netsh alone drifts back on
 * the next restart, as on a real server. The RDP listener reads its registry value at each
 * handshake (a value set through WMI takes effect at once), so a restart changes nothing there.
 */
import { SIM_REG_KEYS, type SimRegistry } from "./registry.js";
import type { SimBindingSpec } from "./state.js";
import { WINRM_APPID, type SimWinrmListener } from "./winrm-listener.js";

export interface SimConsumersSpec {
  /** run an RDP listener; `thumbprint` is SSLCertificateSHA1Hash (absent: self-signed) */
  rdp?: { thumbprint?: string };
  /** WMSvc's SslCertificateHash (the :8172 binding itself is an ordinary binding spec) */
  wmsvc?: { thumbprint: string };
  winrmListeners?: Array<{
    address?: string;
    transport: "HTTP" | "HTTPS";
    port?: number;
    hostname?: string;
    enabled?: boolean;
    certificateThumbprint?: string;
  }>;
  /** extra readers on a certificate's private key (SIDs), beyond SYSTEM and Administrators */
  keyGrants?: Array<{ thumbprint: string; sid: string }>;
}

export type SimService = "winrm" | "wmsvc" | "termservice";
export const SIM_SERVICES: readonly SimService[] = ["winrm", "wmsvc", "termservice"];

export const RDP_VALUE = "SSLCertificateSHA1Hash";
export const WMSVC_VALUE = "SslCertificateHash";
export const WMSVC_PORT = 8172;

export function listenersOf(spec: SimConsumersSpec | undefined): SimWinrmListener[] {
  return (spec?.winrmListeners ?? []).map((l) => ({
    address: l.address ?? "*",
    transport: l.transport,
    port: l.port ?? (l.transport === "HTTPS" ? 5986 : 5985),
    hostname: l.hostname ?? "",
    enabled: l.enabled ?? true,
    certificateThumbprint: (l.certificateThumbprint ?? "").toLowerCase(),
  }));
}

export function seedRegistry(registry: SimRegistry, spec: SimConsumersSpec | undefined): void {
  if (spec?.rdp?.thumbprint) registry.set(SIM_REG_KEYS.rdp, RDP_VALUE, { type: "REG_BINARY", data: spec.rdp.thumbprint.toLowerCase() });
  if (spec?.wmsvc) registry.set(SIM_REG_KEYS.wmsvc, WMSVC_VALUE, { type: "REG_BINARY", data: spec.wmsvc.thumbprint.toLowerCase() });
}

/** The http.sys endpoint WinRM binds for a listener: `*` is 0.0.0.0. */
export function winrmEndpoint(l: SimWinrmListener): string {
  return `${l.address === "*" ? "0.0.0.0" : l.address.replace(/^IP:/i, "")}:${l.port}`;
}

/** The binding WinRM writes for an HTTPS listener. */
export function winrmBinding(l: SimWinrmListener): SimBindingSpec {
  return { kind: "ipport", endpoint: winrmEndpoint(l), certHash: l.certificateThumbprint, appId: WINRM_APPID, storeName: null };
}
