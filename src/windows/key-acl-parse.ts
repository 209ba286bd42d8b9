/**
 * Where a certificate's private key lives and who may read it, in a language-independent form.
 *
 * The key file: `certutil -store My <thumbprint>` names the key's container. Its file name under
 * `C:\ProgramData\Microsoft\Crypto\RSA\MachineKeys\` (CryptoAPI CSPs) or `...\Crypto\Keys\` (CNG
 * key storage providers) is the *unique* container name (`<md5 of the name>_<machine GUID>`):
 * certutil prints it on a `Unique container name:` line, and for machine keys created by the
 * SChannel/Enhanced CSPs the `Key Container` itself already has that form (see the samples).
 *
 * Who may read it: the DACL as SDDL, from `icacls <file> /save <aclfile>` (docs/facts.md §H):
 * SIDs and SDDL aliases (`NS`, `SY`, `BA`) instead of account names, so "NETWORK SERVICE",
 * "NETZWERKDIENST" and "SERVICE RÉSEAU" all read as S-1-5-20.
 */

export type KeyStorage = "csp" | "cng";

export interface KeyLocation {
  /** the file name under the storage directory */
  uniqueName: string;
  provider: string;
  storage: KeyStorage;
}

export type KeyLocationReading = { ok: true; location: KeyLocation } | { ok: false; reason: string };

const UNIQUE_RE = /^[0-9a-f]{32}_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const LABEL_UNIQUE = /^\s*(?:unique container name|nom de conteneur unique|eindeutiger containername)\s*[:=]\s*(.*)$/i;
const LABEL_CONTAINER = /^\s*(?:key container|conteneur de clé|schlüsselcontainer)\s*[:=]\s*(.*)$/i;
const LABEL_PROVIDER = /^\s*(?:provider|fournisseur|anbieter)\s*[:=]\s*(.*)$/i;

/** CNG key storage providers; every other provider name is a CryptoAPI CSP. */
const CNG_PROVIDERS = /key storage provider|platform crypto provider|smart card key storage/i;

export const MACHINE_KEY_DIRS: Record<KeyStorage, string> = {
  csp: "C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys",
  cng: "C:\\ProgramData\\Microsoft\\Crypto\\Keys",
};

/** Reads the key location from `certutil -store My <thumbprint>` (one certificate block). */
export function parseKeyLocation(certutilText: string): KeyLocationReading {
  const lines = certutilText.replace(/\r*\n|\r/g, "\n").split("\n");
  let unique: string | undefined;
  let container: string | undefined;
  let provider: string | undefined;
  for (const [i, line] of lines.entries()) {
    const u = LABEL_UNIQUE.exec(line);
    if (u && unique === undefined) {
      unique = u[1]!.trim();
      // An 80-column console cuts the name; the rest starts the next line (fyicenter sample).
      const next = (lines[i + 1] ?? "").trim();
      if (!UNIQUE_RE.test(unique) && /^[0-9a-f-]+$/i.test(next) && UNIQUE_RE.test(unique + next)) unique += next;
    }
    const c = LABEL_CONTAINER.exec(line);
    if (c && container === undefined) container = c[1]!.trim();
    const p = LABEL_PROVIDER.exec(line);
    if (p && provider === undefined) provider = p[1]!.trim();
  }
  if (provider === undefined) return { ok: false, reason: "certutil printed no key provider: the certificate has no private key here" };
  const name = unique !== undefined && UNIQUE_RE.test(unique) ? unique : container !== undefined && UNIQUE_RE.test(container) ? container : undefined;
  if (name === undefined) {
    return {
      ok: false,
      reason: unique !== undefined
        ? `the unique container name "${unique.slice(0, 80)}" is not <32 hex>_<GUID> (cut by the console?)`
        : `the key container "${(container ?? "").slice(0, 80)}" is not a unique container name and certutil printed none`,
    };
  }
  return { ok: true, location: { uniqueName: name.toLowerCase(), provider, storage: CNG_PROVIDERS.test(provider) ? "cng" : "csp" } };
}

export function keyFilePath(location: KeyLocation): string {
  return `${MACHINE_KEY_DIRS[location.storage]}\\${location.uniqueName}`;
}

// --- ACL as SDDL ---

/** SDDL SID aliases (MS-DTYP 2.4.2.4) that a key file's DACL can carry. */
const SID_ALIASES: Record<string, string> = {
  SY: "S-1-5-18",
  LS: "S-1-5-19",
  NS: "S-1-5-20",
  BA: "S-1-5-32-544",
  BU: "S-1-5-32-545",
  BG: "S-1-5-32-546",
  PU: "S-1-5-32-547",
  SO: "S-1-5-32-549",
  BO: "S-1-5-32-551",
  IU: "S-1-5-4",
  SU: "S-1-5-6",
  NU: "S-1-5-2",
  AU: "S-1-5-11",
  WD: "S-1-1-0",
  CO: "S-1-3-0",
  OW: "S-1-3-4",
  RC: "S-1-5-12",
  AN: "S-1-5-7",
  IS: "S-1-5-32-568",
  AC: "S-1-15-2-1",
};

export const WELL_KNOWN = {
  system: "S-1-5-18",
  networkService: "S-1-5-20",
  localService: "S-1-5-19",
  administrators: "S-1-5-32-544",
} as const;

export interface Ace {
  /** `A` allow, `D` deny (other ACE types are kept but never grant read) */
  type: string;
  flags: string;
  /** SDDL rights: `FA`, `FR`, `GR`, `0x120089`, ... */
  rights: string;
  sid: string;
  inherited: boolean;
}

export interface KeyAcl {
  /** the object name icacls wrote on the line before the SDDL */
  object: string;
  sddl: string;
  aces: Ace[];
}

export type KeyAclReading = { ok: true; acl: KeyAcl } | { ok: false; reason: string };

const SID_RE = /^S-1-\d+(?:-\d+){1,14}$/;

function sidOf(token: string): string | null {
  if (SID_RE.test(token)) return token.toUpperCase();
  return SID_ALIASES[token.toUpperCase()] ?? null;
}

/**
 * Reads the output of `icacls <file> /save <aclfile>` followed by printing the ACL file: the
 * file is UTF-16LE (its NULs survive an OEM `type`), one line with the object name and one line
 * with the SDDL (`D:AI(A;;FA;;;SY)(A;;FA;;;BA)`).
 */
export function parseIcaclsSave(text: string): KeyAclReading {
  const lines = text
    .replace(/^\ufeff|\u0000|\ufffd/g, "")
    .replace(/\u0000/g, "")
    .replace(/\r*\n|\r/g, "\n")
    .split("\n")
    // A BOM seen through an OEM code page (`ÿþ`, NBSP + `■`) or as U+FEFF: not part of the name.
    .map((l) => l.replace(/^(?:\ufeff|\u00ff\u00fe|\u00a0\u25a0|\ufffd)+/, "").trim())
    .filter((l) => l !== "");
  const at = lines.findIndex((l) => /^(?:O:[^()]*)?(?:G:[^()]*)?D:[A-Z]*\(/.test(l));
  if (at < 0) return { ok: false, reason: "no SDDL line (D:...) in the saved ACL" };
  const sddl = lines[at]!;
  const dacl = sddl.slice(sddl.indexOf("D:") + 2);
  const aces: Ace[] = [];
  const body = dacl.replace(/^[A-Z]*/, "");
  const re = /\(([^()]*)\)/g;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = re.exec(body)) !== null) {
    if (m.index !== consumed) break; // a SACL ("S:") or garbage follows the DACL
    consumed = re.lastIndex;
    const parts = m[1]!.split(";");
    if (parts.length < 6) return { ok: false, reason: `malformed ACE "(${m[1]!.slice(0, 60)})"` };
    const sid = sidOf(parts[5]!.trim());
    if (sid === null) return { ok: false, reason: `unknown SID "${parts[5]!.slice(0, 40)}" in ACE` };
    const flags = parts[1]!.toUpperCase();
    aces.push({ type: parts[0]!.toUpperCase(), flags, rights: parts[2]!.toUpperCase(), sid, inherited: /ID/.test(flags) });
  }
  return { ok: true, acl: { object: at > 0 ? lines[at - 1]! : "", sddl, aces } };
}

const FILE_READ_DATA = 0x1;
const GENERIC_READ = 0x80000000;
const GENERIC_ALL = 0x10000000;

function grantsRead(rights: string): boolean {
  if (/^0X[0-9A-F]+$/.test(rights)) {
    const mask = Number.parseInt(rights.slice(2), 16);
    return (mask & (FILE_READ_DATA | GENERIC_READ | GENERIC_ALL)) !== 0;
  }
  const codes = rights.match(/../g) ?? [];
  return codes.some((c) => ["FA", "FR", "GA", "GR", "CC", "KA", "KR"].includes(c));
}

/** SIDs the DACL lets read the key (an explicit deny for read wins). */
export function sidsWithRead(acl: KeyAcl): string[] {
  const denied = new Set(acl.aces.filter((a) => a.type === "D" && grantsRead(a.rights)).map((a) => a.sid));
  const out: string[] = [];
  for (const a of acl.aces) {
    if (a.type === "A" && grantsRead(a.rights) && !denied.has(a.sid) && !out.includes(a.sid)) out.push(a.sid);
  }
  return out;
}

/** Accounts to carry over to a new key: readers other than Administrators and SYSTEM. */
export function extraReaders(acl: KeyAcl): string[] {
  return sidsWithRead(acl).filter((s) => s !== WELL_KNOWN.system && s !== WELL_KNOWN.administrators);
}
