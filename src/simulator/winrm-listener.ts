/**
 * WinRM listeners of a simulated host and the two `winrm` commands certfleet uses over them:
 * `winrm enumerate winrm/config/listener` (keys printed untranslated, as on every real host) and
 * `winrm set winrm/config/Listener?Address=..+Transport=HTTPS @{CertificateThumbprint="..."}`.
 * WinRM owns the http.sys binding of an HTTPS listener: a successful set re-writes it, and so
 * does a restart of the service (see SimHost.restartService), which is how a binding changed
 * behind WinRM's back drifts back to the listener's certificate.
 */
import { lines } from "./netsh-text.js";
import type { ProgramResult } from "./netsh.js";
import type { SimLanguage, SimStoreEntry } from "./state.js";

export const WINRM_APPID = "{afebb9ad-9b97-4a91-9ab5-daf4d59122f6}";

export interface SimWinrmListener {
  /** `*` or `IP:10.0.0.5` */
  address: string;
  transport: "HTTP" | "HTTPS";
  port: number;
  /** empty: none */
  hostname: string;
  enabled: boolean;
  /** 40 lowercase hex; empty for HTTP */
  certificateThumbprint: string;
}

export interface WinrmHost {
  language: SimLanguage;
  elevated: boolean;
  winrmListeners: SimWinrmListener[];
  findCertificate(thumbprint: string, storeName: string | null): SimStoreEntry | undefined;
  /** the listener's certificate changed: WinRM re-writes its http.sys binding */
  winrmListenerChanged(listener: SimWinrmListener): void;
}

function listenerBlock(l: SimWinrmListener): string[] {
  return [
    "Listener",
    `    Address = ${l.address}`,
    `    Transport = ${l.transport}`,
    `    Port = ${l.port}`,
    l.hostname === "" ? "    Hostname" : `    Hostname = ${l.hostname}`,
    `    Enabled = ${l.enabled ? "true" : "false"}`,
    "    URLPrefix = wsman",
    l.certificateThumbprint === "" ? "    CertificateThumbprint" : `    CertificateThumbprint = ${l.certificateThumbprint.toUpperCase()}`,
    "    ListeningOn = 127.0.0.1, 10.0.0.10, ::1, fe80::5efe:10.0.0.10%6",
  ];
}

// Fault texts: English from real hosts (docs/messages.md); French and German constructed.
const FAULTS: Record<SimLanguage, { notFound: string; noCert: string; denied: string; usage: string }> = {
  en: {
    notFound: "The service cannot find the resource identified by the resource URI and selectors. ",
    noCert: "Cannot create a WinRM listener on HTTPS because this machine does not have an appropriate certificate. To be used for SSL, a certificate must have a CN matching the hostname, be appropriate for Server Authentication, and not be expired, revoked, or self-signed. ",
    denied: "Access is denied. ",
    usage: 'Error: Invalid use of command line. Type "winrm -?" for help.',
  },
  fr: {
    notFound: "Le service ne trouve pas la ressource identifiée par l'URI de ressource et les sélecteurs. ",
    noCert: "Impossible de créer un écouteur WinRM sur HTTPS, car cet ordinateur ne dispose pas d'un certificat approprié. ",
    denied: "Accès refusé. ",
    usage: "Erreur : utilisation non valide de la ligne de commande. Tapez « winrm -? » pour obtenir de l'aide.",
  },
  de: {
    notFound: "Der Dienst kann die durch den Ressourcen-URI und die Selektoren angegebene Ressource nicht finden. ",
    noCert: "Ein WinRM-Listener kann nicht mit HTTPS erstellt werden, da dieser Computer über kein geeignetes Zertifikat verfügt. ",
    denied: "Zugriff verweigert ",
    usage: 'Fehler: Ungültige Verwendung der Befehlszeile. Geben Sie "winrm -?" ein, um Hilfe zu erhalten.',
  },
};

function fault(message: string, code: number): ProgramResult {
  const hex = `0x${(code >>> 0).toString(16).toUpperCase()}`;
  return {
    stdout: "",
    stderr: lines("WSManFault", "    Message = " + message, "", `Error number:  ${code | 0} ${hex}`, message.trim()),
    code: 1,
  };
}

/** Wildcard-aware match of a DNS name against the certificate's SANs (or CN when it has none). */
function covers(entry: SimStoreEntry, hostname: string): boolean {
  const names = entry.cert.dnsNames.length > 0 ? entry.cert.dnsNames : [/CN=([^,]+)/.exec(entry.cert.subject)?.[1] ?? ""];
  const h = hostname.toLowerCase();
  return names.some((n) => {
    const name = n.toLowerCase();
    if (name.startsWith("*.")) {
      const rest = name.slice(1);
      return h.endsWith(rest) && !h.slice(0, -rest.length).includes(".") && h.length > rest.length;
    }
    return name === h;
  });
}

/** `Listener?Address=*+Transport=HTTPS` -> selectors */
function selectors(uri: string): { address: string; transport: string } | null {
  const m = /^winrm\/config\/listener\?(.+)$/i.exec(uri);
  if (!m) return null;
  const sel = new Map<string, string>();
  for (const part of m[1]!.split("+")) {
    const i = part.indexOf("=");
    if (i > 0) sel.set(part.slice(0, i).toLowerCase(), part.slice(i + 1));
  }
  const address = sel.get("address");
  const transport = sel.get("transport");
  return address && transport ? { address, transport: transport.toUpperCase() } : null;
}

/** `@{CertificateThumbprint="ABC"}` with or without the quotes (WScript drops them). */
function settingsOf(arg: string): Map<string, string> | null {
  const m = /^@\{(.*)\}$/.exec(arg.trim());
  if (!m) return null;
  const out = new Map<string, string>();
  for (const pair of m[1]!.split(";")) {
    if (pair.trim() === "") continue;
    const i = pair.indexOf("=");
    if (i <= 0) return null;
    out.set(pair.slice(0, i).trim().toLowerCase(), pair.slice(i + 1).trim().replace(/^"(.*)"$/, "$1"));
  }
  return out;
}

export function runWinrm(host: WinrmHost, argv: string[]): ProgramResult {
  const F = FAULTS[host.language];
  const usage: ProgramResult = { stdout: "", stderr: lines(F.usage), code: 1 };
  const [verb, uri, settings] = argv;
  if (!verb || !uri) return usage;
  const v = verb.toLowerCase();
  if ((v === "enumerate" || v === "e") && /^winrm\/config\/listener$/i.test(uri)) {
    const blocks = host.winrmListeners.map((l) => listenerBlock(l).join("\r\n"));
    return { stdout: blocks.length === 0 ? "" : `${blocks.join("\r\n\r\n")}\r\n\r\n`, stderr: "", code: 0 };
  }
  if (v === "set" || v === "s") {
    const sel = selectors(uri);
    if (!sel || settings === undefined) return usage;
    const parsed = settingsOf(settings);
    if (!parsed) return usage;
    const listener = host.winrmListeners.find((l) => l.address.toLowerCase() === sel.address.toLowerCase() && l.transport === sel.transport);
    if (!listener) return fault(F.notFound, 0x80338000);
    if (!host.elevated) return fault(F.denied, 0x80070005);
    const thumb = parsed.get("certificatethumbprint");
    if (thumb !== undefined) {
      const t = thumb.toLowerCase();
      const entry = /^[0-9a-f]{40}$/.test(t) ? host.findCertificate(t, "My") : undefined;
      if (!entry || !entry.hasPrivateKey || (listener.hostname !== "" && !covers(entry, listener.hostname))) return fault(F.noCert, 0x80338113);
      listener.certificateThumbprint = t;
      host.winrmListenerChanged(listener);
    }
    return { stdout: lines(...listenerBlock(listener), ""), stderr: "", code: 0 };
  }
  return usage;
}
