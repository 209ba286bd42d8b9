/**
 * The commands that deliver a certificate to a host (docs/remote-commands.md, "Delivery"): read the
 * OS build, prepare a staging folder only Administrators and SYSTEM can read, import the PFX into
 * LocalMachine\My with the machine key set, add intermediates to the `CA` store (never Root),
 * probe the result, remove a certificate certfleet imported, and delete the staged files with a
 * proof that they are gone.
 *
 * Every value is checked against a strict pattern first (as in grammar.ts), and each builder
 * quotes for the host's default shell the way commands.ts does: cmd.exe needs no quoting for the
 * strict value set; under PowerShell every token holding `(`, `{`, `*` or `:` is single-quoted,
 * because `(OI)` would be a sub-expression and `{...}` a script block there.
 */
import { CertfleetError } from "../model/errors.js";
import type { RemoteShell } from "../model/host-state.js";
import { PATTERNS, shown } from "./grammar.js";

/** Patterns for the values only delivery puts on a command line. */
export const DELIVERY_PATTERNS = {
  /** a run's id: the staging folder's name. Letters, digits, `-`; starts with a letter or digit. */
  runId: /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/,
  /** a staged file's name: letters, digits, `-`, `_`, `.`, ending .pfx or .cer. */
  stagedFile: /^[A-Za-z0-9][A-Za-z0-9_-]{0,59}\.(?:pfx|cer)$/,
  /** the one-time PFX password certfleet makes (src/certificate/pfx-repackage.ts): letters and digits. */
  oneTimePassword: /^[A-Za-z0-9]{32}$/,
  thumbprint: PATTERNS.certhash,
} as const;
export type DeliveryValueKind = keyof typeof DELIVERY_PATTERNS;

/** Refuses (and never echoes a password) when a value does not match its pattern. */
export function requireDeliveryValue(kind: DeliveryValueKind, value: string, host?: string): string {
  if (!DELIVERY_PATTERNS[kind].test(value)) {
    const what = kind === "oneTimePassword" ? "a value that is not a certfleet one-time password" : `${kind} value ${shown(value)}`;
    throw new CertfleetError("precondition", `refused to send ${what}: it does not match the strict pattern for ${kind}`, host);
  }
  return value;
}

/** Where every run stages its files; the parent is locked down as well as each run's folder. */
export const STAGING_ROOT = "C:\\ProgramData\\certfleet";

/** Administrators and LocalSystem by SID, so that the grant works on French and German hosts too. */
const GRANTS = ["*S-1-5-32-544:(OI)(CI)F", "*S-1-5-18:(OI)(CI)F"] as const;

export interface StagedPaths {
  /** `C:\ProgramData\certfleet\<runId>` */
  folder: string;
  /** `C:\ProgramData\certfleet\<runId>\<file>` */
  file: string;
  /** the same file as Windows OpenSSH's SFTP server names it: `/C:/ProgramData/certfleet/<runId>/<file>` */
  sftp: string;
}

export function stagingFolder(runId: string, host?: string): string {
  return `${STAGING_ROOT}\\${requireDeliveryValue("runId", runId, host)}`;
}

export function stagedPaths(runId: string, fileName: string, host?: string): StagedPaths {
  const folder = stagingFolder(runId, host);
  const file = `${folder}\\${requireDeliveryValue("stagedFile", fileName, host)}`;
  return { folder, file, sftp: sftpPath(file) };
}

/** `C:\a\b` -> `/C:/a/b`: the path form Windows OpenSSH's SFTP subsystem takes. */
export function sftpPath(windowsPath: string): string {
  if (!/^[A-Za-z]:\\/.test(windowsPath)) throw new CertfleetError("precondition", `not an absolute Windows path: ${shown(windowsPath)}`);
  return `/${windowsPath.replace(/\\/g, "/")}`;
}

const q = (shell: RemoteShell, token: string): string => (shell === "powershell" ? `'${token}'` : token);
const join = (shell: RemoteShell, parts: string[]): string => parts.join(shell === "cmd" ? " & " : "; ");

/**
 * The OS version line. `ver` is a cmd.exe built-in, so PowerShell runs it through `cmd /c`; the
 * answer is `Microsoft Windows [Version 10.0.14393]` (the word is localized, the numbers are not).
 */
export function osBuildCommand(shell: RemoteShell): string {
  return shell === "cmd" ? "ver" : "cmd /c ver";
}

/**
 * Creates the run's staging folder and locks the whole staging root to Administrators and SYSTEM:
 * inheritance removed (`/inheritance:r`), every other grant replaced (`/grant:r`), applied to the
 * folders below (`/T`), owner set to Administrators so that a folder a user created before us is
 * no longer theirs to open again.
 */
export function prepareStagingCommand(shell: RemoteShell, runId: string, host?: string): string {
  const folder = stagingFolder(runId, host);
  const lock = `icacls ${q(shell, STAGING_ROOT)} /inheritance:r /grant:r ${GRANTS.map((g) => q(shell, g)).join(" ")} /T /C /Q`;
  const owner = `icacls ${q(shell, STAGING_ROOT)} /setowner ${q(shell, "*S-1-5-32-544")} /T /C /Q`;
  if (shell === "cmd") {
    return `(if not exist ${folder} mkdir ${folder}) && ${lock} && ${owner}`;
  }
  return join(shell, [`New-Item -ItemType Directory -Force -Path ${q(shell, folder)} | Out-Null`, lock, owner]);
}

export interface ImportOptions {
  /** mark the key exportable (`--exportable`); by default certutil is told NoExport. */
  exportable?: boolean;
}

/**
 * `certutil -f -p <one-time password> -importpfx My <file> NoExport`: LocalMachine\My (no -user),
 * so the key lands in the machine key set that http.sys can open. The PFX holds the leaf and its
 * key only, so nothing reaches Root. The password is visible to the host's command-line auditing
 * for this one process; it opens only this one file, which is deleted right after.
 */
export function importPfxCommand(shell: RemoteShell, runId: string, fileName: string, password: string, options: ImportOptions = {}, host?: string): string {
  void shell; // same text under both shells: every token is in the safe set
  const { file } = stagedPaths(runId, fileName, host);
  requireDeliveryValue("oneTimePassword", password, host);
  const tail = options.exportable ? "" : " NoExport";
  return `certutil -f -p ${password} -importpfx My ${file}${tail}`;
}

/**
 * Stages a file over a transport without SFTP (WinRM): the bytes arrive as the command's stdin,
 * base64 in 64-character CRLF lines (see `stdinForStaging`); `findstr /r "^"` copies every stdin
 * line into `<file>.b64` (a pipe's last line gets its CRLF), and `certutil -f -decode` turns that
 * back into `<file>`. cmd.exe only: WinRS runs every command line under cmd.
 */
export function stageThroughStdinCommand(shell: RemoteShell, runId: string, fileName: string, host?: string): string {
  const { file } = stagedPaths(runId, fileName, host);
  if (shell !== "cmd") throw new CertfleetError("precondition", "staging a file through stdin needs cmd.exe as the remote shell", host);
  return `findstr /r "^" > ${file}.b64 && certutil -f -decode ${file}.b64 ${file}`;
}

/** The stdin for `stageThroughStdinCommand`: base64 in 64-character lines, each ending CRLF. */
export function stdinForStaging(bytes: Buffer): Buffer {
  const b64 = bytes.toString("base64");
  const out: string[] = [];
  for (let i = 0; i < b64.length; i += 64) out.push(`${b64.slice(i, i + 64)}\r\n`);
  return Buffer.from(out.join(""), "ascii");
}

/** An issuing CA certificate into the intermediate store. `CA` only: certfleet never writes Root. */
export function addIntermediateCommand(shell: RemoteShell, runId: string, fileName: string, host?: string): string {
  const { file } = stagedPaths(runId, fileName, host);
  if (!fileName.endsWith(".cer")) throw new CertfleetError("precondition", `an intermediate must be staged as a .cer file, not ${shown(fileName)}`, host);
  void shell; // same text under both shells: every token is in the safe set
  return `certutil -f -addstore CA ${file}`;
}

/** Reads one certificate back (src/windows/certutil-parse.ts reads the key state). */
export function probeCertificateCommand(shell: RemoteShell, thumbprint: string, host?: string): string {
  void shell;
  return `certutil -store My ${requireDeliveryValue("thumbprint", thumbprint, host)}`;
}

/** Removes a certificate certfleet imported (the caller checks that nothing binds it and that it was not there before). */
export function removeCertificateCommand(shell: RemoteShell, thumbprint: string, host?: string): string {
  void shell;
  return `certutil -delstore My ${requireDeliveryValue("thumbprint", thumbprint, host)}`;
}

/**
 * A command as it may be shown, logged, journaled or put in an error: the `-p <password>` of a
 * certutil import replaced by `[one-time password]`, whatever the password (for layers that see
 * the command line but not the Secret, e.g. the session's command observer and its refusals).
 */
export function redactCommand(command: string): string {
  return command.replace(/(\bcertutil(?:\.exe)?\b[^\r\n]*?\s-p\s+)("[^"]*"|'[^']*'|\S+)/gi, "$1[one-time password]");
}

export const STAGED_GONE = "CF-STAGED:gone";
export const STAGED_PRESENT = "CF-STAGED:present";

/**
 * Deletes the staged files and the run's folder, then proves it: the last line says whether the
 * folder still exists. Run in every outcome; harmless when nothing was staged.
 */
export function cleanupStagingCommand(shell: RemoteShell, runId: string, host?: string): string {
  const folder = stagingFolder(runId, host);
  if (shell === "cmd") {
    return `(if exist ${folder} rmdir /s /q ${folder}) & (if exist ${folder} (echo ${STAGED_PRESENT}) else (echo ${STAGED_GONE}))`;
  }
  return join(shell, [
    `Remove-Item -LiteralPath ${q(shell, folder)} -Recurse -Force -ErrorAction SilentlyContinue`,
    `if (Test-Path -LiteralPath ${q(shell, folder)}) { '${STAGED_PRESENT}' } else { '${STAGED_GONE}' }`,
  ]);
}

/** What the cleanup proof says: `gone`, `present`, or `unknown` when neither marker came back. */
export function parseCleanupProof(text: string): "gone" | "present" | "unknown" {
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  if (lines.includes(STAGED_PRESENT)) return "present";
  if (lines.includes(STAGED_GONE)) return "gone";
  return "unknown";
}

/** The OS build number from `ver` (`[Version 10.0.14393]`, `[version 6.3.9600]`, `[Version 10.0.20348.2113]`). */
export function parseOsBuild(text: string): number | undefined {
  const m = /\[\D*(\d+)\.(\d+)\.(\d+)(?:\.\d+)?\]/.exec(text);
  if (!m) return undefined;
  const build = Number(m[3]);
  return Number.isSafeInteger(build) ? build : undefined;
}

// The last gate (as isSendable in commands.ts): exactly the shapes the builders above produce.
const RUN = "[A-Za-z0-9][A-Za-z0-9-]{0,63}";
const FOLDER = `C:\\\\ProgramData\\\\certfleet\\\\${RUN}`;
const FILE = `${FOLDER}\\\\[A-Za-z0-9][A-Za-z0-9_-]{0,59}\\.(?:pfx|cer)`;
const ROOT = "C:\\\\ProgramData\\\\certfleet";
const THUMB = "[0-9a-f]{40}";
const GRANT_CMD = "\\*S-1-5-32-544:\\(OI\\)\\(CI\\)F \\*S-1-5-18:\\(OI\\)\\(CI\\)F";
const GRANT_PS = "'\\*S-1-5-32-544:\\(OI\\)\\(CI\\)F' '\\*S-1-5-18:\\(OI\\)\\(CI\\)F'";

const COMMON = [
  `certutil -f -p [A-Za-z0-9]{32} -importpfx My ${FILE}(?: NoExport)?`,
  `certutil -f -addstore CA ${FOLDER}\\\\[A-Za-z0-9][A-Za-z0-9_-]{0,59}\\.cer`,
  `certutil -store My ${THUMB}`,
  `certutil -delstore My ${THUMB}`,
];
const SENDABLE_DELIVERY: Record<RemoteShell, RegExp> = {
  cmd: new RegExp(
    `^(?:${[
      "ver",
      ...COMMON,
      `\\(if not exist (${FOLDER}) mkdir \\1\\) && icacls ${ROOT} /inheritance:r /grant:r ${GRANT_CMD} /T /C /Q && icacls ${ROOT} /setowner \\*S-1-5-32-544 /T /C /Q`,
      `\\(if exist (${FOLDER}) rmdir /s /q \\2\\) & \\(if exist \\2 \\(echo ${STAGED_PRESENT}\\) else \\(echo ${STAGED_GONE}\\)\\)`,
      `findstr /r "\\^" > (${FILE})\\.b64 && certutil -f -decode \\3\\.b64 \\3`,
    ].join("|")})$`,
  ),
  powershell: new RegExp(
    `^(?:${[
      "cmd /c ver",
      ...COMMON,
      `New-Item -ItemType Directory -Force -Path '${FOLDER}' \\| Out-Null; icacls '${ROOT}' /inheritance:r /grant:r ${GRANT_PS} /T /C /Q; icacls '${ROOT}' /setowner '\\*S-1-5-32-544' /T /C /Q`,
      `Remove-Item -LiteralPath '(${FOLDER})' -Recurse -Force -ErrorAction SilentlyContinue; if \\(Test-Path -LiteralPath '\\1'\\) \\{ '${STAGED_PRESENT}' \\} else \\{ '${STAGED_GONE}' \\}`,
    ].join("|")})$`,
  ),
};

/** Whether `command` is one of the delivery commands above, built from strict values. */
export function isSendableDelivery(shell: RemoteShell | undefined, command: string): boolean {
  return shell !== undefined && SENDABLE_DELIVERY[shell].test(command);
}
