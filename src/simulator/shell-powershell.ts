/**
 * How Windows PowerShell 5.1 (`powershell.exe -c line`, the OpenSSH DefaultShell) runs a command
 * line, to the extent certfleet's commands touch it: parse errors for `&` and `&&` before anything
 * runs, statements split on `;`, '...' literal and "..." expanding strings, `$var` / `$env:NAME`
 * expansion, and an unquoted `{...}` being a script block: a native program gets its inner text
 * as a separate argument (so `appid={GUID}` reaches netsh as `appid=` plus the bare GUID).
 */
import { parsePsIf } from "./shell-blocks.js";
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

function lookupVar(name: string, env: Record<string, string>): string {
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
function readVariable(line: string, i: number, env: Record<string, string>): [string, number] {
  if (line[i + 1] === "{") {
    const end = line.indexOf("}", i + 2);
    if (end > 0) return [lookupVar(line.slice(i + 2, end), env), end + 1];
  }
  const m = /^\$((?:env:)?[A-Za-z_][A-Za-z0-9_]*)/i.exec(line.slice(i));
  if (!m) return ["$", i + 1];
  return [lookupVar(m[1] ?? "", env), i + (m[0]?.length ?? 1)];
}

const BACKTICK: Record<string, string> = { n: "\n", r: "\r", t: "\t", "0": "\0", a: "\x07", b: "\b", f: "\f", v: "\v" };

/** Command-mode argument tokens with PowerShell's quoting and expansion applied. */
export function psArguments(statement: string, env: Record<string, string>): string[] {
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
            const [value, next] = readVariable(s, i, env);
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
        const [value, next] = readVariable(s, i, env);
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

/** Runs a line as `powershell.exe -c line`; exit code 0 when the last statement succeeded, else 1. */
export function runPowerShellLine(line: string, sh: ShellHost): number {
  const errors = parseErrors(line);
  if (errors.length > 0) {
    sh.err(formatParseErrors(line, errors));
    return 1;
  }
  let lastOk = true;
  for (const st of splitStatements(line)) {
    let text = st.text;
    let offset = st.offset + (text.length - text.trimStart().length);
    text = text.trim();
    if (text.startsWith("&")) {
      text = text.slice(1).trimStart();
      offset += 1;
    }
    const cond = parsePsIf(text);
    if (cond) {
      lastOk = runPsIf(cond.condition, cond.then, cond.otherwise, sh);
      continue;
    }
    const args = psArguments(text, sh.env);
    const [command, ...rest] = args;
    if (command === undefined) continue;
    const lower = command.toLowerCase();
    if (lower === "echo" || lower === "write-output" || lower === "write-host") {
      const body = lower === "write-host" ? [rest.join(" ")] : rest;
      for (const a of body) sh.out(`${a}\r\n`);
      lastOk = true;
      continue;
    }
    const base = (command.split(/[\\/]/).pop() ?? command).toLowerCase().replace(/\.(exe|com)$/, "");
    if (base === "cmd") {
      const i = rest.findIndex((a) => /^\/[ck]$/i.test(a));
      if (i >= 0) {
        lastOk = sh.runOther("cmd", rest.slice(i + 1).join(" ")) === 0;
        continue;
      }
    }
    const result = sh.program(base, rest, "powershell");
    if (result === null) {
      sh.err(notRecognized(command, text, offset));
      lastOk = false;
      continue;
    }
    sh.out(result.stdout);
    sh.err(result.stderr);
    lastOk = result.code === 0;
  }
  return lastOk ? 0 : 1;
}

/** One expression or statement of an if branch: a quoted string is output, anything else runs. */
function runPsBranch(body: string, sh: ShellHost): boolean {
  const literal = /^'([^']*)'$/.exec(body.trim());
  if (literal) {
    sh.out(`${literal[1]}\r\n`);
    return true;
  }
  return body.trim() === "" || runPowerShellLine(body, sh) === 0;
}

/** `if (Test-Path ...) { A } else { B }`: the condition is a command whose output is True or False. */
function runPsIf(condition: string, then: string, otherwise: string | undefined, sh: ShellHost): boolean {
  const [command, ...rest] = psArguments(condition, sh.env);
  const result = command === undefined ? null : sh.program(command.toLowerCase(), rest, "powershell");
  const truthy = result !== null && result.stdout.trim() === "True";
  if (truthy) return runPsBranch(then, sh);
  return otherwise === undefined ? true : runPsBranch(otherwise, sh);
}
