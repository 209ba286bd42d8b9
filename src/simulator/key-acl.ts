/**
 * Private-key file ACLs of a simulated host and `icacls` over the key files, `type` and `del`
 * for the ACL file `icacls /save` writes. A freshly imported machine key grants only SYSTEM and
 * Administrators (Full control); NETWORK SERVICE (S-1-5-20) must be granted read for the RDP
 * listener to use it. Account names are shown and accepted in the display language
 * ("NETZWERKDIENST", "SERVICE RÉSEAU"): a grant by the English name fails on a German host,
 * a grant by SID (`*S-1-5-20`) works everywhere.
 */
import iconv from "iconv-lite";
import type { SimFileSystem } from "./files.js";
import { keyContainerName } from "./certutil-text.js";
import { lines } from "./netsh-text.js";
import type { ProgramResult } from "./netsh.js";
import type { SimLanguage, SimStoreEntry } from "./state.js";

export interface SimAce {
  sid: string;
  /** SDDL rights: `FA` full, `FR` read */
  rights: "FA" | "FR";
}

export const NETWORK_SERVICE = "S-1-5-20";
export const DEFAULT_KEY_ACL: readonly SimAce[] = [
  { sid: "S-1-5-18", rights: "FA" },
  { sid: "S-1-5-32-544", rights: "FA" },
];

const MACHINE_KEYS = "c:\\programdata\\microsoft\\crypto\\rsa\\machinekeys\\";

const ALIAS: Record<string, string> = { "S-1-5-18": "SY", "S-1-5-32-544": "BA", "S-1-5-20": "NS", "S-1-5-19": "LS" };

/** Account names as icacls shows and accepts them, per display language (Microsoft localized names). */
const NAMES: Record<SimLanguage, Record<string, string[]>> = {
  en: {
    "S-1-5-18": ["NT AUTHORITY\\SYSTEM", "SYSTEM"],
    "S-1-5-32-544": ["BUILTIN\\Administrators", "Administrators"],
    "S-1-5-20": ["NT AUTHORITY\\NETWORK SERVICE", "NETWORK SERVICE"],
    "S-1-5-19": ["NT AUTHORITY\\LOCAL SERVICE", "LOCAL SERVICE"],
  },
  fr: {
    "S-1-5-18": ["AUTORITE NT\\Système", "Système"],
    "S-1-5-32-544": ["BUILTIN\\Administrateurs", "Administrateurs"],
    "S-1-5-20": ["AUTORITE NT\\SERVICE RÉSEAU", "SERVICE RÉSEAU"],
    "S-1-5-19": ["AUTORITE NT\\SERVICE LOCAL", "SERVICE LOCAL"],
  },
  de: {
    "S-1-5-18": ["NT-AUTORITÄT\\SYSTEM", "SYSTEM"],
    "S-1-5-32-544": ["VORDEFINIERT\\Administratoren", "Administratoren"],
    "S-1-5-20": ["NT-AUTORITÄT\\NETZWERKDIENST", "NETZWERKDIENST"],
    "S-1-5-19": ["NT-AUTORITÄT\\LOKALER DIENST", "LOKALER DIENST"],
  },
};

const TEXT: Record<SimLanguage, { processed: (f: string) => string; summary: (ok: number, failed: number) => string; noMapping: (n: string) => string; notFound: string; denied: string; typeNotFound: string }> = {
  en: {
    processed: (f) => `processed file: ${f}`,
    summary: (ok, failed) => `Successfully processed ${ok} files; Failed processing ${failed} files`,
    noMapping: (n) => `${n}: No mapping between account names and security IDs was done.`,
    notFound: "The system cannot find the file specified.",
    denied: "Access is denied.",
    typeNotFound: "The system cannot find the file specified.",
  },
  fr: {
    processed: (f) => `fichier traité : ${f}`,
    summary: (ok, failed) => `${ok} fichiers correctement traités ; échec du traitement de ${failed} fichiers`,
    noMapping: (n) => `${n} : le mappage entre les noms de compte et les ID de sécurité n'a pas été effectué.`,
    notFound: "Le fichier spécifié est introuvable.",
    denied: "Accès refusé.",
    typeNotFound: "Le fichier spécifié est introuvable.",
  },
  de: {
    processed: (f) => `Bearbeitete Datei: ${f}`,
    summary: (ok, failed) => `${ok} Dateien erfolgreich verarbeitet, bei ${failed} Dateien ist ein Verarbeitungsfehler aufgetreten.`,
    noMapping: (n) => `${n}: Es wurde keine Zuordnung zwischen Kontennamen und Sicherheitskennungen durchgeführt.`,
    notFound: "Das System kann die angegebene Datei nicht finden.",
    denied: "Zugriff verweigert",
    typeNotFound: "Das System kann die angegebene Datei nicht finden.",
  },
};

export interface KeyAclHost {
  language: SimLanguage;
  elevated: boolean;
  certificates: SimStoreEntry[];
  /** ACL per certificate thumbprint (absent: the default ACL) */
  keyAcls: Map<string, SimAce[]>;
  /** the host's disk (icacls /save writes there, type reads it) */
  files: SimFileSystem;
}

export function aclOf(host: Pick<KeyAclHost, "keyAcls">, thumbprint: string): SimAce[] {
  return host.keyAcls.get(thumbprint) ?? DEFAULT_KEY_ACL.map((a) => ({ ...a }));
}

export function canRead(host: Pick<KeyAclHost, "keyAcls">, thumbprint: string, sid: string): boolean {
  return aclOf(host, thumbprint).some((a) => a.sid === sid);
}

/** Whether a path names a machine key file (CSP MachineKeys), whose ACL this model owns. */
export function isKeyFile(path: string): boolean {
  return path.toLowerCase().startsWith(MACHINE_KEYS);
}

function entryForKeyFile(host: KeyAclHost, path: string): SimStoreEntry | undefined {
  const p = path.toLowerCase();
  if (!p.startsWith(MACHINE_KEYS)) return undefined;
  const name = p.slice(MACHINE_KEYS.length);
  return host.certificates.find((e) => e.hasPrivateKey && keyContainerName(e.cert.thumbprint) === name);
}

function sidFor(host: KeyAclHost, who: string): string | null {
  if (who.startsWith("*")) return /^S-1-\d+(?:-\d+)+$/i.test(who.slice(1)) ? who.slice(1).toUpperCase() : null;
  for (const [sid, names] of Object.entries(NAMES[host.language])) {
    if (names.some((n) => n.toLowerCase() === who.toLowerCase())) return sid;
  }
  return null;
}

function nameOf(host: KeyAclHost, sid: string): string {
  return NAMES[host.language][sid]?.[0] ?? sid;
}

function sddl(acl: SimAce[]): string {
  return `D:PAI${acl.map((a) => `(A;;${a.rights};;;${ALIAS[a.sid] ?? a.sid})`).join("")}`;
}

/** `icacls <file>`, `icacls <file> /save <out> [/q]`, `/grant <who>:R`, `/remove[:g] <who>` */
export function runIcacls(host: KeyAclHost, argv: string[]): ProgramResult {
  const T = TEXT[host.language];
  const [file, op, arg] = argv;
  const quiet = argv.some((a) => a.toLowerCase() === "/q");
  if (!file) return { stdout: "", stderr: lines("Invalid parameter"), code: 87 };
  const entry = entryForKeyFile(host, file);
  if (!entry) return { stdout: "", stderr: lines(`${file}: ${T.notFound}`, T.summary(0, 1)), code: 2 };
  const thumb = entry.cert.thumbprint;
  const acl = aclOf(host, thumb);
  const done = (): ProgramResult => ({ stdout: lines(...(quiet ? [] : [T.processed(file)]), T.summary(1, 0)), stderr: "", code: 0 });
  if (op === undefined) {
    const rows = acl.map((a, i) => `${i === 0 ? file + " " : " ".repeat(file.length + 1)}${nameOf(host, a.sid)}:(${a.rights === "FA" ? "F" : "R"})`);
    return { stdout: lines(...rows, "", T.summary(1, 0)), stderr: "", code: 0 };
  }
  const o = op.toLowerCase();
  if (o === "/save" && arg) {
    // icacls writes its ACL file in UTF-16LE, without a BOM: the name line, then the SDDL.
    const name = file.slice(file.lastIndexOf("\\") + 1);
    if (!host.files.writeFile(arg, iconv.encode(`${name}\r\n${sddl(acl)}\r\n`, "utf16le"))) {
      return { stdout: "", stderr: lines(`${arg}: ${T.notFound}`, T.summary(0, 1)), code: 3 };
    }
    return done();
  }
  if (!host.elevated) return { stdout: "", stderr: lines(`${file}: ${T.denied}`, T.summary(0, 1)), code: 5 };
  if (o === "/grant" && arg) {
    const m = /^(.+):\(?(R|F)\)?$/i.exec(arg);
    const sid = m ? sidFor(host, m[1]!) : null;
    if (!m || sid === null) return { stdout: "", stderr: lines(T.noMapping(m?.[1] ?? arg), T.summary(0, 1)), code: 1332 };
    const rights = m[2]!.toUpperCase() === "F" ? "FA" : "FR";
    const next = acl.filter((a) => a.sid !== sid || a.rights === "FA");
    if (!next.some((a) => a.sid === sid)) next.push({ sid, rights });
    host.keyAcls.set(thumb, next);
    return done();
  }
  if ((o === "/remove" || o === "/remove:g") && arg) {
    const sid = sidFor(host, arg);
    if (sid === null) return { stdout: "", stderr: lines(T.noMapping(arg), T.summary(0, 1)), code: 1332 };
    host.keyAcls.set(thumb, acl.filter((a) => a.sid !== sid));
    return done();
  }
  return { stdout: "", stderr: lines("Invalid parameter"), code: 87 };
}

/** cmd's `type <file>`: the bytes as they are (a UTF-16LE file without a BOM shows its NULs). */
export function typeFile(host: KeyAclHost, argv: string[]): { bytes: Buffer } | ProgramResult {
  const bytes = argv[0] ? host.files.readFile(argv[0]) : undefined;
  if (!bytes) return { stdout: "", stderr: lines(TEXT[host.language].typeNotFound), code: 1 };
  return { bytes };
}

