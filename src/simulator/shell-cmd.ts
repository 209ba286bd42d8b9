/**
 * How cmd.exe /c runs one command line: `%VAR%` expansion first (ERRORLEVEL as it was when the line
 * started), then the line is parsed into commands joined by `|` (tightest), `&&` / `||` (left to
 * right) and `&` (loosest), with `( ... )` blocks where a command may start, double quotes hiding
 * every special character and `^` escaping the next one outside quotes. A `rem` command makes the
 * rest of the line a remark. Simple redirections (`>nul`, `2>nul`, `2>&1`); `echo` prints its raw
 * rest of line (trailing spaces before `&` included, quotes kept); `exit [/b] [N]` ends the line;
 * `call` expands `%VAR%` a second time (the current ERRORLEVEL included) before running its
 * command; a pipe feeds the left side's output to the right side's stdin; every other program
 * receives the argv the MSVCRT rules give. ERRORLEVEL is set by programs, not by `echo`.
 */
import type { ProgramResult } from "./netsh.js";
import type { SimLanguage } from "./state.js";

export interface ShellHost {
  language: SimLanguage;
  env: Record<string, string>;
  out(text: string): void;
  err(text: string): void;
  /** runs a program (stdin: what a pipe fed it); null when no such program exists */
  program(name: string, argv: string[], runner: "cmd" | "powershell", stdin?: string): ProgramResult | null;
  /** the other shell, for `cmd /c` under PowerShell and `powershell -c` under cmd */
  runOther(shell: "cmd" | "powershell", line: string): number;
  /** whether a file or folder exists (`if exist`, `Test-Path`); nothing exists when absent */
  exists?(path: string): boolean;
  /** `> file`: creates or replaces the file with what the command printed; false when cmd could not open it */
  writeFile?(path: string, text: string): boolean;
}

/**
 * %NAME% -> value (case-insensitive); unknown names stay as typed, as on a cmd /c line. ERRORLEVEL
 * is a dynamic variable: its value unless the environment defines the name.
 */
export function expandPercent(line: string, env: Record<string, string>, errorlevel = 0): string {
  const lower = new Map(Object.entries(env).map(([k, v]) => [k.toLowerCase(), v]));
  if (!lower.has("errorlevel")) lower.set("errorlevel", String(errorlevel));
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
function stripRedirections(text: string): { text: string; dropOut: boolean; dropErr: boolean; errToOut: boolean; outFile?: string } {
  let outFile: string | undefined;
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
        const from = j;
        while (j < text.length && text[j] !== " ") j++;
        const target = text.slice(from, j);
        if (stream === 2) dropErr = true;
        else if (/^nul$/i.test(target)) dropOut = true;
        else outFile = target;
      }
      i = j - 1;
      continue;
    }
    out += c;
  }
  return { text: out, dropOut, dropErr, errToOut, ...(outFile !== undefined ? { outFile } : {}) };
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

const PATH_NOT_FOUND: Record<SimLanguage, string> = {
  en: "The system cannot find the path specified.",
  fr: "Le chemin d’accès spécifié est introuvable.",
  de: "Das System kann den angegebenen Pfad nicht finden.",
};

const ECHO_ON: Record<SimLanguage, string> = { en: "ECHO is on.", fr: "Commande ECHO activée.", de: "ECHO ist eingeschaltet (ON)." };

/** Where a command's output goes: the session, a pipe, or nowhere. */
interface Io {
  out(text: string): void;
  err(text: string): void;
  stdin?: string;
}

interface LineState {
  /** ERRORLEVEL: set by programs (and exit), left alone by echo, rem and skipped commands */
  errorlevel: number;
}

/** `exit`: unwinds the whole line. */
class ExitLine {
  constructor(readonly code: number) {}
}

export type CmdNode =
  | { type: "simple"; text: string }
  | { type: "if"; negate: boolean; path: string; then: CmdNode | null; otherwise: CmdNode | null }
  | { type: "block"; body: CmdNode | null }
  | { type: "op"; op: Op; left: CmdNode; right: CmdNode };

/** Thrown for a line cmd.exe itself refuses to parse (an unbalanced `)` block, say). */
export class CmdSyntaxError extends Error {}

/**
 * Parses one (already %-expanded) line. `(` opens a block only where a command starts; inside a
 * block an unquoted, unescaped `)` closes it; `rem` at a command start swallows the rest.
 */
export function parseCmd(line: string): CmdNode | null {
  let i = 0;
  const atEnd = (): boolean => i >= line.length;
  const skipBlanks = (): void => {
    while (line[i] === " " || line[i] === "\t" || line[i] === "@") i++;
  };

  const simple = (depth: number): CmdNode | null => {
    skipBlanks();
    if (atEnd()) return null;
    if (line[i] === "(") {
      i++;
      const body = sequence(depth + 1);
      if (line[i] !== ")") throw new CmdSyntaxError("unbalanced ( block");
      i++;
      // `(...) >nul` and the like: only blanks are supported after a block.
      while (line[i] === " " || line[i] === "\t") i++;
      return { type: "block", body };
    }
    // `if [not] exist PATH command [else command]`: IF is parsed by cmd.exe itself. A command that is
    // a `( block )` ends at its `)`; a plain one takes the rest of the line (its `&` chain too).
    const ifm = /^if\s+(not\s+)?exist\s+("[^"]*"|[^\s()&|]+)\s+/i.exec(line.slice(i));
    if (ifm) {
      i += ifm[0].length;
      const branch = (): CmdNode | null => {
        skipBlanks();
        return line[i] === "(" ? simple(depth) : sequence(depth);
      };
      const then = branch();
      let otherwise: CmdNode | null = null;
      if (then?.type === "block") {
        skipBlanks();
        if (/^else(?=[\s(])/i.test(line.slice(i))) {
          i += 4;
          otherwise = branch();
        }
      }
      return { type: "if", negate: ifm[1] !== undefined, path: ifm[2]!.replace(/"/g, ""), then, otherwise };
    }
    if (/^rem(?=[\s]|$)/i.test(line.slice(i))) {
      const text = line.slice(i);
      i = line.length;
      return { type: "simple", text };
    }
    let text = "";
    let quoted = false;
    for (; i < line.length; i++) {
      const c = line[i] as string;
      if (c === '"') {
        quoted = !quoted;
        text += c;
      } else if (quoted) {
        text += c;
      } else if (c === "^") {
        i++;
        if (i < line.length) text += line[i];
      } else if (c === "&" && text.endsWith(">")) {
        text += c; // 2>&1
      } else if (c === "&" || c === "|" || (c === ")" && depth > 0)) {
        break;
      } else {
        text += c;
      }
    }
    return { type: "simple", text };
  };

  const pipeline = (depth: number): CmdNode | null => {
    let left = simple(depth);
    while (!atEnd() && line[i] === "|" && line[i + 1] !== "|") {
      i++;
      const right = simple(depth);
      if (!left || !right) throw new CmdSyntaxError("| was unexpected at this time.");
      left = { type: "op", op: "|", left, right };
    }
    return left;
  };

  const andOr = (depth: number): CmdNode | null => {
    let left = pipeline(depth);
    while (!atEnd() && ((line[i] === "&" && line[i + 1] === "&") || (line[i] === "|" && line[i + 1] === "|"))) {
      const op = (line[i] === "&" ? "&&" : "||") as Op;
      i += 2;
      const right = pipeline(depth);
      if (!left || !right) throw new CmdSyntaxError(`${op} was unexpected at this time.`);
      left = { type: "op", op, left, right };
    }
    return left;
  };

  const sequence = (depth: number): CmdNode | null => {
    let left = andOr(depth);
    while (!atEnd() && line[i] === "&") {
      i++;
      const right = andOr(depth);
      if (!left) left = right;
      else if (right) left = { type: "op", op: "&", left, right };
    }
    return left;
  };

  const tree = sequence(0);
  if (!atEnd()) throw new CmdSyntaxError(`${line[i]} was unexpected at this time.`);
  return tree;
}

function runNode(node: CmdNode | null, sh: ShellHost, io: Io, st: LineState): number {
  if (node === null) return 0;
  if (node.type === "simple") return runSimple(node.text, sh, io, st);
  if (node.type === "block") return runNode(node.body, sh, io, st);
  if (node.type === "if") {
    const exists = sh.exists?.(node.path) ?? false;
    return runNode(exists !== node.negate ? node.then : node.otherwise, sh, io, st);
  }
  switch (node.op) {
    case "&":
      runNode(node.left, sh, io, st);
      return runNode(node.right, sh, io, st);
    case "&&": {
      const code = runNode(node.left, sh, io, st);
      return code === 0 ? runNode(node.right, sh, io, st) : code;
    }
    case "||": {
      const code = runNode(node.left, sh, io, st);
      return code !== 0 ? runNode(node.right, sh, io, st) : code;
    }
    case "|": {
      let piped = "";
      // Each side of a pipe runs in its own cmd.exe: an `exit` on the left ends only that side.
      try {
        runNode(node.left, sh, { out: (t) => (piped += t), err: io.err }, st);
      } catch (e) {
        if (!(e instanceof ExitLine)) throw e;
      }
      return runNode(node.right, sh, { ...io, stdin: piped }, st);
    }
  }
}

function runSimple(text: string, sh: ShellHost, io: Io, st: LineState): number {
  const r = stripRedirections(text);
  if (r.outFile === undefined) return runRedirected(r, sh, io, st);
  // cmd opens (creates or truncates) the file before the command runs; a missing folder stops the command.
  const target = r.outFile;
  if (!(sh.writeFile?.(target, "") ?? false)) {
    io.err(`${PATH_NOT_FOUND[sh.language]}\r\n`);
    return (st.errorlevel = 1);
  }
  let written = "";
  try {
    return runRedirected(r, sh, { ...io, out: (t) => (written += t) }, st);
  } finally {
    sh.writeFile?.(target, written);
  }
}

function runRedirected(r: ReturnType<typeof stripRedirections>, sh: ShellHost, io: Io, st: LineState): number {
  const body = r.text.replace(/^[\s@]+/, "");
  const out = (t: string): void => {
    if (!r.dropOut) io.out(t);
  };
  const err = (t: string): void => {
    if (r.errToOut) out(t);
    else if (!r.dropErr) io.err(t);
  };
  const nameMatch = /^("[^"]*"|[^\s/.(]+(\.[a-z0-9]+)?)/i.exec(body);
  if (!nameMatch || body === "") return 0;
  const rawName = nameMatch[0];
  const name = rawName.replace(/"/g, "");
  const rest = body.slice(rawName.length);
  const lower = name.toLowerCase();
  if (lower === "rem") return 0;
  if (lower === "echo") {
    if (/^[.(]/.test(rest)) {
      out(`${rest.slice(1)}\r\n`);
      return 0;
    }
    const msg = rest.slice(1);
    out(msg.trim() === "" ? `${ECHO_ON[sh.language]}\r\n` : `${msg}\r\n`);
    return 0;
  }
  if (lower === "exit") {
    const args = rest.trim().split(/\s+/).filter((a) => !/^\/b$/i.test(a));
    const code = args[0] !== undefined && /^-?\d+$/.test(args[0]) ? Number(args[0]) : st.errorlevel;
    st.errorlevel = code;
    throw new ExitLine(code);
  }
  if (lower === "call") {
    // CALL's second expansion sees the ERRORLEVEL of now: `call echo %^errorlevel%`.
    return runSimple(expandPercent(rest.trimStart(), sh.env, st.errorlevel), sh, io, st);
  }
  const argv = msvcrtArgv(rest);
  const base = (name.split(/[\\/]/).pop() ?? name).toLowerCase().replace(/\.(exe|com)$/, "");
  if (base === "powershell") {
    const i = argv.findIndex((a) => /^-(c|command)$/i.test(a));
    if (i >= 0) return (st.errorlevel = sh.runOther("powershell", argv.slice(i + 1).join(" ")));
  }
  if (base === "cmd") {
    const i = argv.findIndex((a) => /^\/[ck]$/i.test(a));
    if (i >= 0) return (st.errorlevel = sh.runOther("cmd", rest.slice(rest.search(/\/[ck]/i) + 2).trim().replace(/^"(.*)"$/, "$1")));
  }
  const result = sh.program(base, argv, "cmd", io.stdin);
  if (result === null) {
    err(NOT_RECOGNIZED[sh.language](name));
    return (st.errorlevel = 9009);
  }
  out(result.stdout);
  err(result.stderr);
  return (st.errorlevel = result.code);
}

/** Runs a command line as `cmd.exe /c line`; returns the exit code (the last errorlevel). */
export function runCmdLine(line: string, sh: ShellHost, stdin?: string): number {
  const st: LineState = { errorlevel: 0 };
  let tree: CmdNode | null;
  try {
    tree = parseCmd(expandPercent(line, sh.env, st.errorlevel));
  } catch (e) {
    if (!(e instanceof CmdSyntaxError)) throw e;
    sh.err(`${e.message}\r\n`);
    return 255;
  }
  try {
    return runNode(tree, sh, { out: (t) => sh.out(t), err: (t) => sh.err(t), ...(stdin !== undefined ? { stdin } : {}) }, st);
  } catch (e) {
    if (e instanceof ExitLine) return e.code;
    throw e;
  }
}
