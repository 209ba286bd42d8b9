/**
 * What `certutil -importpfx` answered (docs/messages.md, "certutil -importPFX"). The verdict comes
 * from the HRESULT certutil prints (`0x80070056 (WIN32: 86 ERROR_INVALID_PASSWORD)`), which no
 * display language changes, and from the exit status; the text is kept for the operator.
 *
 * 0x80070056 means two different things: on a build older than 17763 given an AES PFX it is the
 * format refusal (Windows cannot read PBES2 there and blames the password); otherwise the
 * password really did not open the file. certfleet never sends AES to such a build, so the first
 * reading is a certfleet bug and says so.
 *
 * The one-time password is redacted from every text this module returns: PowerShell echoes the
 * failing command line in its error records, and a text with the password must not reach a
 * report, a journal or a log.
 */
import { z } from "zod";
import { AES_PFX_MIN_BUILD, type PfxFormat } from "../model/pfx-format.js";
import type { Secret } from "../model/secret.js";

export const ImportPfxOutcome = z.enum([
  /** certutil said it completed (exit 0, no HRESULT). The probe still decides whether the key is usable. */
  "imported",
  /** 0x80070056 for an AES PFX on a build older than 17763: Windows cannot read the format. */
  "format-refused",
  /** 0x80070056 otherwise: the password did not open the file. */
  "wrong-password",
  /** 0x80070005: not elevated, or the key store refused the write. */
  "access-denied",
  /** another HRESULT (kept in `code`). */
  "failed",
  /** neither success nor an HRESULT could be read. */
  "unknown",
]);
export type ImportPfxOutcome = z.infer<typeof ImportPfxOutcome>;

export const ImportPfxResult = z.object({
  outcome: ImportPfxOutcome,
  /** `0x80070056`, lower-case hex, when certutil printed an HRESULT or the exit status carried one. */
  code: z.string().optional(),
  /** what the host printed, trimmed, the one-time password replaced by `[one-time password]`. */
  text: z.string(),
  /** the remedy for the operator, when there is one. */
  remedy: z.string().optional(),
});
export type ImportPfxResult = z.infer<typeof ImportPfxResult>;

export const REDACTED = "[one-time password]";

export interface ImportContext {
  format: PfxFormat;
  /** the host's OS build from `ver`; undefined when it could not be read. */
  build: number | undefined;
  /** the one-time password of this import, only to redact it. */
  password: Secret<string>;
}

/** Replaces every occurrence of the password (also split by a console line wrap) with REDACTED. */
export function redactPassword(text: string, password: Secret<string>): string {
  const p = password.reveal();
  if (p === "") return text;
  let out = text.split(p).join(REDACTED);
  // A console can wrap a long command line anywhere; redact a password cut by a line break too.
  for (let cut = 1; cut < p.length; cut++) {
    out = out.split(`${p.slice(0, cut)}\r\n${p.slice(cut)}`).join(REDACTED).split(`${p.slice(0, cut)}\n${p.slice(cut)}`).join(REDACTED);
  }
  return out;
}

const HRESULT = /\b0x(8[0-9a-f]{7})\b/i;

function codeOf(text: string, exitCode: number | null): string | undefined {
  const m = HRESULT.exec(text);
  if (m) return `0x${m[1]!.toLowerCase()}`;
  // cmd.exe hands certutil's HRESULT back as the exit status (an unsigned 32-bit number over SSH).
  if (exitCode !== null && exitCode >>> 0 >= 0x80000000) return `0x${(exitCode >>> 0).toString(16)}`;
  if (exitCode !== null && exitCode < 0) return `0x${(exitCode >>> 0).toString(16)}`;
  return undefined;
}

export function classifyImportPfx(rawText: string, exitCode: number | null, ctx: ImportContext): ImportPfxResult {
  const text = redactPassword(rawText, ctx.password).trim();
  const code = codeOf(text, exitCode);
  if (code === undefined) {
    if (exitCode === 0) return { outcome: "imported", text };
    return { outcome: "unknown", text, remedy: "certutil's answer could not be read; the probe that follows decides" };
  }
  if (code === "0x80070056") {
    const oldBuild = ctx.build === undefined || ctx.build < AES_PFX_MIN_BUILD;
    if (ctx.format === "aes256-sha256" && oldBuild) {
      return {
        outcome: "format-refused",
        code,
        text,
        remedy: `this Windows build (${ctx.build ?? "unknown"}) cannot read an AES-256 PFX; it needs the legacy 3DES/SHA-1 format (a certfleet bug if it chose AES here)`,
      };
    }
    return { outcome: "wrong-password", code, text, remedy: "the one-time password did not open the staged file: the upload may have been damaged; run the delivery again" };
  }
  if (code === "0x80070005") {
    return { outcome: "access-denied", code, text, remedy: "run certfleet's account elevated (member of Administrators, High Mandatory Level)" };
  }
  return { outcome: "failed", code, text };
}
