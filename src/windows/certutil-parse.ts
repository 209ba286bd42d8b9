import type { Certificate, PrivateKeyState } from "../model/certificate.js";
import { normalizeThumbprint } from "../model/thumbprint.js";

/**
 * Parser for `certutil -store <name>` (not `-v`): one block per certificate, labels in English,
 * French, German or Chinese, hash spaced (older Windows) or contiguous, dates in the server's
 * regional format.
 *
 * Dates become ISO 8601 strings with a `Z`: certutil prints the server's local wall-clock time
 * without an offset, and we label that wall-clock time as UTC. The error is at most the server's
 * UTC offset, which is harmless for days-to-expiry; a date whose day/month order cannot be told
 * is left out with a warning rather than guessed.
 */
export interface CertutilParseResult {
  certificates: Certificate[];
  warnings: string[];
}

type Field = "serial" | "issuer" | "subject" | "notBefore" | "notAfter" | "template" | "hash";

// Normalised labels (see normLabel). `(sha1)` hash labels are also caught generically below.
const LABELS = new Map<string, Field>([
  ["serial number", "serial"],
  ["numéro de série", "serial"],
  ["seriennummer", "serial"],
  ["序列号", "serial"],
  ["issuer", "issuer"],
  ["émetteur", "issuer"],
  ["aussteller", "issuer"],
  ["颁发者", "issuer"],
  ["subject", "subject"],
  ["objet", "subject"],
  ["antragsteller", "subject"],
  ["使用者", "subject"],
  ["notbefore", "notBefore"],
  ["nicht vor", "notBefore"],
  ["notafter", "notAfter"],
  ["nicht nach", "notAfter"],
  ["template", "template"],
  ["modèle", "template"],
  ["vorlage", "template"],
  ["模板", "template"],
  ["cert hash(sha1)", "hash"],
  ["hach. cert. (sha1)", "hash"],
  ["zertifikathash(sha1)", "hash"],
  ["证书哈希(sha1)", "hash"],
]);
const FRENCH_LABELS = new Set(["numéro de série", "émetteur", "objet", "modèle", "hach. cert. (sha1)"]);

// Lines that say the private key is absent or unusable (mimikatz#22 and the samples).
const NO_KEY = [
  /missing stored keyset/i,
  /no key provider information/i,
  /aucune information sur le fournisseur de cl/i,
  /keine schlüsselanbieterinformationen/i,
  /没有密钥提供程序信息/,
  /cannot find the certificate and private key/i,
  /impossible de trouver le certificat et la cl/i,
  /找不到解密的证书和私钥/,
  /encryption test failed/i,
];
// Lines that only exist when a key container is present. "NOT exportable" still means a key.
const HAS_KEY = [
  /^\s+(key container|unique container name|simple container name|provider)\s*[=:]/i,
  /^\s+(conteneur de clé|nom de conteneur unique|nom de conteneur simple|fournisseur)\s*[=:]/i,
  /^\s+(schlüsselcontainer|eindeutiger containername|einfacher containername|anbieter)\s*[=:]/i,
  /^\s+(密钥容器|唯一容器名|简单容器名|提供程序)\s*[=:]/,
  /private key is not (plain text )?exportable/i,
  /(encryption|signature) test passed/i,
  /(verschlüsselungstest|signaturtest) wurde durchgeführt/i,
];
// Lines certutil prints on their own; a line wrapped at the console width never looks like these.
const STANDALONE =
  /^(archived!|non-root certificate|root certificate|signature matches|missing stored keyset|no key provider|private key is|encryption test|signature test|cannot find|certutil:|aucune|impossible|la signature|certificat racine|certificat non racine|nicht-stammzertifikat|stammzertifikat|verschlüsselungstest|signaturtest|test de chiffrement|test de signature)/i;

const BLOCK_START = /^=+ *\S+ \d+ *=+$/;
const CONSOLE_WIDTHS = new Set([80, 120]);

export function parseCertutilStore(text: string): CertutilParseResult {
  const warnings: string[] = [];
  const lines = unwrap(text.replace(/\r*\n|\r/g, "\n").split("\n").map((l) => l.replace(/[\s\u00a0]+$/, "")));

  const failed = lines.find((l) => /^certutil:.*(failed|échec|échoué|fehlgeschlagen|失败)/i.test(l.trim()));
  if (failed) {
    warnings.push(`certutil reported a failure: "${failed.trim()}"`);
    return { certificates: [], warnings };
  }

  const blocks: Array<{ title: string; lines: string[] }> = [];
  for (const line of lines) {
    const t = line.trim();
    if (BLOCK_START.test(t)) {
      blocks.push({ title: t.replace(/^=+ *| *=+$/g, ""), lines: [] });
    } else if (blocks.length === 0 && isCertificateField(line)) {
      // A cut or filtered listing can start at a certificate's first field, with no
      // "==== Certificate N ====" line before it: read that certificate, and say so.
      warnings.push("certutil output starts without a \"==== Certificate N ====\" line (a cut or filtered listing?); read from its first field");
      blocks.push({ title: "certificate without a header", lines: [line] });
    } else if (blocks.length > 0 && !/^certutil:/i.test(t)) {
      blocks[blocks.length - 1]!.lines.push(line);
    }
  }

  const parsed = blocks.map((b) => readBlock(b.title, b.lines));
  const hint = storeDateOrder(parsed.flatMap((p) => [p.fields.notBefore, p.fields.notAfter]));
  const certificates: Certificate[] = [];
  for (const p of parsed) {
    const name = `${p.title}${p.fields.subject ? ` (${p.fields.subject})` : ""}`;
    const warn = (msg: string): void => {
      warnings.push(`certutil ${name}: ${msg}`);
    };
    p.notes.forEach(warn);
    if (!p.thumbprint) {
      warn(p.fields.hash ? `hash "${p.fields.hash}" is not a SHA-1 thumbprint; certificate skipped` : "no certificate hash; certificate skipped");
      continue;
    }
    if (p.fields.subject === undefined) warn("no subject line");
    const cert: Certificate = { thumbprint: p.thumbprint, subject: p.fields.subject ?? "", hasPrivateKey: p.key };
    if (p.fields.issuer !== undefined) cert.issuer = p.fields.issuer;
    if (p.fields.serial !== undefined) cert.serial = p.fields.serial;
    const order = p.french ? "dmy" : hint;
    for (const which of ["notBefore", "notAfter"] as const) {
      const raw = p.fields[which];
      if (raw === undefined) continue;
      const iso = parseCertutilDate(raw, order);
      if (iso) cert[which] = iso;
      else warn(`${which} "${raw}" is not a date in a known regional format (or day and month are ambiguous); left out`);
    }
    if (p.fields.template) cert.template = p.fields.template;
    certificates.push(cert);
  }
  return { certificates, warnings };
}

interface ParsedBlock {
  title: string;
  fields: Partial<Record<Field, string>>;
  thumbprint: string | null;
  key: PrivateKeyState;
  french: boolean;
  notes: string[];
}

function readBlock(title: string, lines: string[]): ParsedBlock {
  const fields: Partial<Record<Field, string>> = {};
  const notes: string[] = [];
  let french = /^certificat$/i.test(title.split(" ")[0] ?? "");
  const hashCandidates: Array<{ label: string; value: string }> = [];
  for (const line of lines) {
    const m = /^\s*([^:=]+?)\s*:\s*(.*)$/.exec(line);
    if (!m) continue;
    const label = normLabel(m[1] ?? "");
    const value = (m[2] ?? "").trim();
    const field = LABELS.get(label) ?? (/\(sha-?1\)$/.test(label) ? "hash" : undefined);
    if (field && fields[field] === undefined) {
      fields[field] = value;
      if (FRENCH_LABELS.has(label)) french = true;
    } else if (!field && /^(?:[0-9a-f]{40}|(?:[0-9a-f]{2} ){19}[0-9a-f]{2})$/i.test(value)) {
      hashCandidates.push({ label: m[1]!.trim(), value });
    }
  }
  let thumbprint = fields.hash !== undefined ? normalizeThumbprint(fields.hash) : null;
  if (fields.hash === undefined && hashCandidates.length > 0) {
    // An unknown language: prefer a label that names sha1, else the last 40-hex value (the hash
    // line comes after the serial number, which can also be 40 hex digits).
    const pick = hashCandidates.find((c) => /sha-?1/i.test(c.label)) ?? hashCandidates[hashCandidates.length - 1]!;
    thumbprint = normalizeThumbprint(pick.value);
    notes.push(`hash label "${pick.label}" not recognised; took its 40-hex value as the thumbprint`);
  }
  const key = privateKeyState(lines);
  return { title, fields, thumbprint, key, french, notes };
}

// Explicit verdicts, as opposed to key-container lines, which certutil also prints for a key it
// then reports missing (`Missing stored keyset` follows `Key Container =` in the HTB sample).
//
// French: `Test de chiffrement réussi` / `Test de signature réussi` come from no real sample (the
// fr-FR samples show only the no-key lines). Reading them is the safe guess either way: if real
// Windows words it otherwise, the key state stays `unknown` and delivery imports the certificate
// again (harmless: -f replaces it in place, and one that was there before is never removed);
// treating `unknown` as "present" instead could skip an import a host needs.
const KEY_VERDICT = [
  /private key is not (plain text )?exportable/i,
  /(encryption|signature) test passed/i,
  /(verschlüsselungstest|signaturtest) wurde durchgeführt/i,
  /^\s*test de (chiffrement|signature) réussi/i,
];

function privateKeyState(lines: readonly string[]): PrivateKeyState {
  if (lines.some((l) => NO_KEY.some((re) => re.test(l)))) return false;
  if (lines.some((l) => KEY_VERDICT.some((re) => re.test(l)))) return true;
  const firstKeyLine = lines.findIndex((l) => HAS_KEY.some((re) => re.test(l)));
  if (firstKeyLine < 0) return "unknown";
  // A status line after the key lines that we cannot read may be a localized "missing keyset":
  // the container lines alone then prove nothing.
  const unreadVerdict = lines.slice(firstKeyLine + 1).some((l) => l.trim() !== "" && !/^\s/.test(l) && !HAS_KEY.some((re) => re.test(l)));
  return unreadVerdict ? "unknown" : true;
}

/** A `Label: value` line whose label is one of a certificate's fields (any language certutil prints). */
function isCertificateField(line: string): boolean {
  const m = /^\s*([^:=]+?)\s*:\s*(.*)$/.exec(line);
  if (!m) return false;
  const label = normLabel(m[1] ?? "");
  return LABELS.has(label) || /\(sha-?1\)$/.test(label);
}

function normLabel(label: string): string {
  return label.replace(/[\s\u00a0]+/g, " ").trim().toLowerCase();
}

/**
 * Re-joins lines that a console window wrapped at its width when the output was copied (a full
 * 80- or 120-column line followed by a line that does not start a field of its own).
 */
function unwrap(lines: string[]): string[] {
  const out: string[] = [];
  for (const line of lines) {
    const prev = out[out.length - 1];
    const continues =
      prev !== undefined &&
      CONSOLE_WIDTHS.has(prev.length) &&
      line !== "" &&
      !/^\s/.test(line) &&
      !/^[^:=]+?\s?[:=](\s|$)/.test(line) &&
      !BLOCK_START.test(line.trim()) &&
      !STANDALONE.test(line);
    if (continues) out[out.length - 1] = prev + line;
    else out.push(line);
  }
  return out;
}

type DateOrder = "dmy" | "mdy" | undefined;

const SLASH = /^(\d{1,2})\/(\d{1,2})\/(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*([AP]M))?$/i;
const DOTTED = /^(\d{1,2})\.(\d{1,2})\.(\d{4})\.?\s+(\d{1,2}):(\d{2})(?::(\d{2}))?$/;
const ISO_LIKE = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?$/;

/** Day/month order shown by any unambiguous 24-hour slash date in the same output. */
function storeDateOrder(values: Array<string | undefined>): DateOrder {
  let dmy = false;
  let mdy = false;
  for (const v of values) {
    const m = v ? SLASH.exec(v.trim()) : null;
    if (!m) continue;
    if (m[7]) mdy = true;
    else if (Number(m[1]) > 12) dmy = true;
    else if (Number(m[2]) > 12) mdy = true;
  }
  return dmy === mdy ? undefined : dmy ? "dmy" : "mdy";
}

/**
 * `11/3/2024 3:30 PM` (en-US), `10/05/2001 00:19` (fr-FR: D/M), `16.04.2009 11:04` (de),
 * `2022-11-04 15:05` -> `2024-11-03T15:30:00Z` (wall-clock time labelled UTC). A slash date is
 * M/D when it has AM/PM, D/M or M/D when one part exceeds 12, else `order` decides; without
 * one the result is undefined.
 */
export function parseCertutilDate(text: string, order?: DateOrder): string | undefined {
  const t = text.trim();
  let y: number, mo: number, d: number, h: number, mi: number, s: number;
  let m = ISO_LIKE.exec(t);
  if (m) {
    [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6]].map((x) => Number(x ?? 0)) as [
      number, number, number, number, number, number,
    ];
  } else if ((m = DOTTED.exec(t))) {
    [d, mo, y, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6]].map((x) => Number(x ?? 0)) as [
      number, number, number, number, number, number,
    ];
  } else if ((m = SLASH.exec(t))) {
    const a = Number(m[1]);
    const b = Number(m[2]);
    const ampm = m[7]?.toUpperCase();
    let dayFirst: boolean;
    if (ampm) dayFirst = false;
    else if (a > 12) dayFirst = true;
    else if (b > 12) dayFirst = false;
    else if (order) dayFirst = order === "dmy";
    else return undefined;
    [d, mo] = dayFirst ? [a, b] : [b, a];
    y = Number(m[3]);
    h = Number(m[4]);
    mi = Number(m[5]);
    s = Number(m[6] ?? 0);
    if (ampm) {
      if (h < 1 || h > 12) return undefined;
      h = (h % 12) + (ampm === "PM" ? 12 : 0);
    }
  } else {
    return undefined;
  }
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const date = new Date(ms);
  if (
    date.getUTCFullYear() !== y ||
    date.getUTCMonth() !== mo - 1 ||
    date.getUTCDate() !== d ||
    h > 23 ||
    mi > 59 ||
    s > 59
  ) {
    return undefined;
  }
  return date.toISOString().replace(".000Z", "Z");
}
