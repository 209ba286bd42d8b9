/**
 * The conditional forms delivery's cleanup proof uses, parsed the way each shell reads them:
 * cmd.exe `(group)`, `if [not] exist PATH COMMAND` and `if exist PATH (A) else (B)`; PowerShell
 * `if (CONDITION) { A } else { B }`. Only the parsing lives here; the shells run the parts.
 */

/** Index of the `close` that matches the `open` at `start`, skipping quoted text; -1 when none. */
function matching(text: string, start: number, open: string, close: string): number {
  let depth = 0;
  let quote: string | null = null;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || (c === "'" && open === "{")) quote = c;
    else if (c === open) depth++;
    else if (c === close && --depth === 0) return i;
  }
  return -1;
}

/** `(a)` -> `a` when the parentheses enclose the whole text; else null. */
export function unwrapGroup(text: string): string | null {
  const t = text.trim();
  if (!t.startsWith("(")) return null;
  const end = matching(t, 0, "(", ")");
  return end === t.length - 1 ? t.slice(1, end) : null;
}

export interface CmdIf {
  negate: boolean;
  path: string;
  then: string;
  otherwise?: string;
}

/** `rest` is what follows the word `if`. Only the `exist` form; null for anything else. */
export function parseCmdIf(rest: string): CmdIf | null {
  const m = /^\s+(not\s+)?exist\s+("[^"]*"|\S+)\s+([\s\S]*)$/i.exec(rest);
  if (!m) return null;
  const negate = m[1] !== undefined;
  const path = m[2]!.replace(/"/g, "");
  const body = m[3]!.trim();
  if (!body.startsWith("(")) return { negate, path, then: body };
  const end = matching(body, 0, "(", ")");
  if (end < 0) return null;
  const then = body.slice(1, end);
  const after = body.slice(end + 1).trim();
  if (after === "") return { negate, path, then };
  const e = /^else\s+([\s\S]*)$/i.exec(after);
  if (!e) return null;
  const otherwise = e[1]!.trim();
  return { negate, path, then, otherwise: unwrapGroup(otherwise) ?? otherwise };
}

export interface PsIf {
  condition: string;
  then: string;
  otherwise?: string;
}

/** `if (COND) { A } else { B }`; null when the statement is not an if. */
export function parsePsIf(statement: string): PsIf | null {
  const t = statement.trim();
  const m = /^if\s*\(/i.exec(t);
  if (!m) return null;
  const open = m[0].length - 1;
  const close = matching(t, open, "(", ")");
  if (close < 0) return null;
  const condition = t.slice(open + 1, close).trim();
  let rest = t.slice(close + 1).trim();
  if (!rest.startsWith("{")) return null;
  const thenEnd = matching(rest, 0, "{", "}");
  if (thenEnd < 0) return null;
  const then = rest.slice(1, thenEnd).trim();
  rest = rest.slice(thenEnd + 1).trim();
  if (rest === "") return { condition, then };
  const e = /^else\s*\{/i.exec(rest);
  if (!e) return null;
  const start = e[0].length - 1;
  const end = matching(rest, start, "{", "}");
  if (end !== rest.length - 1) return null;
  return { condition, then, otherwise: rest.slice(start + 1, end).trim() };
}
