/**
 * The registry values a simulated host's certificate consumers read (the RDP listener's
 * `SSLCertificateSHA1Hash`, WMSvc's `SslCertificateHash`, anything a test adds) and `reg.exe`
 * query/add/delete over them, printed as reg.exe prints them: a blank line, the key with
 * `HKEY_LOCAL_MACHINE` spelled out, `    <name>    <TYPE>    <data>` with REG_BINARY as one run
 * of uppercase hex; errors in the display language on stderr with exit code 1.
 */
import { lines } from "./netsh-text.js";
import type { ProgramResult } from "./netsh.js";
import type { SimLanguage } from "./state.js";

export interface SimRegistryValue {
  type: "REG_BINARY" | "REG_SZ" | "REG_DWORD";
  /** REG_BINARY: lowercase hex; REG_SZ: the text; REG_DWORD: decimal */
  data: string;
}

export const SIM_REG_KEYS = {
  rdp: "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp",
  wmsvc: "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\WebManagement\\Server",
} as const;

/** Keys that exist on every simulated host (values under them may not). */
const DEFAULT_KEYS = [SIM_REG_KEYS.rdp, "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft"];

export class SimRegistry {
  private readonly keys = new Set<string>(DEFAULT_KEYS.map((k) => k.toLowerCase()));
  private readonly values = new Map<string, SimRegistryValue & { name: string }>();

  static canonicalKey(key: string): string | null {
    const m = /^(HKLM|HKEY_LOCAL_MACHINE)\\(.+)$/i.exec(key.replace(/\\+$/, ""));
    return m ? `HKEY_LOCAL_MACHINE\\${m[2]}` : null;
  }

  hasKey(key: string): boolean {
    return this.keys.has(key.toLowerCase());
  }

  addKey(key: string): void {
    const parts = key.split("\\");
    for (let i = 2; i <= parts.length; i++) this.keys.add(parts.slice(0, i).join("\\").toLowerCase());
  }

  get(key: string, name: string): SimRegistryValue | undefined {
    const v = this.values.get(`${key.toLowerCase()}|${name.toLowerCase()}`);
    return v ? { type: v.type, data: v.data } : undefined;
  }

  valueName(key: string, name: string): string | undefined {
    return this.values.get(`${key.toLowerCase()}|${name.toLowerCase()}`)?.name;
  }

  set(key: string, name: string, value: SimRegistryValue): void {
    this.addKey(key);
    const existing = this.valueName(key, name);
    this.values.set(`${key.toLowerCase()}|${name.toLowerCase()}`, { ...value, name: existing ?? name });
  }

  delete(key: string, name: string): boolean {
    return this.values.delete(`${key.toLowerCase()}|${name.toLowerCase()}`);
  }

  /** A REG_BINARY value read as a 40-digit thumbprint, or null (absent or not 20 bytes). */
  thumbprint(key: string, name: string): string | null {
    const v = this.get(key, name);
    return v && v.type === "REG_BINARY" && /^[0-9a-f]{40}$/.test(v.data) ? v.data : null;
  }

  snapshot(): Record<string, SimRegistryValue> {
    const out: Record<string, SimRegistryValue> = {};
    for (const v of this.values.values()) out[v.name] = { type: v.type, data: v.data };
    return out;
  }

  entries(): Array<{ key: string; name: string; value: SimRegistryValue }> {
    return [...this.values.entries()].map(([k, v]) => ({ key: k.split("|")[0]!, name: v.name, value: { type: v.type, data: v.data } }));
  }
}

const TEXT: Record<SimLanguage, { notFound: string; ok: string; denied: string; invalid: string }> = {
  en: {
    notFound: "ERROR: The system was unable to find the specified registry key or value.",
    ok: "The operation completed successfully.",
    denied: "ERROR: Access is denied.",
    invalid: "ERROR: Invalid syntax.\r\nType \"REG /?\" for usage.",
  },
  // CP850 cannot print U+2019: the console shows an ASCII apostrophe (constructed, see docs/messages.md).
  fr: {
    notFound: "ERREUR : le système n'a pas trouvé la clé ou la valeur de Registre spécifiée.",
    ok: "L'opération a réussi.",
    denied: "ERREUR : Accès refusé.",
    invalid: "ERREUR : syntaxe incorrecte.\r\nTapez \"REG /?\" pour afficher la syntaxe.",
  },
  de: {
    notFound: "FEHLER: Der angegebene Registrierungsschlüssel bzw. Wert wurde nicht gefunden.",
    ok: "Der Vorgang wurde erfolgreich beendet.",
    denied: "FEHLER: Zugriff verweigert",
    invalid: "FEHLER: Ungültige Syntax.\r\nGeben Sie \"REG /?\" ein, um die Syntax anzuzeigen.",
  },
};

export interface RegHost {
  language: SimLanguage;
  elevated: boolean;
  registry: SimRegistry;
  /** hears about every change a reg.exe command made */
  registryChanged?(key: string, name: string): void;
}

function option(argv: string[], flag: string): string | undefined {
  const i = argv.findIndex((a) => a.toLowerCase() === flag);
  return i >= 0 ? argv[i + 1] : undefined;
}

function show(value: SimRegistryValue): string {
  if (value.type === "REG_BINARY") return value.data.toUpperCase();
  if (value.type === "REG_DWORD") return `0x${Number(value.data).toString(16)}`;
  return value.data;
}

/** `reg query|add|delete <key> /v <name> [/t REG_BINARY /d <hex>] [/f]` */
export function runReg(host: RegHost, argv: string[]): ProgramResult {
  const T = TEXT[host.language];
  const fail = (text: string): ProgramResult => ({ stdout: "", stderr: lines(text), code: 1 });
  const [verb, rawKey] = argv;
  const key = rawKey === undefined ? null : SimRegistry.canonicalKey(rawKey);
  const name = option(argv, "/v");
  if (!verb || !key || name === undefined) return fail(T.invalid);
  const reg = host.registry;
  switch (verb.toLowerCase()) {
    case "query": {
      const value = reg.get(key, name);
      if (!reg.hasKey(key) || !value) return fail(T.notFound);
      const shownKey = `HKEY_LOCAL_MACHINE${rawKey!.replace(/^(HKLM|HKEY_LOCAL_MACHINE)/i, "")}`;
      return { stdout: lines("", shownKey, `    ${reg.valueName(key, name)}    ${value.type}    ${show(value)}`, ""), stderr: "", code: 0 };
    }
    case "add": {
      if (!argv.some((a) => a.toLowerCase() === "/f")) return fail(T.invalid); // would prompt: never used unattended
      if (!host.elevated) return fail(T.denied);
      const type = (option(argv, "/t") ?? "REG_SZ").toUpperCase();
      const data = option(argv, "/d") ?? "";
      if (type === "REG_BINARY") {
        if (!/^(?:[0-9a-fA-F]{2})*$/.test(data)) return fail(T.invalid);
        reg.set(key, name, { type, data: data.toLowerCase() });
      } else if (type === "REG_SZ" || type === "REG_DWORD") {
        reg.set(key, name, { type, data });
      } else return fail(T.invalid);
      host.registryChanged?.(key, name);
      return { stdout: lines(T.ok), stderr: "", code: 0 };
    }
    case "delete": {
      if (!argv.some((a) => a.toLowerCase() === "/f")) return fail(T.invalid);
      if (!host.elevated) return fail(T.denied);
      if (!reg.hasKey(key) || !reg.delete(key, name)) return fail(T.notFound);
      host.registryChanged?.(key, name);
      return { stdout: lines(T.ok), stderr: "", code: 0 };
    }
    default:
      return fail(T.invalid);
  }
}
