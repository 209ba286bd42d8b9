/**
 * The resolver: turns a raw binding from ./scanner.ts into a Binding: known labels by name,
 * unknown ones by value shape and position in the release's layout, every guess reported.
 */
import type { Binding } from "../../model/binding.js";
import { normalizeThumbprint } from "../../model/thumbprint.js";
import { EXT_BY_POSITION, GUID, HEX40, valueFits } from "./fields.js";
import { EXT_LABELS, normalizeLabel } from "./labels.js";
import { orderFor } from "./layouts.js";
import type { RawBinding, RawExt, RawField } from "./scanner.js";

export function resolveBinding(raw: RawBinding, warnings: string[]): Binding {
  const name = `${raw.kind}=${raw.key.value}`;
  const warn = (msg: string): void => {
    warnings.push(`netsh binding ${name}: ${msg}`);
  };

  const unknown = raw.fields.filter((f) => f.canon === undefined).length;
  // Mostly unknown labels mean another display language: read by shape and position.
  const byPosition = raw.keyByShape || (unknown > 0 && unknown * 2 >= raw.fields.length);
  const order = orderFor(raw.fields.length);
  // A few unknown labels (worded differently in this language or build) whose nearest known
  // neighbours on both sides sit where the layout puts them: that position is trustworthy, so read
  // the field by position and shape rather than lose a setting a re-created binding needs. Only
  // local agreement counts, because the order of the newest flags is itself a guess (NEWEST25).
  const atLayoutPosition = (i: number): boolean => raw.fields[i]?.canon === order[i];
  const neighbourAligned = (index: number, step: 1 | -1): boolean => {
    for (let i = index + step; i >= 0 && i < raw.fields.length; i += step) {
      if (raw.fields[i]?.canon !== undefined) return atLayoutPosition(i);
    }
    return true;
  };
  const aligned = (index: number): boolean =>
    !byPosition && order.length === raw.fields.length && neighbourAligned(index, -1) && neighbourAligned(index, 1);
  let guessedByNeighbours = false;
  const used = new Set<string>();
  for (const f of raw.fields) if (f.canon) used.add(f.canon);

  const assigned: Array<{ key: string; field: RawField }> = [];
  const claimed = new Set<string>();
  const guessed: string[] = [];
  raw.fields.forEach((f, index) => {
    let key: string | undefined;
    if (f.canon !== undefined && !f.canon.startsWith("key:") && f.canon !== "extheader" && f.canon !== "propertyid") {
      key = f.canon;
    } else if (f.canon === undefined && (byPosition || aligned(index))) {
      const positional = order[index];
      if (!used.has("certhash") && HEX40.test(f.value)) key = "certhash";
      else if (!used.has("appid") && GUID.test(f.value)) key = "appid";
      else if (positional && !used.has(positional) && valueFits(positional, f.value)) key = positional;
      if (key) {
        used.add(key);
        guessed.push(`"${f.label}"→${key}`);
        if (!byPosition) guessedByNeighbours = true;
      }
    }
    if (key && claimed.has(key)) {
      warn(`field "${f.label}" repeats ${key}; kept as label:${f.label}`);
      key = `label:${f.label}`;
    }
    if (!key) {
      key = `label:${f.label}`;
      if (!byPosition) warn(`unknown field "${f.label}" kept as ${key}`);
    }
    claimed.add(key);
    assigned.push({ key, field: f });
  });

  if (guessedByNeighbours) {
    warn(`labels not recognised, read by position in the layout of the known labels: ${guessed.join(", ")}`);
  }
  if (byPosition) {
    const unread = assigned.filter((a) => a.key.startsWith("label:")).map((a) => a.field.label);
    warn(
      `labels not recognised (unknown display language): read by value shape and position` +
        (raw.keyByShape ? `; endpoint from "${raw.key.label}"` : "") +
        (guessed.length > 0 ? `; ${guessed.join(", ")}` : "") +
        (unread.length > 0 ? `; kept as label: ${unread.map((l) => `"${l}"`).join(", ")}` : ""),
    );
  }

  const get = (key: string): string | undefined => assigned.find((a) => a.key === key)?.field.value;
  const isCcs = raw.kind === "ccs" || raw.kind === "scopedccs";

  let certHash: string | null = null;
  const hashText = get("certhash");
  if (hashText === undefined) {
    if (!isCcs) warn("no certificate hash line");
  } else {
    certHash = normalizeThumbprint(hashText);
    if (certHash === null && !(isCcs && (hashText === "(null)" || hashText === ""))) {
      warn(`certificate hash "${hashText}" is not a SHA-1 thumbprint; left empty`);
    }
  }

  let appId: string | null = null;
  const appText = get("appid");
  if (appText === undefined) {
    warn("no application ID line");
  } else {
    const m = GUID.exec(appText);
    if (m?.[1]) appId = `{${m[1].toLowerCase()}}`;
    else warn(`application ID "${appText}" is not a GUID; left empty`);
  }

  const storeText = get("certstorename");
  const storeName = storeText === undefined || storeText === "(null)" || storeText === "" ? null : storeText;

  const settings: Record<string, string> = {};
  for (const { key, field } of assigned) {
    if (key === "certhash" || key === "appid" || key === "certstorename") continue;
    settings[key] = field.value;
  }
  for (const block of raw.ext) resolveExt(block, settings, warn);

  return { kind: raw.kind, endpoint: raw.key.value, certHash, appId, storeName, settings };
}

function resolveExt(block: RawExt, settings: Record<string, string>, warn: (msg: string) => void): void {
  if (block.id === undefined) {
    warn(`extended properties at line ${block.line} have no PropertyId; kept as propertyid?`);
  }
  const prefix = `propertyid${block.id ?? "?"}`;
  if (block.fields.length === 0) {
    settings[prefix] = "";
    return;
  }
  const positional = EXT_BY_POSITION[block.id ?? ""] ?? [];
  block.fields.forEach((f, index) => {
    let name = EXT_LABELS.get(normalizeLabel(f.label));
    if (!name) {
      const guess = positional[index];
      if (guess && /^\d+$/.test(f.value)) {
        name = guess;
        warn(`extended property "${f.label}" (PropertyId ${block.id}) not recognised; read by position as ${guess}`);
      } else {
        name = `label:${f.label}`;
        warn(`unknown extended property "${f.label}" kept as ${prefix}.${name}`);
      }
    }
    settings[`${prefix}.${name}`] = f.value;
  });
}

