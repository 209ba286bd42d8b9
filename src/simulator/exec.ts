/**
 * One exec request as a Windows OpenSSH server runs it: the account's default shell interprets
 * the command line, the programs (netsh, certutil, whoami, chcp, hostname) answer in the display
 * language, and the output leaves in the console code page (OEM 437/850, or UTF-8 after chcp 65001).
 */
import iconv from "iconv-lite";
import { certutilStore, certutilStoreMissing, whoamiGroups } from "./certutil-text.js";
import { runFileCommand } from "./file-commands.js";
import { normalizeWindowsPath, type SimFileSystem } from "./files.js";
import { lines } from "./netsh-text.js";
import { isKeyFile, runIcacls, typeFile, type KeyAclHost } from "./key-acl.js";
import { runNetsh, type NetshHost, type ProgramResult } from "./netsh.js";
import { runCertutilDelivery } from "./pfx-import.js";
import { runReg, type RegHost } from "./registry.js";
import { runCmdLine, type ShellHost } from "./shell-cmd.js";
import { runPowerShellLine } from "./shell-powershell.js";
import type { SimLanguage, SimShell, SimStoreEntry } from "./state.js";
import { runWinrm, type WinrmHost } from "./winrm-listener.js";

export interface ExecHost extends NetshHost, RegHost, WinrmHost, KeyAclHost {
  name: string;
  shell: SimShell;
  user: string;
  certificates: SimStoreEntry[];
  files: SimFileSystem;
  /** called as each program of a command line starts (faults that strike mid-line throw here) */
  onProgram?(name: string, argv: readonly string[]): void;
}

export interface ExecOutput {
  stdout: Buffer;
  stderr: Buffer;
  code: number;
}

export function environment(host: ExecHost): Record<string, string> {
  return {
    COMSPEC: "C:\\Windows\\system32\\cmd.exe",
    COMPUTERNAME: host.name.toUpperCase(),
    USERNAME: host.user,
    USERDOMAIN: host.name.toUpperCase(),
    SystemRoot: "C:\\Windows",
    windir: "C:\\Windows",
    ProgramData: "C:\\ProgramData",
    USERPROFILE: `C:\\Users\\${host.user}`,
    PATHEXT: ".COM;.EXE;.BAT;.CMD;.VBS;.VBE;.JS;.JSE;.WSF;.WSH;.MSC",
  };
}

const oemCodePage = (host: ExecHost): number => (host.language === "en" ? 437 : 850);

function certutil(host: ExecHost, argv: string[]): ProgramResult {
  const delivery = runCertutilDelivery(host, argv);
  if (delivery !== null) return delivery;
  const args = argv.filter((a) => !/^-user$/i.test(a));
  const i = args.findIndex((a) => /^[-/]store$/i.test(a));
  if (i < 0) {
    return { stdout: lines("CertUtil: Unknown arg: " + (args[0] ?? "")), stderr: "", code: 0x80070057 >>> 0 };
  }
  const store = args[i + 1] ?? "My";
  const filter = args[i + 2]?.toLowerCase().replace(/\s/g, "");
  const known = ["my", "webhosting", "root", "ca"];
  if (!known.includes(store.toLowerCase()) && !host.certificates.some((e) => e.store.toLowerCase() === store.toLowerCase())) {
    return { stdout: certutilStoreMissing(host.language), stderr: "", code: 0x80070002 >>> 0 };
  }
  const entries = host.certificates.filter(
    (e) =>
      e.store.toLowerCase() === store.toLowerCase() &&
      (filter === undefined || e.cert.thumbprint === filter || e.cert.serial === filter),
  );
  return { stdout: certutilStore(store, entries, host.os, host.language), stderr: "", code: 0 };
}

function whoami(host: ExecHost, argv: string[]): ProgramResult {
  if (argv.length === 0) return { stdout: lines(`${host.name.toLowerCase()}\\${host.user}`), stderr: "", code: 0 };
  if (argv.length === 1 && /^\/groups$/i.test(argv[0] ?? "")) {
    return { stdout: whoamiGroups(host.elevated, host.language), stderr: "", code: 0 };
  }
  return { stdout: "", stderr: lines(`ERROR: Invalid argument/option - '${argv[0] ?? ""}'.`, "Type \"WHOAMI /?\" for usage."), code: 1 };
}

/**
 * findstr over its stdin (certfleet never names files): `/i` (any case), `/l` (literal), `/v`
 * (lines that do not match), `/c:"text"` (one literal string, spaces included) and bare words
 * (any of them). Prints the matching lines; exit code 0 when a line matched, 1 when none did,
 * 2 for a switch it does not know.
 */
function findstr(argv: string[], stdin: string): ProgramResult {
  let ignoreCase = false;
  let invert = false;
  let regex = false;
  const needles: string[] = [];
  for (const a of argv) {
    const c = /^[/-]c:(.*)$/is.exec(a);
    if (c) needles.push(c[1] ?? "");
    else if (/^[/-]i$/i.test(a)) ignoreCase = true;
    else if (/^[/-]l$/i.test(a)) continue;
    else if (/^[/-]r$/i.test(a)) regex = true;
    else if (/^[/-]v$/i.test(a)) invert = true;
    else if (/^[/-]/.test(a)) return { stdout: "", stderr: lines(`FINDSTR: /${a.slice(1)} ignored`, "FINDSTR: Bad command line"), code: 2 };
    else needles.push(...a.split(" ").filter(Boolean));
  }
  if (needles.length === 0) return { stdout: "", stderr: lines("FINDSTR: Bad command line"), code: 2 };
  const fold = (t: string): string => (ignoreCase ? t.toLowerCase() : t);
  // /r: only the anchors `^` and `$` around literal text are modelled (all certfleet sends is `^`: every line).
  const anchored = (n: string) => {
    const m = /^(\^?)(.*?)(\$?)$/s.exec(n)!;
    const body = m[2]!.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    return new RegExp(`${m[1]}${body}${m[3]}`, ignoreCase ? "i" : "");
  };
  const hit = (line: string, n: string): boolean => (regex ? anchored(n).test(line) : fold(line).includes(fold(n)));
  const found = stdin
    .split(/(?<=\n)/)
    .filter((l) => l !== "")
    .filter((l) => needles.some((n) => hit(l.replace(/\r?\n$/, ""), n)) !== invert);
  return { stdout: found.map((l) => (l.endsWith("\n") ? l : `${l}\r\n`)).join(""), stderr: "", code: found.length > 0 ? 0 : 1 };
}

const ACTIVE_CP: Record<SimLanguage, (cp: number) => string> = {
  en: (cp) => `Active code page: ${cp}`,
  fr: (cp) => `Page de codes active : ${cp}`,
  de: (cp) => `Aktive Codepage: ${cp}.`,
};

export interface ExecuteOptions {
  /** the shell that interprets the line; default the host's OpenSSH default shell (WinRM: cmd) */
  shell?: SimShell;
  /** the console code page the programs start in; default the OEM code page (WinRM: WINRS_CODEPAGE) */
  codePage?: number;
  /** what the client sent as the command's stdin (WinRM Send); a cmd line's first program reads it */
  stdin?: string;
}

/** Runs `command` under the host's default shell; pure apart from mutating the host's bindings. */
export function executeCommand(host: ExecHost, command: string, options: ExecuteOptions = {}): ExecOutput {
  let codePage = options.codePage !== undefined && [437, 850, 65001].includes(options.codePage) ? options.codePage : oemCodePage(host);
  const shell = options.shell ?? host.shell;
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const encode = (text: string): Buffer =>
    codePage === 65001 ? Buffer.from(text, "utf8") : iconv.encode(text, `cp${codePage}`);
  const env = environment(host);

  const program = (name: string, argv: string[], runner: "cmd" | "powershell", stdin = ""): ProgramResult | null => {
    host.onProgram?.(name, argv);
    switch (name) {
      case "findstr":
        return findstr(argv, stdin);
      case "netsh":
        return runNetsh(host, argv);
      case "certutil":
        return certutil(host, argv);
      case "whoami":
        return whoami(host, argv);
      case "reg":
        return runReg(host, argv);
      case "winrm":
        return runWinrm(host, argv);
      case "icacls":
        // A private key's file: the key-ACL model; any other path (the staging folder): the file system.
        return argv[0] !== undefined && isKeyFile(argv[0]) ? runIcacls(host, argv) : runFileCommand(host, name, argv, runner);
      case "type": {
        const r = typeFile(host, argv);
        // The file's bytes as they are: decoded with the console code page so they leave unchanged.
        return "bytes" in r ? { stdout: iconv.decode(r.bytes, codePage === 65001 ? "latin1" : `cp${codePage}`), stderr: "", code: 0 } : r;
      }
      case "hostname":
        return { stdout: lines(host.name.toUpperCase()), stderr: "", code: 0 };
      case "chcp": {
        const wanted = argv[0];
        if (wanted !== undefined) {
          if (!["437", "850", "65001"].includes(wanted)) return { stdout: "", stderr: lines("Invalid code page"), code: 1 };
          codePage = Number(wanted);
        }
        return { stdout: lines(ACTIVE_CP[host.language](codePage)), stderr: "", code: 0 };
      }
      default:
        return runFileCommand(host, name, argv, runner);
    }
  };

  const sh: ShellHost = {
    language: host.language,
    env,
    out: (t) => {
      if (t !== "") out.push(encode(t));
    },
    err: (t) => {
      if (t !== "") err.push(encode(t));
    },
    program,
    runOther: (shell, line) => (shell === "cmd" ? runCmdLine(line, sh) : runPowerShellLine(line, sh)),
    exists: (path) => {
      const p = normalizeWindowsPath(path);
      return p !== null && host.files.exists(p);
    },
    writeFile: (path, text) => {
      const p = normalizeWindowsPath(path);
      if (p === null || (!host.elevated && host.files.adminOnly(p))) return false;
      return host.files.writeFile(p, Buffer.from(text, "latin1"));
    },
  };
  const code = shell === "cmd" ? runCmdLine(command, sh, options.stdin) : runPowerShellLine(command, sh);
  return { stdout: Buffer.concat(out), stderr: Buffer.concat(err), code };
}
