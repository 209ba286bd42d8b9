import { z } from "zod";

/** Why a `netsh http add|delete|update sslcert` failed (docs/messages.md). */
export const NetshFailureReason = z.enum([
  "already-exists",
  "no-such-logon-session",
  "invalid-parameter",
  "not-found",
  "access-denied",
  "elevation-required",
  "command-not-found",
  "syntax",
  "unknown",
]);
export type NetshFailureReason = z.infer<typeof NetshFailureReason>;

export const NetshResult = z.discriminatedUnion("ok", [
  z.object({ ok: z.literal(true), verb: z.enum(["added", "deleted", "updated"]).optional() }),
  z.object({
    ok: z.literal(false),
    reason: NetshFailureReason,
    /** The Win32 error number: printed (`Error: 183`) or implied by the message text. */
    code: z.number().int().optional(),
    /** What netsh printed, trimmed: the operator's search term. */
    text: z.string(),
  }),
]);
export type NetshResult = z.infer<typeof NetshResult>;

const BY_CODE: Record<number, NetshFailureReason> = {
  2: "not-found",
  5: "access-denied",
  87: "invalid-parameter",
  183: "already-exists",
  740: "elevation-required",
  1312: "no-such-logon-session",
};

// English Win32 / netsh texts, for output that carries no `Error: N` (e.g. `The parameter is
// incorrect.` alone) or whose number we do not map.
const BY_TEXT: ReadonlyArray<readonly [RegExp, NetshFailureReason, number?]> = [
  [/the following command was not found/i, "command-not-found"],
  [/one or more essential parameters were not entered|the syntax supplied for this command is not valid/i, "syntax"],
  [/cannot create a file when that file already exists/i, "already-exists", 183],
  [/a specified logon session does not exist/i, "no-such-logon-session", 1312],
  [/the parameter is incorrect/i, "invalid-parameter", 87],
  [/the system cannot find the file specified/i, "not-found", 2],
  [/access is denied/i, "access-denied", 5],
  [/requires elevation/i, "elevation-required", 740],
];

/**
 * Classifies what `netsh http add|delete|update sslcert` printed. The `Error: N` number is
 * checked first because it does not depend on the display language (French `Erreur : 183`,
 * German `Fehler: 183` included); then the English texts. Success needs exit code 0 (or no exit
 * code and the success sentence) and no failure text.
 */
export function classifyNetshResult(text: string, exitCode: number | null): NetshResult {
  const trimmed = text.replace(/\r*\n|\r/g, "\n").trim();
  const codeMatch = /\b(?:error|erreur|fehler)\s*:\s*(\d+)/i.exec(trimmed);
  if (codeMatch) {
    const code = Number(codeMatch[1]);
    return { ok: false, reason: BY_CODE[code] ?? textReason(trimmed)?.reason ?? "unknown", code, text: trimmed };
  }
  // netsh echoes an unknown command back ("The following command was not found: http update
  // sslcert ...", French "La commande suivante est introuvable : http update ..."): the echo of
  // our own verb is the language-independent sign that this netsh has no such command.
  if (/(?:^|\s)http (?:update|add|delete|show) sslcert\b/i.test(trimmed) && !/\b(?:error|erreur|fehler)\s*:/i.test(trimmed)) {
    return { ok: false, reason: "command-not-found", text: trimmed };
  }
  const byText = textReason(trimmed);
  if (byText) {
    return { ok: false, reason: byText.reason, ...(byText.code !== undefined ? { code: byText.code } : {}), text: trimmed };
  }
  const success = /successfully (added|deleted|updated)/i.exec(trimmed);
  const failedWord = /\bfailed\b/i.test(trimmed);
  if (!failedWord && (exitCode === 0 || (exitCode === null && success))) {
    const verb = success?.[1]?.toLowerCase() as "added" | "deleted" | "updated" | undefined;
    return verb ? { ok: true, verb } : { ok: true };
  }
  return { ok: false, reason: "unknown", text: trimmed };
}

function textReason(text: string): { reason: NetshFailureReason; code?: number } | undefined {
  for (const [re, reason, code] of BY_TEXT) {
    if (re.test(text)) return code === undefined ? { reason } : { reason, code };
  }
  return undefined;
}
