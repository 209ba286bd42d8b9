/**
 * Every consumer of every certificate on one host, from what discovery read (pure): the http.sys
 * bindings classified by owner, the WinRM HTTPS listeners, the WMSvc and RDP registry values.
 * Also the two checks that need the whole picture: an owner whose own setting disagrees with the
 * binding it owns (drift: the owner will re-apply its setting on restart), and a WinRM listener
 * whose Hostname a new certificate does not cover (WinRM refuses it: the host must be blocked).
 */
import type { Binding } from "../model/binding.js";
import type { Consumer } from "../model/consumer.js";
import { classifyBinding, WMSVC_PORT } from "../windows/binding-owner.js";
import type { RegHashReading } from "../windows/reg-parse.js";
import type { WinrmListener } from "../windows/winrm-listener-parse.js";
import { nameCovers } from "../certificate/names.js";

export interface ConsumerReadings {
  bindings: readonly Binding[];
  /** null: not read (WinRM not queried or not installed) */
  winrmListeners: readonly WinrmListener[] | null;
  rdp: RegHashReading | null;
  wmsvc: RegHashReading | null;
}

const listenerName = (l: Pick<WinrmListener, "address" | "transport">): string => `Listener?Address=${l.address}+Transport=${l.transport}`;

function registryConsumer(owner: "rdp" | "wmsvc", reading: RegHashReading): Consumer {
  const name = owner === "rdp" ? "RDP-Tcp\\SSLCertificateSHA1Hash" : "WebManagement\\Server\\SslCertificateHash";
  const evidence =
    reading.state === "present"
      ? [`REG_BINARY ${name}`]
      : reading.state === "absent"
        ? [owner === "rdp" ? "no value: the RDP listener uses its self-signed certificate" : "no value"]
        : [`unreadable: ${reading.reason}`];
  return {
    source: "registry",
    owner,
    handling: owner === "rdp" ? "owner-setting" : "with-owner-setting",
    name,
    certHash: reading.state === "present" ? reading.thumbprint : null,
    evidence,
  };
}

export function consumersOf(r: ConsumerReadings): Consumer[] {
  const out: Consumer[] = r.bindings.map((b) => {
    const c = classifyBinding(b);
    return { source: "binding", owner: c.owner, handling: c.handling, name: b.endpoint, certHash: b.certHash, evidence: c.evidence };
  });
  for (const l of r.winrmListeners ?? []) {
    if (l.transport !== "HTTPS") continue;
    out.push({
      source: "winrm-listener",
      owner: "winrm-https",
      handling: "with-owner-setting",
      name: listenerName(l),
      certHash: l.certificateThumbprint,
      ...(l.hostname !== "" ? { hostname: l.hostname } : {}),
      evidence: [`winrm listener on port ${l.port ?? "?"}`, ...(l.certificateThumbprint === null && l.certificateThumbprintText !== "" ? [`CertificateThumbprint "${l.certificateThumbprintText.slice(0, 60)}" unreadable`] : [])],
    });
  }
  if (r.wmsvc && r.wmsvc.state !== "absent") out.push(registryConsumer("wmsvc", r.wmsvc));
  if (r.rdp) out.push(registryConsumer("rdp", r.rdp));
  return out;
}

/** The consumers that name `thumbprint`. */
export function consumersUsing(consumers: readonly Consumer[], thumbprint: string): Consumer[] {
  return consumers.filter((c) => c.certHash === thumbprint);
}

export interface OwnerMismatch {
  owner: "winrm-https" | "wmsvc";
  /** the binding http.sys serves from */
  binding: string;
  bindingHash: string | null;
  /** what the owner's own setting names (and will re-apply on restart) */
  ownerSetting: string;
  ownerHash: string | null;
}

const portOf = (endpoint: string): number | null => {
  const m = /:(\d{1,5})$/.exec(endpoint);
  return m ? Number(m[1]) : null;
};

function listenerMatchesBinding(l: WinrmListener, b: Binding): boolean {
  if (b.kind !== "ipport" || portOf(b.endpoint) !== l.port) return false;
  const host = b.endpoint.slice(0, b.endpoint.lastIndexOf(":"));
  return l.address === "*" ? host === "0.0.0.0" || host === "[::]" : `IP:${host}`.toLowerCase() === l.address.toLowerCase();
}

/**
 * Bindings whose owner's own setting names another certificate: verify reports them as a mismatch
 * even when http.sys serves the expected certificate, because the owner will put its own back.
 */
export function ownerMismatches(r: ConsumerReadings): OwnerMismatch[] {
  const out: OwnerMismatch[] = [];
  for (const l of r.winrmListeners ?? []) {
    if (l.transport !== "HTTPS") continue;
    for (const b of r.bindings.filter((x) => listenerMatchesBinding(l, x))) {
      if (b.certHash !== l.certificateThumbprint) {
        out.push({ owner: "winrm-https", binding: b.endpoint, bindingHash: b.certHash, ownerSetting: listenerName(l), ownerHash: l.certificateThumbprint });
      }
    }
  }
  if (r.wmsvc && r.wmsvc.state === "present") {
    const hash = r.wmsvc.thumbprint;
    for (const b of r.bindings.filter((x) => x.kind === "ipport" && portOf(x.endpoint) === WMSVC_PORT)) {
      if (b.certHash !== hash) out.push({ owner: "wmsvc", binding: b.endpoint, bindingHash: b.certHash, ownerSetting: "WebManagement\\Server\\SslCertificateHash", ownerHash: hash });
    }
  }
  return out;
}

/**
 * WinRM refuses a listener certificate that does not cover the listener's Hostname: the reason
 * to block the host before any change, or null when every HTTPS listener is covered.
 */
export function winrmHostnameBlock(listeners: readonly WinrmListener[], newCertNames: readonly string[]): string | null {
  const uncovered = listeners.filter((l) => l.transport === "HTTPS" && l.hostname !== "" && !newCertNames.some((n) => nameCovers(n, l.hostname)));
  if (uncovered.length === 0) return null;
  return `the WinRM HTTPS listener's Hostname ${uncovered.map((l) => l.hostname).join(", ")} is not covered by the new certificate (${newCertNames.join(", ") || "no DNS names"}); WinRM would refuse it`;
}
