/**
 * The line scanner of `netsh http show sslcert`: splits the text into raw bindings (key field,
 * fields, extended-property blocks) with each label looked up in ./labels.ts, before any field
 * is interpreted (./resolver.ts does that).
 */
import type { BindingKind } from "../../model/binding.js";
import { kindFromValue, type Canon } from "./fields.js";
import { LABEL_TABLE, NOT_FOUND_TEXTS, normalizeLabel } from "./labels.js";

export interface RawField {
  label: string;
  canon: Canon | undefined;
  value: string;
  line: number;
}
export interface RawExt {
  id: string | undefined;
  fields: RawField[];
  line: number;
}
export interface RawBinding {
  key: RawField;
  kind: BindingKind;
  keyByShape: boolean;
  fields: RawField[];
  ext: RawExt[];
}

export interface NetshScan {
  raws: RawBinding[];
  warnings: string[];
  /** the text ended in "...": the last binding may be incomplete. */
  truncated: boolean;
}

export function scanNetshShow(text: string): NetshScan {
  const warnings: string[] = [];
  const { lines, truncated } = stripCommonPrefix(text.replace(/\r*\n|\r/g, "\n").split("\n"));

  // Everything up to the dash line under the header is the header itself (any language) or
  // noise that a wrapper printed before it (`netsh>`, `Checking port ...`).
  // A later header (two outputs captured together) is skipped the same way: its title line and
  // its dash line.
  const isDash = (l: string | undefined): boolean => l !== undefined && /^\s*-{3,}\s*$/.test(l);
  const dashAt = lines.findIndex(isDash);
  const start = dashAt >= 0 ? dashAt + 1 : 0;

  const raws: RawBinding[] = [];
  let current: RawBinding | undefined;
  let ext: RawExt | undefined;
  let atBlockStart = true;
  // A blank line closes a binding's main fields; only an extended-properties header may still
  // join it. Fields after a blank line without an endpoint line are an unreadable block.
  let closed = false;
  const orphanBlocks: RawField[][] = [];
  const startsBlock = new WeakSet<RawField>();
  const orphan = (f: RawField): void => {
    const last = orphanBlocks[orphanBlocks.length - 1];
    if (last && !startsBlock.has(f)) last.push(f);
    else orphanBlocks.push([f]);
  };

  for (let i = start; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = lines[i] ?? "";
    if (isDash(line) || (line.trim() !== "" && isDash(lines[i + 1]))) continue;
    if (line.trim() === "") {
      atBlockStart = true;
      closed = true;
      ext = undefined;
      continue;
    }
    const split = splitLabelValue(line);
    if (!split) {
      if (NOT_FOUND_TEXTS.includes(line.trim().toLowerCase())) continue;
      // Inside a binding, a line that is no `label : value` continues the value above it (a value
      // holding a line break). Keep it there: the binding then reads as what it is, rather than
      // as a shorter value that an update or re-add would write over the real one.
      const above = current && !closed ? (ext ? ext.fields[ext.fields.length - 1] : (current.fields[current.fields.length - 1] ?? current.key)) : undefined;
      if (above) above.value = `${above.value}\n${line.trim()}`;
      warnings.push(`netsh line ${lineNo} not understood, ${above ? `kept as part of the value of "${above.label}"` : "ignored"}: "${line.trim()}"`);
      continue;
    }
    const canon = LABEL_TABLE.get(normalizeLabel(split.label));
    const field: RawField = { label: split.label, canon, value: split.value, line: lineNo };
    const indent = line.length - line.trimStart().length;

    const knownKind = canon?.startsWith("key:") ? (canon.slice(4) as BindingKind) : null;
    // Under an unknown label, an endpoint-shaped value starts a binding only where one can start:
    // first in a block, or inside a binding that is itself being read by shape (no blank lines).
    const shapeKind =
      canon === undefined && !ext && (atBlockStart || !current || current.keyByShape)
        ? kindFromValue(split.value, atBlockStart)
        : null;
    if (atBlockStart) startsBlock.add(field);
    atBlockStart = false;
    if (knownKind || shapeKind) {
      current = { key: field, kind: knownKind ?? shapeKind!, keyByShape: !knownKind, fields: [], ext: [] };
      raws.push(current);
      ext = undefined;
      closed = false;
      continue;
    }

    const isExtHeader =
      canon === "extheader" || (canon === undefined && split.value === "" && indent < 4 && current !== undefined);
    if (isExtHeader) {
      if (!current) {
        orphan(field);
        continue;
      }
      ext = { id: undefined, fields: [], line: lineNo };
      current.ext.push(ext);
      continue;
    }
    if (ext) {
      if (ext.id === undefined && (canon === "propertyid" || /^\d+$/.test(split.value))) {
        ext.id = split.value;
      } else {
        ext.fields.push(field);
      }
      continue;
    }
    if (current && !closed) current.fields.push(field);
    else orphan(field);
  }

  for (const block of orphanBlocks) {
    const first = block[0]!;
    warnings.push(
      `netsh lines ${first.line}-${block[block.length - 1]!.line}: a block of ${block.length} field(s) with no endpoint line (starts "${first.label} : ${first.value}"): not read as a binding`,
    );
  }

  return { raws, warnings, truncated };
}

/**
 * Splits `    Label        : value` at the separator after the label column. A separator is a
 * colon with a space on at least one side, so the colons inside `IP:port`, `Hostname:port` and
 * `[::]:443` are not separators. French prints `Nom du magasin de certificats :       : MY` (a
 * second separator, dropped) and `Désactiver HTTP2 :Not Set` (no space after the colon).
 */
function splitLabelValue(line: string): { label: string; value: string } | null {
  const m = /^(\s*)(\S(?:.*?\S)?)\s*(?: :|: |:$| : )/.exec(line);
  if (!m) return null;
  const label = m[2] ?? "";
  let value = line.slice(m[0].length).trim();
  while (/^:(\s|$)/.test(value)) value = value.slice(1).trim();
  return { label, value };
}

/**
 * Removes a prefix that a wrapper put on every line, such as PowerShell's `VERBOSE: ` /
 * `AUSFÜHRLICH: ` / `COMMENTAIRES : ` (Write-Verbose), and a final `...` that marks a cut.
 */
function stripCommonPrefix(input: string[]): { lines: string[]; truncated: boolean } {
  let lines = input.map((l) => l.replace(/[\s\u00a0]+$/, ""));
  let truncated = false;
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  if (lines.length > 0 && /^(\.\.\.|\u2026)$/.test(lines[lines.length - 1]!.trim())) {
    truncated = true;
    lines.pop();
  }
  const first = lines.find((l) => l.trim() !== "");
  const m = first ? /^(\p{L}[\p{L}\p{M}]*) ?:(?= |$)/u.exec(first) : null;
  if (m) {
    const word = m[0];
    const content = lines.filter((l) => l.trim() !== "");
    if (content.length >= 2 && content.every((l) => l.startsWith(word))) {
      lines = lines.map((l) => (l.startsWith(word) ? l.slice(word.length).replace(/^ /, "") : l));
    }
  }
  return { lines, truncated };
}
