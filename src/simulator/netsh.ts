/**
 * `netsh http show|add|delete|update sslcert` semantics over a host's bindings, with the texts and
 * exit codes Windows gives (docs/messages.md). Input is the argv netsh.exe received after the
 * shell did its quoting, so shell mistakes (PowerShell eating `{GUID}`) arrive here as they would.
 */
import { completeParams, fieldByParam, settableParamsFor } from "./netsh-fields.js";
import {
  commandNotFound,
  parameterIncorrect,
  showNotFound,
  showSslcert,
  syntaxError,
  verbFailed,
  verbSucceeded,
} from "./netsh-text.js";
import {
  bindingKeyOf,
  cloneBinding,
  osAtLeast,
  type SimBinding,
  type SimBindingKind,
  type SimLanguage,
  type SimOs,
  type SimStoreEntry,
} from "./state.js";

export interface ProgramResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** What netsh needs from the host; the host implements it and hears about every change. */
export interface NetshHost {
  os: SimOs;
  language: SimLanguage;
  elevated: boolean;
  bindings: SimBinding[];
  findCertificate(thumbprint: string, storeName: string | null): SimStoreEntry | undefined;
  failAddWith1312ForHash?: string;
  bindingChanged(key: string, before: SimBinding | undefined, after: SimBinding | undefined): void;
}

const ok = (stdout: string): ProgramResult => ({ stdout, stderr: "", code: 0 });
const fail = (stdout: string): ProgramResult => ({ stdout, stderr: "", code: 1 });

const KEY_TAGS: readonly SimBindingKind[] = ["ipport", "hostnameport", "ccs"];
const KIND_ORDER: Record<SimBindingKind, number> = { ipport: 0, hostnameport: 1, ccs: 2 };

type Verb = "show" | "add" | "delete" | "update";

interface ParsedTags {
  tags: Map<string, string>;
  /** tokens without `name=`: netsh cannot match them to a tag */
  untagged: string[];
  unknown: string[];
  duplicate: boolean;
}

function parseTags(args: string[], allowed: ReadonlySet<string>): ParsedTags {
  const tags = new Map<string, string>();
  const untagged: string[] = [];
  const unknown: string[] = [];
  let duplicate = false;
  for (const arg of args) {
    const eq = arg.indexOf("=");
    if (eq <= 0) {
      untagged.push(arg);
      continue;
    }
    const name = arg.slice(0, eq).toLowerCase();
    if (!allowed.has(name)) unknown.push(name);
    if (tags.has(name)) duplicate = true;
    tags.set(name, arg.slice(eq + 1));
  }
  return { tags, untagged, unknown, duplicate };
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const IPV6 = /^[0-9a-f:.]+$/i;
const HOSTNAME = /^(\*\.)?[a-z0-9]([a-z0-9-]{0,62})(\.[a-z0-9]([a-z0-9-]{0,62}))*$/i;

function validPort(text: string): boolean {
  return /^\d{1,5}$/.test(text) && Number(text) >= 1 && Number(text) <= 65535;
}

/** The endpoint as http.sys stores it, or null when netsh would reject the value (87). */
export function normalizeEndpoint(kind: SimBindingKind, value: string): string | null {
  if (kind === "ccs") return validPort(value) ? String(Number(value)) : null;
  const m = /^(.*):(\d+)$/.exec(value);
  if (!m || !validPort(m[2] ?? "")) return null;
  const host = m[1] ?? "";
  const port = String(Number(m[2]));
  if (kind === "ipport") {
    if (IPV4.test(host)) return `${host}:${port}`;
    const v6 = /^\[(.+)\]$/.exec(host);
    if (v6 && IPV6.test(v6[1] ?? "") && (v6[1] ?? "").includes(":")) return `[${(v6[1] ?? "").toLowerCase()}]:${port}`;
    return null;
  }
  return HOSTNAME.test(host) ? `${host}:${port}` : null;
}

function normalizeAppId(value: string): string | null {
  const m = /^\{?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\}?$/i.exec(value);
  return m ? `{${(m[1] ?? "").toLowerCase()}}` : null;
}

/** Validates every setting value; returns the parameter-form values, or null (87). */
function settingValues(tags: Map<string, string>, os: SimOs): Record<string, string> | null {
  const out: Record<string, string> = {};
  for (const p of settableParamsFor(os)) {
    const raw = tags.get(p);
    if (raw === undefined) continue;
    const field = fieldByParam(p);
    if (!field) continue;
    if (field.vocab === "enabled" || field.vocab === "set") {
      const v = raw.toLowerCase();
      if (v !== "enable" && v !== "disable") return null;
      out[p] = v;
    } else if (field.vocab === "uint") {
      if (!/^\d{1,10}$/.test(raw) || Number(raw) > 0xffffffff) return null;
      out[p] = String(Number(raw));
    } else {
      if (raw === "") return null;
      out[p] = raw;
    }
  }
  return out;
}

type HashCheck = { hash: string } | { error: "87" | "1312" };

function checkHash(raw: string): HashCheck {
  if (/^[0-9a-f]{40}$/i.test(raw)) return { hash: raw.toLowerCase() };
  // An invisible mark pasted along with the hash reaches http.sys, which rejects the certificate.
  // eslint-disable-next-line no-control-regex
  if (/[^\x00-\x7f]/.test(raw)) return { error: "1312" };
  return { error: "87" };
}

function usable(host: NetshHost, hash: string, storeName: string | null): boolean {
  const entry = host.findCertificate(hash, storeName);
  return entry !== undefined && entry.hasPrivateKey && host.failAddWith1312ForHash?.toLowerCase() !== hash;
}

function findBinding(host: NetshHost, kind: SimBindingKind, endpoint: string): SimBinding | undefined {
  const key = bindingKeyOf({ kind, endpoint });
  return host.bindings.find((b) => bindingKeyOf(b) === key);
}

function keyOf(tags: Map<string, string>): { kind: SimBindingKind; raw: string } | "none" | "many" {
  const present = KEY_TAGS.filter((k) => tags.has(k));
  if (present.length === 0) return "none";
  if (present.length > 1) return "many";
  const kind = present[0] as SimBindingKind;
  return { kind, raw: tags.get(kind) ?? "" };
}

function show(host: NetshHost, args: string[]): ProgramResult {
  const lang = host.language;
  const sorted = [...host.bindings].sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind]);
  if (args.length === 0) return ok(showSslcert(sorted, host.os, lang));
  const allowed = new Set<string>(KEY_TAGS);
  const parsed = parseTags(args, allowed);
  const key = keyOf(parsed.tags);
  if (parsed.unknown.length > 0 || parsed.duplicate || key === "many") return fail(syntaxError("show", host.os, lang));
  if (parsed.untagged.length > 0 || key === "none") return fail(parameterIncorrect(lang));
  const endpoint = normalizeEndpoint(key.kind, key.raw);
  if (endpoint === null) return fail(parameterIncorrect(lang));
  const found = findBinding(host, key.kind, endpoint);
  return found ? ok(showSslcert([found], host.os, lang)) : fail(showNotFound(lang));
}

function addOrUpdate(host: NetshHost, verb: "add" | "update", args: string[]): ProgramResult {
  const { os, language: lang } = host;
  const allowed = new Set<string>([...KEY_TAGS, "appid", "certhash", "certstorename", ...settableParamsFor(os)]);
  const parsed = parseTags(args, allowed);
  const key = keyOf(parsed.tags);
  if (parsed.unknown.length > 0 || parsed.duplicate || key === "many" || key === "none") return fail(syntaxError(verb, os, lang));
  if (verb === "add" && !parsed.tags.has("appid")) return fail(syntaxError(verb, os, lang));
  if (parsed.untagged.length > 0) return fail(parameterIncorrect(lang));

  const endpoint = normalizeEndpoint(key.kind, key.raw);
  if (endpoint === null) return fail(parameterIncorrect(lang));
  const appIdRaw = parsed.tags.get("appid");
  const appId = appIdRaw === undefined ? undefined : normalizeAppId(appIdRaw);
  if (appId === null) return fail(parameterIncorrect(lang));
  const storeRaw = parsed.tags.get("certstorename");
  if (storeRaw === "") return fail(parameterIncorrect(lang));
  const settings = settingValues(parsed.tags, os);
  if (settings === null) return fail(parameterIncorrect(lang));
  const hashRaw = parsed.tags.get("certhash");
  const hashCheck = hashRaw === undefined ? undefined : checkHash(hashRaw);
  if (hashCheck && "error" in hashCheck && hashCheck.error === "87") return fail(parameterIncorrect(lang));

  if (!host.elevated) return fail(verbFailed(verb, 5, lang));
  const existing = findBinding(host, key.kind, endpoint);
  if (verb === "add" && existing) return fail(verbFailed(verb, 183, lang));
  if (verb === "update" && !existing) return fail(verbFailed(verb, 2, lang));
  if (hashCheck && "error" in hashCheck) return fail(verbFailed(verb, 1312, lang));

  const storeName = storeRaw ?? (verb === "update" ? (existing?.storeName ?? null) : null);
  const hash = hashCheck && "hash" in hashCheck ? hashCheck.hash : verb === "update" ? (existing?.certHash ?? "") : "";
  if (key.kind !== "ccs") {
    if (hash === "") return fail(verbFailed(verb, 87, lang));
    if (!usable(host, hash, storeName)) return fail(verbFailed(verb, 1312, lang));
  }

  const next: SimBinding = {
    kind: key.kind,
    endpoint,
    certHash: hash,
    appId: appId ?? existing?.appId ?? "",
    storeName,
    params: completeParams(os, verb === "update" && existing ? { ...existing.params, ...settings } : settings),
  };
  if (verb === "add") host.bindings.push(next);
  else host.bindings.splice(host.bindings.indexOf(existing as SimBinding), 1, next);
  host.bindingChanged(bindingKeyOf(next), existing ? cloneBinding(existing) : undefined, cloneBinding(next));
  return ok(verbSucceeded(verb, lang));
}

function remove(host: NetshHost, args: string[]): ProgramResult {
  const { os, language: lang } = host;
  const parsed = parseTags(args, new Set<string>(KEY_TAGS));
  const key = keyOf(parsed.tags);
  if (parsed.unknown.length > 0 || parsed.duplicate || key === "many" || key === "none") return fail(syntaxError("delete", os, lang));
  if (parsed.untagged.length > 0) return fail(parameterIncorrect(lang));
  const endpoint = normalizeEndpoint(key.kind, key.raw);
  if (endpoint === null) return fail(parameterIncorrect(lang));
  if (!host.elevated) return fail(verbFailed("delete", 5, lang));
  const existing = findBinding(host, key.kind, endpoint);
  if (!existing) return fail(verbFailed("delete", 2, lang));
  host.bindings.splice(host.bindings.indexOf(existing), 1);
  host.bindingChanged(bindingKeyOf(existing), cloneBinding(existing), undefined);
  return ok(verbSucceeded("delete", lang));
}

/** `argv` without the program name: `["http", "add", "sslcert", "ipport=...", ...]`. */
export function runNetsh(host: NetshHost, argv: string[]): ProgramResult {
  const [context, verbRaw, object, ...rest] = argv;
  const verb = verbRaw?.toLowerCase() as Verb | undefined;
  const known =
    context?.toLowerCase() === "http" &&
    object?.toLowerCase() === "sslcert" &&
    (verb === "show" || verb === "add" || verb === "delete" || (verb === "update" && osAtLeast(host.os, "2016")));
  if (!known) return fail(commandNotFound(argv, host.language));
  switch (verb) {
    case "show":
      return show(host, rest);
    case "add":
    case "update":
      return addOrUpdate(host, verb, rest);
    case "delete":
      return remove(host, rest);
    default:
      return fail(commandNotFound(argv, host.language));
  }
}
