/**
 * How cmd.exe /c runs one command line: `%VAR%` expansion first, then splitting on `&`, `&&`,
 * `||` and `|` outside double quotes (with `^` escaping the next character), simple redirections
 * (`>nul`, `2>&1`), `echo` printing its raw rest of line (trailing spaces before `&` included,
 * quotes kept), and every other program receiving the argv the MSVCRT rules give.
 */
import type { ProgramResult } from "./netsh.js";
import { parseCmdIf, unwrapGroup } from "./shell-blocks.js";
import type { SimLanguage } from "./state.js";

export interface ShellHost {
  language: SimLanguage;
  env: Record<string, string>;
  out(text: string): void;
  err(text: string): void;
  /** runs a program; null when no such program exists */
  program(name: string, argv: string[], runner: "cmd" | "powershell"): ProgramResult | null;
  /** the other shell, for `cmd /c` under PowerShell and `powershell -c` under cmd */
  runOther(shell: "cmd" | "powershell", line: string): number;
  /** whether a file or folder exists (`if exist`, `Test-Path`); nothing exists when absent */
  exists?(path: string): boolean;
}

/** %NAME% -> value (case-insensitive); unknown names stay as typed, as on a cmd /c line. */
export function expandPercent(line: string, env: Record<string, string>): string {
  const lower = new Map(Object.entries(env).map(([k, v]) => [k.toLowerCase(), v]));
  return line.replace(/%([^%\s]+)%/g, (whole, name: string) => lower.get(name.toLowerCase()) ?? whole);
}

type Op = "&" | "&&" | "||" | "|";

interface Segment {
  text: string;
  /** operator joining this segment to the previous one */
  op: Op | null;
}

/** Splits on the command operators outside quotes; removes `^` escapes outside quotes. */
export function splitCmd(line: string): Segment[] {
  const segments: Segment[] = [];
  let current = "";
  let quoted = false;
  let op: Op | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (c === '"') {
      quoted = !quoted;
      current += c;
    } else if (!quoted && c === "^") {
      i++;
      if (i < line.length) current += line[i];
    } else if (!quoted && (c === "&" || c === "|")) {
      if (c === "&" && current.endsWith(">")) {
        current += c; // 2>&1
        continue;
      }
      const doubled = line[i + 1] === c;
      segments.push({ text: current, op });
      op = (doubled ? c + c : c) as Op;
      if (doubled) i++;
      current = "";
    } else {
      current += c;
    }
  }
  segments.push({ text: current, op });
  return segments;
}

/** Removes `>nul`, `2>nul`, `2>&1`, `>file` outside quotes; reports whether stdout/stderr were discarded. */
function stripRedirections(text: string): { text: string; dropOut: boolean; dropErr: boolean; errToOut: boolean } {
  let dropOut = false;
  let dropErr = false;
  let errToOut = false;
  let out = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '"') quoted = !quoted;
    if (!quoted && c === ">") {
      const stream = /[12]$/.test(out) ? (out.endsWith("2") ? 2 : 1) : 1;
      if (/[12]$/.test(out)) out = out.slice(0, -1);
      let j = i + 1;
      if (text[j] === ">") j++;
      while (text[j] === " ") j++;
      if (text[j] === "&") {
        j++;
        const target = text[j];
        j++;
        if (stream === 2 && target === "1") errToOut = true;
      } else {
        while (j < text.length && text[j] !== " ") j++;
        if (stream === 2) dropErr = true;
        else dropOut = true;
      }
      i = j - 1;
      continue;
    }
    out += c;
  }
  return { text: out, dropOut, dropErr, errToOut };
}

/** MSVCRT (2008+) argv rules: the way netsh.exe and certutil.exe split their command line. */
export function msvcrtArgv(text: string): string[] {
  const args: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (text[i] === " " || text[i] === "\t") i++;
    if (i >= text.length) break;
    let arg = "";
    let quoted = false;
    for (; i < text.length; i++) {
      const c = text[i] as string;
      if (!quoted && (c === " " || c === "\t")) break;
      if (c === "\\") {
        let n = 0;
        while (text[i + n] === "\\") n++;
        arg += "\\".repeat(text[i + n] === '"' ? Math.floor(n / 2) : n);
        if (text[i + n] === '"' && n % 2 === 1) {
          arg += '"';
          i += n; // the escaped quote is consumed by the loop increment
        } else {
          i += n - 1;
        }
      } else if (c === '"') {
        if (quoted && text[i + 1] === '"') {
          arg += '"';
          i++;
        } else quoted = !quoted;
      } else arg += c;
    }
    args.push(arg);
  }
  return args;
}

const NOT_RECOGNIZED: Record<SimLanguage, (name: string) => string> = {
  en: (n) => `'${n}' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n`,
  fr: (n) => `'${n}' n'est pas reconnu en tant que commande interne\r\nou externe, un programme exécutable ou un fichier de commandes.\r\n`,
  de: (n) => `Der Befehl "${n}" ist entweder falsch geschrieben oder\r\nkonnte nicht gefunden werden.\r\n`,
};

const ECHO_ON: Record<SimLanguage, string> = { en: "ECHO is on.", fr: "Commande ECHO activée.", de: "ECHO ist eingeschaltet (ON)." };

function runSegment(text: string, sh: ShellHost, piped: boolean): number {
  const r = stripRedirections(text);
  if (piped) r.dropOut = true;
  const body = r.text.replace(/^[\s@]+/, "");
  // `(a)`: a block; `if exist P (a) else (b)`: the branch that applies, each run as a line.
  const group = unwrapGroup(body);
  if (group !== null) return runCmdLine(group, sh);
  const cond = /^if(?=\s)/i.test(body) ? parseCmdIf(body.slice(2)) : null;
  if (cond) {
    const exists = sh.exists?.(cond.path) ?? false;
    const branch = exists !== cond.negate ? cond.then : cond.otherwise;
    return branch === undefined ? 0 : runCmdLine(branch, sh);
  }
  const out = (t: string): void => {
    if (!r.dropOut) sh.out(t);
  };
  const err = (t: string): void => {
    if (r.errToOut) out(t);
    else if (!r.dropErr) sh.err(t);
  };
  const nameMatch = /^("[^"]*"|[^\s/.(]+(\.[a-z0-9]+)?)/i.exec(body);
  if (!nameMatch || body === "") return 0;
  const rawName = nameMatch[0];
  const name = rawName.replace(/"/g, "");
  const rest = body.slice(rawName.length);
  if (name.toLowerCase() === "echo") {
    if (/^[.(]/.test(rest)) {
      out(`${rest.slice(1)}\r\n`);
      return 0;
    }
    const msg = rest.slice(1);
    out(msg.trim() === "" ? `${ECHO_ON[sh.language]}\r\n` : `${msg}\r\n`);
    return 0;
  }
  const argv = msvcrtArgv(rest);
  const base = (name.split(/[\\/]/).pop() ?? name).toLowerCase().replace(/\.(exe|com)$/, "");
  if (base === "powershell") {
    const i = argv.findIndex((a) => /^-(c|command)$/i.test(a));
    if (i >= 0) return sh.runOther("powershell", argv.slice(i + 1).join(" "));
  }
  if (base === "cmd") {
    const i = argv.findIndex((a) => /^\/[ck]$/i.test(a));
    if (i >= 0) return sh.runOther("cmd", rest.slice(rest.search(/\/[ck]/i) + 2).trim().replace(/^"(.*)"$/, "$1"));
  }
  const result = sh.program(base, argv, "cmd");
  if (result === null) {
    err(NOT_RECOGNIZED[sh.language](name));
    return 9009;
  }
  out(result.stdout);
  err(result.stderr);
  return result.code;
}

/** Runs a command line as `cmd.exe /c line`; returns the exit code (the last errorlevel). */
export function runCmdLine(line: string, sh: ShellHost): number {
  const segments = splitCmd(expandPercent(line, sh.env));
  let code = 0;
  for (const [i, seg] of segments.entries()) {
    // A skipped command leaves the errorlevel as it was: `a && b || c` runs c when a fails.
    if (seg.op === "&&" && code !== 0) continue;
    if (seg.op === "||" && code === 0) continue;
    // `a | b`: a's output goes to b's stdin; no simulated program reads stdin, so it is lost.
    code = runSegment(seg.text, sh, segments[i + 1]?.op === "|");
  }
  return code;
}
