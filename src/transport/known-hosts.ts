import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { mkdir, open, readFile, stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { CertfleetError } from "../model/errors.js";

/**
 * OpenSSH known_hosts, as sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT" describes it. Pure parsing and
 * matching; the only I/O is reading the file and appending one line.
 */

export const SUPPORTED_KEY_TYPES = [
  "ssh-ed25519",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "ssh-rsa",
] as const;

export type HostPattern =
  | { kind: "hashed"; salt: Buffer; hash: Buffer }
  | { kind: "patterns"; patterns: { negated: boolean; pattern: string }[] };

export interface KnownHostEntry {
  /** 1-based line in the file, for messages. */
  line: number;
  marker: "revoked" | "cert-authority" | null;
  hosts: HostPattern;
  keyType: string;
  key: Buffer;
}

export type HostKeyStatus = "match" | "unknown" | "changed" | "revoked";

export interface HostKeyCheck {
  status: HostKeyStatus;
  /** keys on file for this host (not revoked, not CA), for "changed" messages. */
  known: { keyType: string; key: Buffer; line: number }[];
}

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const entry = parseKnownHostsLine(raw, index + 1);
    if (entry) entries.push(entry);
  });
  return entries;
}

/** One line, or null for comments, blank lines and lines we cannot use (OpenSSH skips them too). */
export function parseKnownHostsLine(raw: string, line: number): KnownHostEntry | null {
  const text = raw.trim();
  if (text === "" || text.startsWith("#")) return null;
  const fields = text.split(/[ \t]+/);
  let marker: KnownHostEntry["marker"] = null;
  if (fields[0]?.startsWith("@")) {
    const m = fields.shift();
    if (m === "@revoked") marker = "revoked";
    // A CA line vouches for host certificates. We only check plain host keys, so a CA entry can
    // never produce a "match"; it is kept so callers can see it was read.
    else if (m === "@cert-authority") marker = "cert-authority";
    else return null;
  }
  const [hostField, keyType, keyB64] = fields;
  if (!hostField || !keyType || !keyB64) return null;
  const key = decodeBase64Strict(keyB64);
  if (!key) return null;
  // The blob names its own type; a line whose two disagree is corrupt.
  if (keyTypeFromBlob(key) !== keyType) return null;
  const hosts = parseHostField(hostField);
  if (!hosts) return null;
  return { line, marker, hosts, keyType, key };
}

function parseHostField(field: string): HostPattern | null {
  if (field.startsWith("|1|")) {
    const [, , saltB64, hashB64] = field.split("|");
    const salt = saltB64 ? decodeBase64Strict(saltB64) : null;
    const hash = hashB64 ? decodeBase64Strict(hashB64) : null;
    if (!salt || !hash || hash.length !== 20) return null;
    return { kind: "hashed", salt, hash };
  }
  if (field.startsWith("|")) return null;
  const patterns = field
    .split(",")
    .filter((p) => p !== "")
    .map((p) => (p.startsWith("!") ? { negated: true, pattern: p.slice(1) } : { negated: false, pattern: p }));
  return patterns.length > 0 ? { kind: "patterns", patterns } : null;
}

function decodeBase64Strict(text: string): Buffer | null {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return null;
  const buf = Buffer.from(text, "base64");
  return buf.length > 0 ? buf : null;
}

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** `|1|salt|hash` as `ssh-keygen -H` writes it; `salt` is 20 random bytes in OpenSSH. */
export function hashHostName(name: string, salt: Buffer): string {
  const hash = createHmac("sha1", salt).update(name).digest();
  return `|1|${salt.toString("base64")}|${hash.toString("base64")}`;
}

/** OpenSSH match_pattern: `*` any run, `?` one character; host names compare case-insensitively. */
export function globMatch(text: string, pattern: string): boolean {
  const t = text.toLowerCase();
  const p = pattern.toLowerCase();
  // Iterative wildcard match with backtracking to the last `*`: linear enough for host names.
  let ti = 0;
  let pi = 0;
  let star = -1;
  let mark = 0;
  while (ti < t.length) {
    if (pi < p.length && (p[pi] === "?" || p[pi] === t[ti])) {
      ti++;
      pi++;
    } else if (pi < p.length && p[pi] === "*") {
      star = pi++;
      mark = ti;
    } else if (star !== -1) {
      pi = star + 1;
      ti = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === "*") pi++;
  return pi === p.length;
}

export function hostPatternMatches(hosts: HostPattern, name: string): boolean {
  if (hosts.kind === "hashed") {
    const actual = createHmac("sha1", hosts.salt).update(name).digest();
    return timingSafeEqual(actual, hosts.hash);
  }
  // OpenSSH match_hostname: any negated match vetoes the line; otherwise one positive match wins.
  let positive = false;
  for (const { negated, pattern } of hosts.patterns) {
    if (globMatch(name, pattern)) {
      if (negated) return false;
      positive = true;
    }
  }
  return positive;
}

/** The key type encoded in an SSH public key blob (its first SSH string), or null. */
export function keyTypeFromBlob(blob: Buffer): string | null {
  if (blob.length < 4) return null;
  const len = blob.readUInt32BE(0);
  if (len === 0 || len > 64 || blob.length < 4 + len) return null;
  const type = blob.subarray(4, 4 + len).toString("latin1");
  return /^[a-z0-9@.-]+$/.test(type) ? type : null;
}

/** Exactly what `ssh-keygen -lf` and the OpenSSH client print: unpadded base64 of SHA-256. */
export function fingerprintSha256(keyBlob: Buffer): string {
  return `SHA256:${createHash("sha256").update(keyBlob).digest("base64").replace(/=+$/, "")}`;
}

/**
 * Decide about the key a server offered. A revoked key is refused even if also listed as good.
 * Stricter than OpenSSH in one respect: when the host has keys on file but none of the offered
 * type, that is "changed", not "unknown", so --accept-new-host-keys cannot be steered into
 * trusting a different key type. The SSH client prefers the types on file during negotiation,
 * so an unchanged server still offers the key we know.
 */
export function checkHostKeyDetailed(
  entries: readonly KnownHostEntry[],
  host: string,
  port: number,
  keyType: string,
  keyBlob: Buffer,
): HostKeyCheck {
  const name = knownHostsName(host, port);
  const forHost = entries.filter((e) => hostPatternMatches(e.hosts, name));
  if (forHost.some((e) => e.marker === "revoked" && e.key.equals(keyBlob))) return { status: "revoked", known: [] };
  const known = forHost
    .filter((e) => e.marker === null)
    .map((e) => ({ keyType: e.keyType, key: e.key, line: e.line }));
  if (known.some((k) => k.keyType === keyType && k.key.equals(keyBlob))) return { status: "match", known };
  if (known.length === 0) return { status: "unknown", known };
  return { status: "changed", known };
}

export function checkHostKey(
  entries: readonly KnownHostEntry[],
  host: string,
  port: number,
  keyType: string,
  keyBlob: Buffer,
): HostKeyStatus {
  return checkHostKeyDetailed(entries, host, port, keyType, keyBlob).status;
}

/** The key types on file for a host, in file order, so negotiation can prefer them. */
export function knownKeyTypes(entries: readonly KnownHostEntry[], host: string, port: number): string[] {
  const name = knownHostsName(host, port);
  const types = entries
    .filter((e) => e.marker === null && hostPatternMatches(e.hosts, name))
    .map((e) => e.keyType);
  return [...new Set(types)];
}

/**
 * Parsed files, by absolute path, with the stat they were read at. Every connection checks its
 * host key against the file: without this, a fleet of N hosts sharing one known_hosts file of N
 * lines parsed it N times (N² line parses, and each connection's parse kept alive through its
 * handshake, which is what made the orchestrator's heap grow with the fleet). The file is still
 * stat'ed for every connection, so an edit during the run (a revoked key) is seen.
 */
const parsedFiles = new Map<string, { signature: string; entries: Promise<readonly KnownHostEntry[]> }>();

/** A missing file is an empty one: every key is then "unknown". The result is shared: read-only. */
export async function readKnownHosts(file: string): Promise<readonly KnownHostEntry[]> {
  const path = resolve(file);
  let signature: string;
  try {
    const st = await stat(path, { bigint: true });
    signature = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  const cached = parsedFiles.get(path);
  if (cached?.signature === signature) return cached.entries;
  const entries = readFile(path, "utf8").then(
    (text) => Object.freeze(parseKnownHosts(text)),
    (err: NodeJS.ErrnoException) => {
      parsedFiles.delete(path);
      if (err.code === "ENOENT") return Object.freeze([]) as readonly KnownHostEntry[];
      throw err;
    },
  );
  parsedFiles.set(path, { signature, entries });
  return entries;
}

/**
 * --accept-new-host-keys: add `keyLine` ("<type> <base64>") for this host. A key already on file
 * is left alone; a changed or revoked one is never replaced (the caller should not get here, but
 * the file is re-read because another connection may have written it meanwhile).
 */
export async function appendKnownHost(file: string, host: string, port: number, keyLine: string): Promise<void> {
  const [keyType, keyB64, ...rest] = keyLine.trim().split(/[ \t]+/);
  const key = keyB64 ? decodeBase64Strict(keyB64) : null;
  if (!keyType || !key || rest.length > 1 || keyTypeFromBlob(key) !== keyType) {
    throw new CertfleetError("host-key", `not a public key line: ${JSON.stringify(keyLine.slice(0, 80))}`, host);
  }
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  parsedFiles.delete(resolve(file));
  // O_APPEND|O_CREAT with 0600: never truncates, and a new file is private from the start.
  const fh = await open(file, "a+", 0o600);
  try {
    const existing = await fh.readFile("utf8");
    const status = checkHostKey(parseKnownHosts(existing), host, port, keyType, key);
    if (status === "match") return;
    if (status !== "unknown") {
      throw new CertfleetError(
        "host-key",
        `${file} already holds a different key for ${knownHostsName(host, port)} (${status}); not replacing it`,
        host,
      );
    }
    const sep = existing === "" || existing.endsWith("\n") ? "" : "\n";
    await fh.appendFile(`${sep}${knownHostsName(host, port)} ${keyType} ${key.toString("base64")}\n`);
    await fh.sync();
  } finally {
    await fh.close();
    parsedFiles.delete(resolve(file));
  }
}
