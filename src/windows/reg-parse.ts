/**
 * Parser for `reg query <key> /v <value>` when the value is a REG_BINARY certificate hash (the
 * RDP listener's `SSLCertificateSHA1Hash`, WMSvc's `SslCertificateHash`). reg.exe prints a blank
 * line, the full key path, then `    <name>    REG_BINARY    <HEX>`; the type names are never
 * translated. An absent key or value is an error line in the display language and exit code 1:
 * certfleet reads that as "not set" (RDP then serves its self-signed certificate), never as a
 * failure, but only when the text is one of the known messages.
 */
import { normalizeThumbprint } from "../model/thumbprint.js";

export type RegHashReading =
  | { state: "present"; thumbprint: string; type: "REG_BINARY" }
  | { state: "absent"; message: string }
  | { state: "unreadable"; reason: string };

// reg.exe's "not found" message on English, French and German Windows (see docs/facts.md §G).
const NOT_FOUND = [
  /unable to find the specified registry key or value/i,
  /la cl[ée] ou la valeur de registre sp[ée]cifi[ée]e/i,
  /registrierungsschl(?:ü|ue|\?)ssel bzw\. wert wurde nicht gefunden/i,
];

export function parseRegBinaryHash(text: string, valueName: string): RegHashReading {
  const lines = text
    .replace(/\u0000/g, "")
    .replace(/\r*\n|\r/g, "\n")
    .split("\n")
    .map((l) => l.replace(/[\s\u00a0]+$/, ""));
  const notFound = lines.find((l) => NOT_FOUND.some((re) => re.test(l)));
  const wanted = valueName.toLowerCase();
  // Fields are separated by runs of 4 spaces; a value name may itself contain single spaces.
  const rows = lines
    .map((l) => /^ {4}(\S(?:.*?\S)?) {4,}(REG_[A-Z_]+)(?: {4,}(.*))?$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null);
  const row = rows.find((m) => m[1]!.toLowerCase() === wanted);
  if (!row) {
    if (notFound !== undefined) return { state: "absent", message: notFound.trim() };
    return { state: "unreadable", reason: rows.length > 0 ? `no value ${valueName} in the output` : "no registry value line in the output" };
  }
  const type = row[2]!;
  const data = (row[3] ?? "").trim();
  if (type !== "REG_BINARY") return { state: "unreadable", reason: `${valueName} is ${type}, not REG_BINARY` };
  if (data === "") return { state: "unreadable", reason: `${valueName} is an empty REG_BINARY value` };
  const thumbprint = normalizeThumbprint(data);
  if (thumbprint === null) return { state: "unreadable", reason: `${valueName} holds ${data.length / 2} bytes, not a 20-byte SHA-1 hash` };
  return { state: "present", thumbprint, type: "REG_BINARY" };
}
