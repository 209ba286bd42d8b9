import type { Binding, BindingKind } from "../model/binding.js";
import { normalizeThumbprint } from "../model/thumbprint.js";

/**
 * Parser for `netsh http show sslcert` in any display language and any Windows layout.
 *
 * Labels are looked up in English, French and German tables; when a binding's labels are mostly
 * unknown (another language) the fields are read by value shape and position instead, because
 * netsh prints the same fields in the same order everywhere and keeps its values in English
 * (docs/facts.md §D-E). Nothing is dropped: unknown fields stay as `label:<text>` and every
 * guess or malformed value is reported in `warnings`.
 */
export interface NetshParseResult {
  bindings: Binding[];
  warnings: string[];
}

type KeyCanon = `key:${BindingKind}`;
type FieldCanon = "certhash" | "appid" | "certstorename" | SettingKey;
type SettingKey =
  | "verifyclientcertrevocation"
  | "verifyrevocationwithcachedclientcertonly"
  | "usagecheck"
  | "revocationfreshnesstime"
  | "urlretrievaltimeout"
  | "sslctlidentifier"
  | "sslctlstorename"
  | "dsmapperusage"
  | "clientcertnegotiation"
  | "reject"
  | "disablehttp2"
  | "disablequic"
  | "disabletls12"
  | "disabletls13"
  | "disableocspstapling"
  | "enabletokenbinding"
  | "logextendedevents"
  | "disablelegacytls"
  | "enablesessionticket"
  | "disablesessionid"
  | "enablecachingclienthello";
type Canon = KeyCanon | FieldCanon | "extheader" | "propertyid";

// Labels as netsh prints them, normalised by normalizeLabel (lower case, single spaces, ASCII
// apostrophe). English: real output. French: a real Server 2022-era block (docs/facts.md, "French
// lab"). German: only `IP:Port` and `Zertifikathash` are seen in real output; the other German
// labels are constructed guesses in the same style, so an unseen German label still falls back
// to value shape and position.
const LABELS: ReadonlyArray<readonly [Canon, readonly string[]]> = [
  ["key:ipport", ["ip:port", "adresse ip:port"]],
  ["key:hostnameport", ["hostname:port", "nom d'hôte:port"]],
  ["key:ccs", ["central certificate store", "magasin de certificats central", "zentraler zertifikatspeicher"]],
  ["key:scopedccs", ["scoped central certificate store", "scoped ccs", "scopedccs"]],
  ["certhash", ["certificate hash", "hachage du certificat", "zertifikathash"]],
  ["appid", ["application id", "id de l'application", "anwendungs-id"]],
  ["certstorename", ["certificate store name", "nom du magasin de certificats", "zertifikatspeichername"]],
  [
    "verifyclientcertrevocation",
    [
      "verify client certificate revocation",
      "vérifier la révocation des certificats clients",
      "clientzertifikatsperrung überprüfen",
    ],
  ],
  [
    "verifyrevocationwithcachedclientcertonly",
    [
      "verify revocation using cached client certificate only",
      "vérifier la révocation au moyen du certificat client mis en cache uniquement",
      "sperrung nur mit zwischengespeichertem clientzertifikat überprüfen",
    ],
  ],
  ["usagecheck", ["usage check", "vérification de l'utilisation", "verwendungsüberprüfung"]],
  [
    "revocationfreshnesstime",
    ["revocation freshness time", "heure d'actualisation de la révocation", "aktualität der sperrung"],
  ],
  [
    "urlretrievaltimeout",
    ["url retrieval timeout", "délai d'attente de la récupération d'url", "zeitlimit für url-abruf"],
  ],
  ["sslctlidentifier", ["ctl identifier", "identificateur ctl", "ctl-bezeichner"]],
  ["sslctlstorename", ["ctl store name", "nom du magasin ctl", "ctl-speichername"]],
  ["dsmapperusage", ["ds mapper usage", "utilisation du mappeur ds", "ds-zuordnungsverwendung"]],
  [
    "clientcertnegotiation",
    ["negotiate client certificate", "négocier le certificat client", "clientzertifikat aushandeln"],
  ],
  ["reject", ["reject connections", "refuser les connexions", "verbindungen ablehnen"]],
  ["disablehttp2", ["disable http2", "désactiver http2", "http2 deaktivieren"]],
  ["disablequic", ["disable quic", "désactiver quic", "quic deaktivieren"]],
  ["disabletls12", ["disable tls1.2", "désactiver tls1.2", "tls1.2 deaktivieren"]],
  ["disabletls13", ["disable tls1.3", "désactiver tls1.3", "tls1.3 deaktivieren"]],
  ["disableocspstapling", ["disable ocsp stapling", "désactiver l'association ocsp", "ocsp-heftung deaktivieren"]],
  ["enabletokenbinding", ["enable token binding", "activer la liaison de jeton", "tokenbindung aktivieren"]],
  [
    "logextendedevents",
    ["log extended events", "consigner les événements étendus", "erweiterte ereignisse protokollieren"],
  ],
  [
    "disablelegacytls",
    [
      "disable legacy tls versions",
      "désactiver les versions existantes de tls",
      "legacy-tls-versionen deaktivieren",
    ],
  ],
  ["enablesessionticket", ["enable session ticket", "activer le ticket de session", "sitzungsticket aktivieren"]],
  ["disablesessionid", ["disable session id", "désactiver l'id de session", "sitzungs-id deaktivieren"]],
  [
    "enablecachingclienthello",
    [
      "enable caching client hello",
      "activer la mise en cache du client hello",
      // two constructed German wordings (no real German 2025 output seen); its position next to
      // Disable Session ID is itself a guess, so the label is the only way to read it
      "zwischenspeichern von client hello aktivieren",
      "client hello-zwischenspeicherung aktivieren",
    ],
  ],
  ["extheader", ["extended properties", "propriétés étendues", "erweiterte eigenschaften"]],
  ["propertyid", ["propertyid", "property id", "id de propriété", "eigenschafts-id"]],
];

const LABEL_TABLE = new Map<string, Canon>(LABELS.flatMap(([canon, labels]) => labels.map((l) => [l, canon] as const)));

// Extended-property sub-fields, keyed by the `netsh http update sslpropertyex` parameter names.
const EXT_LABELS = new Map<string, string>([
  ["receive window", "receivewindow"],
  ["fenêtre de réception", "receivewindow"],
  ["empfangsfenster", "receivewindow"],
  ["max settings per frame", "maxsettingsperframe"],
  ["paramètres max par cadre", "maxsettingsperframe"],
  ["max. einstellungen pro frame", "maxsettingsperframe"],
  ["max settings per minute", "maxsettingsperminute"],
  ["paramètres max par minute", "maxsettingsperminute"],
  ["max. einstellungen pro minute", "maxsettingsperminute"],
]);
// What each known PropertyId holds, in display order: the fallback for unknown languages.
const EXT_BY_POSITION: Record<string, readonly string[]> = {
  "0": ["receivewindow"],
  "1": ["maxsettingsperframe", "maxsettingsperminute"],
};

// The 2008 R2 - 2012 R2 layout: 13 fields counting the key field, which these lists leave out.
const BASE13: readonly FieldCanon[] = [
  "certhash",
  "appid",
  "certstorename",
  "verifyclientcertrevocation",
  "verifyrevocationwithcachedclientcertonly",
  "usagecheck",
  "revocationfreshnesstime",
  "urlretrievaltimeout",
  "sslctlidentifier",
  "sslctlstorename",
  "dsmapperusage",
  "clientcertnegotiation",
];
const GEN2016: readonly FieldCanon[] = [...BASE13, "reject", "disablehttp2"];
const MID: readonly FieldCanon[] = [
  ...GEN2016,
  "disablequic",
  "disabletls12",
  "disabletls13",
  "disableocspstapling",
  "disablelegacytls",
];
const FULL: readonly FieldCanon[] = [
  ...GEN2016,
  "disablequic",
  "disabletls12",
  "disabletls13",
  "disableocspstapling",
  "enabletokenbinding",
  "logextendedevents",
  "disablelegacytls",
  "enablesessionticket",
];
// 24 fields: the one newest layout seen (BC guide). 25: both new flags, in DefaultFlags bit order
// (0x4000 session id before 0x8000 caching client hello); that order is a guess.
const NEWEST24: readonly FieldCanon[] = [...FULL, "enablecachingclienthello"];
const NEWEST25: readonly FieldCanon[] = [...FULL, "disablesessionid", "enablecachingclienthello"];

/** The display order (after the key field) of the layout that prints `count` fields after it. */
function orderFor(count: number): readonly FieldCanon[] {
  // mid and full agree on their first 18 fields after the key; exactly 19 is the mid layout.
  if (count === MID.length) return MID;
  // 2012 R2 prints 12 fields after the key; without this its layout never counts as aligned.
  if (count <= BASE13.length) return BASE13;
  if (count <= GEN2016.length) return GEN2016;
  if (count <= FULL.length) return FULL;
  if (count === NEWEST24.length) return NEWEST24;
  return NEWEST25;
}

type ValueShape = "enabled" | "set" | "int" | "any";
function shapeOf(canon: FieldCanon): ValueShape {
  switch (canon) {
    case "verifyclientcertrevocation":
    case "verifyrevocationwithcachedclientcertonly":
    case "usagecheck":
    case "dsmapperusage":
    case "clientcertnegotiation":
    case "reject":
      return "enabled";
    case "revocationfreshnesstime":
    case "urlretrievaltimeout":
      return "int";
    case "certhash":
    case "appid":
    case "certstorename":
    case "sslctlidentifier":
    case "sslctlstorename":
      return "any";
    default:
      return "set";
  }
}
function valueFits(canon: FieldCanon, value: string): boolean {
  switch (shapeOf(canon)) {
    case "enabled":
      return /^(enabled|disabled)$/i.test(value);
    case "set":
      return /^(set|not set)$/i.test(value);
    case "int":
      return /^\d+$/.test(value);
    case "any":
      return true;
  }
}

const IPV4_PORT = /^\d{1,3}(?:\.\d{1,3}){3}:\d{1,5}$/;
const IPV6_PORT = /^\[[0-9a-f:.%]+\]:\d{1,5}$/i;
const HOST_PORT = /^[a-z0-9*_](?:[a-z0-9_.*-]*[a-z0-9])?:\d{1,5}$/i;
const BARE_PORT = /^\d{1,5}$/;
const GUID = /^\{?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\}?$/i;
const HEX40 = /^(?:[0-9a-f]{40}|(?:[0-9a-f]{2} ){19}[0-9a-f]{2})$/i;

/** The binding kind an endpoint value implies on its own (ipport / hostnameport / ccs port). */
function kindFromValue(value: string, allowBarePort: boolean): BindingKind | null {
  if (IPV4_PORT.test(value) || IPV6_PORT.test(value)) return "ipport";
  if (HOST_PORT.test(value)) return "hostnameport";
  if (allowBarePort && BARE_PORT.test(value)) return "ccs";
  return null;
}

// `show` of a binding that does not exist prints only the Win32 message for error 2.
const NOT_FOUND_TEXTS = [
  "the system cannot find the file specified.",
  "le fichier spécifié est introuvable.",
  "das system kann die angegebene datei nicht finden.",
];

interface RawField {
  label: string;
  canon: Canon | undefined;
  value: string;
  line: number;
}
interface RawExt {
  id: string | undefined;
  fields: RawField[];
  line: number;
}
interface RawBinding {
  key: RawField;
  kind: BindingKind;
  keyByShape: boolean;
  fields: RawField[];
  ext: RawExt[];
}

export function parseNetshShowSslcert(text: string): NetshParseResult {
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

  const bindings = raws.map((raw) => resolveBinding(raw, warnings));
  if (truncated) {
    const last = bindings[bindings.length - 1];
    warnings.push(
      last
        ? `netsh output is truncated ("..."): binding ${last.kind}=${last.endpoint} may be incomplete`
        : `netsh output is truncated ("...")`,
    );
  }
  return { bindings, warnings };
}

function resolveBinding(raw: RawBinding, warnings: string[]): Binding {
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

/** Lower case, single spaces, typographic apostrophe and NBSP folded: the label-table key. */
function normalizeLabel(label: string): string {
  return label.replace(/[\u2019\u2018`]/g, "'").replace(/[\s\u00a0]+/g, " ").trim().toLowerCase();
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
