/**
 * Parser for `winrm enumerate winrm/config/listener` (also `winrm e ...`). winrm.vbs prints the
 * WS-Management resource keys untranslated on every display language, so the labels are fixed:
 * a `Listener` line, then indented `Name = value` (or a bare `Name` when the value is empty).
 * Long `ListeningOn` lists wrap at the console width; a continuation line has no ` = `.
 */
import { normalizeThumbprint } from "../model/thumbprint.js";

export interface WinrmListener {
  /** `*` or `IP:10.0.0.5`, as printed */
  address: string;
  /** `HTTP` or `HTTPS` (upper-cased) */
  transport: string;
  port: number | null;
  /** empty when the listener has none */
  hostname: string;
  enabled: boolean;
  urlPrefix: string;
  /** 40 lowercase hex, or null (HTTP listener, or a value that is not a SHA-1 thumbprint) */
  certificateThumbprint: string | null;
  /** the value as printed, for reports when it is not a thumbprint */
  certificateThumbprintText: string;
  listeningOn: string[];
}

export interface WinrmListenerParseResult {
  listeners: WinrmListener[];
  warnings: string[];
}

const KEYS = new Set(["address", "transport", "port", "hostname", "enabled", "urlprefix", "certificatethumbprint", "listeningon"]);

export function parseWinrmListeners(text: string): WinrmListenerParseResult {
  const warnings: string[] = [];
  const blocks: Array<Map<string, string>> = [];
  let current: Map<string, string> | null = null;
  let lastKey: string | null = null;
  for (const raw of text.replace(/\r*\n|\r/g, "\n").split("\n")) {
    const line = raw.replace(/[\s\u00a0]+$/, "");
    if (line.trim() === "") {
      lastKey = null;
      continue;
    }
    if (/^\s*Listener(?:\s*\[Source="[^"]*"\])?$/i.test(line)) {
      current = new Map();
      blocks.push(current);
      lastKey = null;
      continue;
    }
    if (!current) {
      if (/^WSManFault|^\s*Error number:|^\s*Message/i.test(line.trim())) warnings.push(`winrm reported an error: "${line.trim()}"`);
      continue;
    }
    const m = /^\s+([A-Za-z]+)(?:\s+=\s?(.*))?$/.exec(line);
    if (m && KEYS.has(m[1]!.toLowerCase())) {
      lastKey = m[1]!.toLowerCase();
      current.set(lastKey, (m[2] ?? "").trim());
    } else if (lastKey === "listeningon") {
      // The console wrapped the address list: the next line carries on the last value.
      current.set(lastKey, `${current.get(lastKey) ?? ""}${line.trim()}`);
    } else if (m) {
      lastKey = m[1]!.toLowerCase();
      current.set(lastKey, (m[2] ?? "").trim());
    } else {
      warnings.push(`winrm listener: unreadable line "${line.trim().slice(0, 80)}"`);
    }
  }

  const listeners: WinrmListener[] = [];
  for (const [i, b] of blocks.entries()) {
    const address = b.get("address");
    const transport = b.get("transport");
    if (address === undefined || transport === undefined) {
      warnings.push(`winrm listener ${i + 1}: no Address or Transport; skipped`);
      continue;
    }
    const thumbText = b.get("certificatethumbprint") ?? "";
    const thumb = thumbText === "" ? null : normalizeThumbprint(thumbText);
    if (thumbText !== "" && thumb === null) {
      warnings.push(`winrm listener ${address} ${transport}: CertificateThumbprint "${thumbText.slice(0, 60)}" is not a SHA-1 thumbprint`);
    }
    const portText = b.get("port") ?? "";
    const port = /^\d{1,5}$/.test(portText) && Number(portText) <= 65535 ? Number(portText) : null;
    listeners.push({
      address,
      transport: transport.toUpperCase(),
      port,
      hostname: b.get("hostname") ?? "",
      enabled: (b.get("enabled") ?? "").toLowerCase() === "true",
      urlPrefix: b.get("urlprefix") ?? "",
      certificateThumbprint: thumb,
      certificateThumbprintText: thumbText,
      listeningOn: (b.get("listeningon") ?? "")
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== ""),
    });
  }
  return { listeners, warnings };
}

/** The HTTPS listener(s): the consumers of a certificate. */
export function httpsListeners(listeners: readonly WinrmListener[]): WinrmListener[] {
  return listeners.filter((l) => l.transport === "HTTPS");
}
