/**
 * How Windows PowerShell 5.1 (`powershell.exe -c line`, the OpenSSH DefaultShell) runs a command
 * line, to the extent certfleet's commands touch it: parse errors for `&` and `&&` before anything
 * runs, statements split on `;`, '...' literal and "..." expanding strings, `$var` / `$env:NAME`
 * expansion, and an unquoted `{...}` being a script block: a native program gets its inner text
 * as a separate argument (so `appid={GUID}` reaches netsh as `appid=` plus the bare GUID).
 * Statements: native commands and echo, `exit [N]`, and `if (cond) { ... } [elseif (cond) { ... }]
 * [else { ... }]` whose condition is `-not` / `-match` / `-eq` / `-ne` over `(pipeline)` (the
 * native command's output lines: a one-line output is a string, several an array, none $null;
 * `-match` on an array keeps the matching lines, case-insensitively), `$LASTEXITCODE`, integers
 * and quoted strings. `$LASTEXITCODE` is set by every native command. Anything else in a condition
 * throws: the simulator refuses to guess what PowerShell would do.
 */
import type { ShellHost } from "./shell-cmd.js";

interface ParseError {
  offset: number;
  length: number;
  message: string;
  id: string;
}

const AMPERSAND =
  'The ampersand (&) character is not allowed. The & operator is reserved for future use; wrap an ampersand in double quotation marks ("&") to pass it as part of a string.';
const AND_AND = "The token '&&' is not a valid statement separator in this version.";
const OR_OR = "The token '||' is not a valid statement separator in this version.";

/** Scans for the errors PowerShell 5.1's parser reports before running anything. */
function parseErrors(line: string): ParseError[] {
  const errors: ParseError[] = [];
  let quote: "'" | '"' | null = null;
  let statementStart = true;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quote) {
      if (c === quote) {
        if (line[i + 1] === quote) i++;
        else quote = null;
      } else if (c === "`" && quote === '"') i++;
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
      statementStart = false;
      continue;
    }
    if (c === "`") {
      i++;
      continue;
    }
    if (c === "&" && line[i + 1] === "&") {
      errors.push({ offset: i, length: 2, message: AND_AND, id: "InvalidEndOfLine" });
      i++;
      statementStart = true;
      continue;
    }
    if (c === "|" && line[i + 1] === "|") {
      errors.push({ offset: i, length: 2, message: OR_OR, id: "InvalidEndOfLine" });
      i++;
      statementStart = true;
      continue;
    }
    if (c === "&") {
      if (!statementStart) errors.push({ offset: i, length: 1, message: AMPERSAND, id: "AmpersandNotAllowed" });
      continue; // `& cmd` at the start of a statement is the call operator
    }
    if (c === ";" || c === "\n" || c === "|") {
      statementStart = true;
      continue;
    }
    if (c !== " " && c !== "\t") statementStart = false;
  }
  return errors;
}

function formatParseErrors(line: string, errors: ParseError[]): string {
  const parts: string[] = [];
  for (const e of errors) {
    parts.push(`At line:1 char:${e.offset + 1}`, `+ ${line}`, `+ ${" ".repeat(e.offset)}${"~".repeat(e.length)}`, e.message);
  }
  const first = errors[0] as ParseError;
  parts.push(
    "    + CategoryInfo          : ParserError: (:) [], ParentContainsErrorRecordException",
    `    + FullyQualifiedErrorId : ${first.id}`,
    "",
    "",
  );
  return parts.join("\r\n");
}

/** Splits into statements on `;` and newlines outside quotes and braces. */
function splitStatements(line: string): Array<{ text: string; offset: number }> {
  const out: Array<{ text: string; offset: number }> = [];
  let quote: "'" | '"' | null = null;
  let depth = 0;
  let start = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === "`" && quote === '"') i++;
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    else if (c === "`") i++;
    else if (c === "{") depth++;
    else if (c === "}") depth = Math.max(0, depth - 1);
    else if ((c === ";" || c === "\n") && depth === 0) {
      out.push({ text: line.slice(start, i), offset: start });
      start = i + 1;
    }
  }
  out.push({ text: line.slice(start), offset: start });
  return out.filter((s) => s.text.trim() !== "");
}

function lookupVar(name: string, env: Record<string, string>, vars: Record<string, string> = {}): string {
  const own = Object.keys(vars).find((k) => k.toLowerCase() === name.toLowerCase());
  if (own !== undefined) return vars[own] ?? "";
  const m = /^env:(.+)$/i.exec(name);
  if (m) {
    const key = Object.keys(env).find((k) => k.toLowerCase() === (m[1] ?? "").toLowerCase());
    return key ? (env[key] ?? "") : "";
  }
  if (name.toLowerCase() === "true") return "True";
  if (name.toLowerCase() === "false") return "False";
  return "";
}

/** Reads `$name` / `$env:name` / `${name}` at `line[i]` (the `$`); returns [value, next index]. */
function readVariable(line: string, i: number, env: Record<string, string>, vars: Record<string, string> = {}): [string, number] {
  if (line[i + 1] === "{") {
    const end = line.indexOf("}", i + 2);
    if (end > 0) return [lookupVar(line.slice(i + 2, end), env, vars), end + 1];
  }
  const m = /^\$((?:env:)?[A-Za-z_][A-Za-z0-9_]*)/i.exec(line.slice(i));
  if (!m) return ["$", i + 1];
  return [lookupVar(m[1] ?? "", env, vars), i + (m[0]?.length ?? 1)];
}

const BACKTICK: Record<string, string> = { n: "\n", r: "\r", t: "\t", "0": "\0", a: "\x07", b: "\b", f: "\f", v: "\v" };

/** Command-mode argument tokens with PowerShell's quoting and expansion applied. */
export function psArguments(statement: string, env: Record<string, string>, vars: Record<string, string> = {}): string[] {
  const args: string[] = [];
  let i = 0;
  const s = statement;
  while (i < s.length) {
    while (s[i] === " " || s[i] === "\t") i++;
    if (i >= s.length) break;
    if (s.startsWith("--%", i) && (s[i + 3] === undefined || s[i + 3] === " ")) {
      // Stop-parsing token: the rest goes to the program as typed, split by its own rules.
      args.push(...s.slice(i + 3).trim().split(/\s+/).filter(Boolean));
      break;
    }
    if (s.startsWith("@{", i)) {
      // A hashtable literal: a native program receives its type name, not the text
      // (why `winrm set ... @{...}` must be quoted under PowerShell).
      let depth = 0;
      let j = i + 1;
      for (; j < s.length; j++) {
        if (s[j] === "{") depth++;
        else if (s[j] === "}" && --depth === 0) break;
      }
      args.push("System.Collections.Hashtable");
      i = j + 1;
      continue;
    }
    if (s[i] === "{") {
      let depth = 0;
      let j = i;
      for (; j < s.length; j++) {
        if (s[j] === "{") depth++;
        else if (s[j] === "}" && --depth === 0) break;
      }
      args.push(s.slice(i + 1, j));
      i = j + 1;
      continue;
    }
    let arg = "";
    while (i < s.length && s[i] !== " " && s[i] !== "\t") {
      const c = s[i] as string;
      if (c === "'") {
        const end = s.indexOf("'", i + 1);
        const stop = end < 0 ? s.length : end;
        arg += s.slice(i + 1, stop);
        i = stop + 1;
        while (s[i] === "'") {
          // '' inside a single-quoted string is one quote
          const next = s.indexOf("'", i + 1);
          const stop2 = next < 0 ? s.length : next;
          arg += "'" + s.slice(i + 1, stop2);
          i = stop2 + 1;
        }
      } else if (c === '"') {
        i++;
        while (i < s.length && s[i] !== '"') {
          const d = s[i] as string;
          if (d === "`" && i + 1 < s.length) {
            const e = s[i + 1] as string;
            arg += BACKTICK[e] ?? e;
            i += 2;
          } else if (d === "$") {
            const [value, next] = readVariable(s, i, env, vars);
            arg += value;
            i = next;
          } else {
            arg += d;
            i++;
          }
        }
        i++;
      } else if (c === "`" && i + 1 < s.length) {
        arg += s[i + 1];
        i += 2;
      } else if (c === "$") {
        const [value, next] = readVariable(s, i, env, vars);
        arg += value;
        i = next;
      } else if (c === "{") {
        break; // a script block starts a new argument
      } else {
        arg += c;
        i++;
      }
    }
    args.push(arg);
  }
  return args;
}

function notRecognized(name: string, statement: string, offset: number): string {
  return [
    `${name} : The term '${name}' is not recognized as the name of a cmdlet, function, script file, or operable program. Check the spelling of the name, or if a path was included, verify that the path is correct and try again.`,
    `At line:1 char:${offset + 1}`,
    `+ ${statement.trim()}`,
    `+ ${"~".repeat(name.length)}`,
    `    + CategoryInfo          : ObjectNotFound: (${name}:String) [], CommandNotFoundException`,
    "    + FullyQualifiedErrorId : CommandNotFoundException",
    "",
    "",
  ].join("\r\n");
}

/** `exit`: unwinds the whole line. */
class ExitLine {
  constructor(readonly code: number) {}
}

interface PsState {
  vars: Record<string, string>;
  /** whether the last statement succeeded ($?) */
  lastOk: boolean;
}

interface PsIo {
  out(text: string): void;
  err(text: string): void;
}

/** Index just past the bracket that closes the one at `open` (quotes respected). */
function closing(text: string, open: number): number {
  const pair: Record<string, string> = { "(": ")", "{": "}" };
  const o = text[open] as string;
  const c = pair[o];
  let depth = 0;
  let quote: "'" | '"' | null = null;
  for (let i = open; i < text.length; i++) {
    const ch = text[i] as string;
    if (quote) {
      if (ch === quote) quote = null;
      else if (ch === "`" && quote === '"') i++;
      continue;
    }
    if (ch === "'" || ch === '"') quote = ch;
    else if (ch === o) depth++;
    else if (ch === c && --depth === 0) return i + 1;
  }
  throw new Error(`simulated PowerShell: no closing ${c} in ${text}`);
}

type PsValue = string | string[] | number | boolean | null;

function truthy(v: PsValue): boolean {
  if (Array.isArray(v)) return v.length > 1 || (v.length === 1 && truthy(v[0] ?? null));
  if (typeof v === "string") return v !== "";
  if (typeof v === "number") return v !== 0;
  return v === true;
}

/** Evaluates the few condition forms certfleet's commands use; refuses anything else. */
function evaluate(expr: string, sh: ShellHost, st: PsState): PsValue {
  const e = expr.trim();
  const not = /^-not\s+/i.exec(e);
  if (not) return !truthy(evaluate(e.slice(not[0].length), sh, st));
  // operand [operator operand]
  let operand: PsValue;
  let rest: string;
  if (e.startsWith("(")) {
    const end = closing(e, 0);
    const inner = e.slice(1, end - 1).trim();
    // `( ... )` holds a pipeline: one that starts with a value is an expression, else a command.
    operand = /^[($'\d-]/.test(inner) ? evaluate(inner, sh, st) : subexpression(inner, sh, st);
    rest = e.slice(end).trim();
  } else if (/^[A-Za-z][\w-]*(\s|$)/.test(e)) {
    // A bare pipeline (`if (Test-Path -LiteralPath 'C:\x') {...}`): its output is the value. Test-Path
    // returns a [bool]; the simulated cmdlet prints it as True/False, read back as the boolean.
    const out = subexpression(e, sh, st);
    return /^test-path\b/i.test(e) && typeof out === "string" ? out.trim() === "True" : out;
  } else {
    const m = /^(\$[A-Za-z_][A-Za-z0-9_]*|-?\d+|'[^']*')/.exec(e);
    if (!m) throw new Error(`simulated PowerShell: unsupported expression ${e}`);
    const tok = m[0];
    operand = tok.startsWith("$") ? lookupVar(tok.slice(1), sh.env, st.vars) : tok.startsWith("'") ? tok.slice(1, -1) : Number(tok);
    if (tok.startsWith("$") && /^-?\d+$/.test(operand as string)) operand = Number(operand);
    rest = e.slice(tok.length).trim();
  }
  if (rest === "") return operand;
  const op = /^-(match|eq|ne)\s+('[^']*'|-?\d+)$/i.exec(rest);
  if (!op) throw new Error(`simulated PowerShell: unsupported operator in ${e}`);
  const rhs = (op[2] ?? "").startsWith("'") ? (op[2] ?? "").slice(1, -1) : Number(op[2]);
  const kind = (op[1] ?? "").toLowerCase();
  if (kind === "match") {
    const re = new RegExp(String(rhs), "i");
    if (Array.isArray(operand)) return operand.filter((l) => re.test(l));
    return operand === null ? false : re.test(String(operand));
  }
  const eq = (a: PsValue): boolean => (typeof rhs === "number" ? Number(a) === rhs : String(a).toLowerCase() === rhs.toLowerCase());
  if (Array.isArray(operand)) return operand.filter((l) => eq(l) === (kind === "eq"));
  return eq(operand) === (kind === "eq");
}

/** `(native command)`: its output lines (one: a string; none: $null); errors still reach the host. */
function subexpression(text: string, sh: ShellHost, st: PsState): PsValue {
  let captured = "";
  runStatements(text, sh, st, { out: (t) => (captured += t), err: (t) => sh.err(t) });
  const lines = captured.split(/\r?\n/);
  if (lines[lines.length - 1] === "") lines.pop();
  return lines.length === 0 ? null : lines.length === 1 ? (lines[0] as string) : lines;
}

function runIf(text: string, sh: ShellHost, st: PsState, io: PsIo): void {
  let rest = text;
  for (;;) {
    const head = /^(?:if|elseif)\s*/i.exec(rest);
    if (!head) throw new Error(`simulated PowerShell: malformed if: ${text}`);
    rest = rest.slice(head[0].length);
    const condEnd = closing(rest, 0);
    const cond = rest.slice(1, condEnd - 1);
    rest = rest.slice(condEnd).trimStart();
    const bodyEnd = closing(rest, 0);
    const body = rest.slice(1, bodyEnd - 1);
    rest = rest.slice(bodyEnd).trimStart();
    if (truthy(evaluate(cond, sh, st))) {
      runStatements(body, sh, st, io);
      return;
    }
    if (/^elseif\b/i.test(rest)) continue;
    const els = /^else\s*/i.exec(rest);
    if (els) {
      rest = rest.slice(els[0].length);
      const end = closing(rest, 0);
      runStatements(rest.slice(1, end - 1), sh, st, io);
      rest = rest.slice(end).trim();
    }
    if (rest.trim() !== "") throw new Error(`simulated PowerShell: text after if: ${rest}`);
    return;
  }
}

function runStatements(line: string, sh: ShellHost, st: PsState, io: PsIo): void {
  for (const stmt of splitStatements(line)) {
    let text = stmt.text;
    let offset = stmt.offset + (text.length - text.trimStart().length);
    text = text.trim();
    if (/^if\s*\(/i.test(text)) {
      runIf(text, sh, st, io);
      continue;
    }
    // A statement that is a single-quoted string is output as it is (`{ 'CF-STAGED:gone' }`).
    const literal = /^'([^']*)'$/.exec(text);
    if (literal) {
      io.out(`${literal[1]}\r\n`);
      st.lastOk = true;
      continue;
    }
    const exit = /^exit(?:\s+(-?\d+))?$/i.exec(text);
    if (exit) throw new ExitLine(exit[1] !== undefined ? Number(exit[1]) : st.lastOk ? 0 : 1);
    if (text.startsWith("&")) {
      text = text.slice(1).trimStart();
      offset += 1;
    }
    const args = psArguments(text, sh.env, st.vars);
    const [command, ...rest] = args;
    if (command === undefined) continue;
    const lower = command.toLowerCase();
    if (lower === "echo" || lower === "write-output" || lower === "write-host") {
      const body = lower === "write-host" ? [rest.join(" ")] : rest;
      for (const a of body) io.out(`${a}\r\n`);
      st.lastOk = true;
      continue;
    }
    const base = (command.split(/[\\/]/).pop() ?? command).toLowerCase().replace(/\.(exe|com)$/, "");
    if (base === "cmd") {
      const i = rest.findIndex((a) => /^\/[ck]$/i.test(a));
      if (i >= 0) {
        const code = sh.runOther("cmd", rest.slice(i + 1).join(" "));
        st.vars.LASTEXITCODE = String(code);
        st.lastOk = code === 0;
        continue;
      }
    }
    const result = sh.program(base, rest, "powershell");
    if (result === null) {
      io.err(notRecognized(command, text, offset));
      st.lastOk = false;
      continue;
    }
    io.out(result.stdout);
    io.err(result.stderr);
    st.vars.LASTEXITCODE = String(result.code);
    st.lastOk = result.code === 0;
  }
}

/** Runs a line as `powershell.exe -c line`; `exit N` gives N, else 0 when the last statement succeeded, else 1. */
export function runPowerShellLine(line: string, sh: ShellHost): number {
  const errors = parseErrors(line);
  if (errors.length > 0) {
    sh.err(formatParseErrors(line, errors));
    return 1;
  }
  const st: PsState = { vars: {}, lastOk: true };
  try {
    runStatements(line, sh, st, { out: (t) => sh.out(t), err: (t) => sh.err(t) });
  } catch (e) {
    if (e instanceof ExitLine) return e.code;
    throw e;
  }
  return st.lastOk ? 0 : 1;
}

