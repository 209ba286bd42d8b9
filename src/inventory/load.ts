import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { extname } from "node:path";
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from "yaml";
import type { z } from "zod";
import { InputError } from "../model/errors.js";
import { InventoryFile, type Inventory, type ResolvedHost } from "./schema.js";

export interface ParseOptions {
  /** what `~` expands to; defaults to the current user's home directory. */
  home?: string;
}

/** Read an inventory file (`.json` as JSON, anything else as YAML). Every problem is an InputError. */
export async function loadInventory(file: string, options: ParseOptions = {}): Promise<Inventory> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "file not found (copy inventory/hosts.example.yaml to start one, or pass -i FILE; `certfleet demo` needs none)" : code === "EISDIR" ? "is a directory" : String((err as Error).message);
    throw new InputError(`${file}: cannot read the inventory: ${why}`, file);
  }
  return parseInventory(text, file, options);
}

/** Pure: inventory text -> resolved hosts. `file` names the source in messages and picks the syntax. */
export function parseInventory(text: string, file: string, options: ParseOptions = {}): Inventory {
  const data = extname(file).toLowerCase() === ".json" ? parseJsonText(text, file) : parseYamlText(text, file);
  const result = InventoryFile.safeParse(data, { reportInput: true });
  if (!result.success) throw zodToInputError(result.error, file);
  return resolve(result.data, file, options.home ?? homedir());
}

// ---------------------------------------------------------------------------------------------
// Syntax

function fail(file: string, path: (string | number)[], problem: string): never {
  const where = path.length > 0 ? `${formatPath(path)}: ` : "";
  throw new InputError(`${file}: ${where}${problem}`, file, path.length > 0 ? formatPath(path) : undefined);
}

/** `hosts.web02.port`; a key that would read ambiguously (`0.0.0.0:443`) is quoted: `endpoints["0.0.0.0:443"]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => {
      if (typeof p === "number") return `[${p}]`;
      const key = String(p);
      if (!/^[A-Za-z0-9_-]+$/.test(key)) return `[${JSON.stringify(key)}]`;
      return `${i === 0 ? "" : "."}${key}`;
    })
    .join("");
}

function parseYamlText(text: string, file: string): unknown {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true, lineCounter });
  // Duplicate keys get a path ("hosts.web01: duplicate host"), which the parser's own error lacks.
  const dup = findDuplicateKeys(doc.contents, lineCounter)[0];
  if (dup) throw duplicateError(file, dup);
  const first = doc.errors[0];
  if (first) {
    const pos = first.linePos?.[0];
    const where = pos ? `:${pos.line}:${pos.col}` : "";
    // The library appends " at line L, column C:" and a code excerpt; we print the position ourselves.
    const problem = first.message.split("\n")[0]?.replace(/ at line \d+, column \d+:?$/, "") ?? first.code;
    throw new InputError(`${file}${where}: malformed YAML: ${problem}`, file);
  }
  if (doc.contents === null) throw new InputError(`${file}: the inventory is empty`, file);
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // An alias bomb (billions of expanded nodes from a few lines) is refused by the parser.
    throw new InputError(`${file}: malformed YAML: ${(err as Error).message}`, file);
  }
}

function parseJsonText(text: string, file: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    const pos = /position (\d+)/.exec(message);
    const where = pos ? `:${lineCol(text, Number(pos[1]))}` : "";
    const problem = message.replace(/ \(line \d+ column \d+\)$/, "").replace(/ in JSON at position \d+.*$/, "");
    throw new InputError(`${file}${where}: malformed JSON: ${problem}`, file);
  }
  // JSON.parse keeps the last of two equal keys; a host listed twice must be an error, so read the
  // same text with the YAML parser (a JSON superset) only to find duplicates.
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { uniqueKeys: false, lineCounter });
  const dup = findDuplicateKeys(doc.contents, lineCounter)[0];
  if (dup) throw duplicateError(file, dup);
  return value;
}

function lineCol(text: string, offset: number): string {
  const before = text.slice(0, offset).split("\n");
  return `${before.length}:${(before[before.length - 1]?.length ?? 0) + 1}`;
}

interface Duplicate {
  path: (string | number)[];
  key: string;
  line: number;
  col: number;
}

function findDuplicateKeys(node: unknown, lc: LineCounter, path: (string | number)[] = []): Duplicate[] {
  const found: Duplicate[] = [];
  if (isMap(node)) {
    const seen = new Set<string>();
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      if (seen.has(key)) {
        const offset = (pair.key as YamlNode | null)?.range?.[0] ?? 0;
        const { line, col } = lc.linePos(offset);
        found.push({ path, key, line, col });
      }
      seen.add(key);
      found.push(...findDuplicateKeys(pair.value, lc, [...path, key]));
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => found.push(...findDuplicateKeys(item, lc, [...path, i])));
  }
  return found;
}

function duplicateError(file: string, dup: Duplicate): InputError {
  const parent = dup.path.join(".");
  const what = parent === "hosts" ? "host" : parent === "groups" ? "group" : "key";
  const path = formatPath([...dup.path, dup.key]);
  return new InputError(
    `${file}:${dup.line}:${dup.col}: ${path}: duplicate ${what} ${JSON.stringify(dup.key)} (each ${what} may appear only once)`,
    file,
    path,
  );
}

// ---------------------------------------------------------------------------------------------
// Schema errors

function describeIssue(issue: z.core.$ZodIssue, schemaKeys?: string[]): string {
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.length === 1
        ? `unknown key ${JSON.stringify(issue.keys[0])}${schemaKeys ? ` (allowed: ${schemaKeys.join(", ")})` : ""}`
        : `unknown keys ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}${schemaKeys ? ` (allowed: ${schemaKeys.join(", ")})` : ""}`;
    case "invalid_key":
      return issue.issues[0]?.message ?? issue.message;
    case "invalid_type":
      if (issue.input === undefined) return "required key is missing";
      return issue.message;
    default:
      return issue.message;
  }
}

function allowedKeysAt(path: readonly PropertyKey[]): string[] | undefined {
  const shapeKeys = (shape: Record<string, unknown>) => Object.keys(shape).filter((k) => k !== "password");
  const top = InventoryFile.shape;
  if (path.length === 0) return Object.keys(top);
  if (path.length === 1 && path[0] === "defaults") return shapeKeys(top.defaults.unwrap().shape);
  if (path.length === 2 && path[0] === "hosts") return shapeKeys(top.hosts.valueType.shape);
  if (path.length === 3 && path[0] === "hosts" && path[2] === "tls") return Object.keys(top.hosts.valueType.shape.tls.unwrap().shape);
  return undefined;
}

function zodToInputError(error: z.ZodError, file: string): InputError {
  const lines = error.issues.map((issue) => {
    const path = issue.code === "unrecognized_keys" && issue.keys.length === 1 ? [...issue.path, issue.keys[0] as string] : issue.path;
    const where = path.length > 0 ? `${formatPath(path)}: ` : "";
    const allowed = issue.code === "unrecognized_keys" ? allowedKeysAt(issue.path) : undefined;
    return { path, text: `${file}: ${where}${describeIssue(issue, allowed)}` };
  });
  const first = lines[0];
  return new InputError(lines.map((l) => l.text).join("\n"), file, first && first.path.length > 0 ? formatPath(first.path) : undefined);
}

// ---------------------------------------------------------------------------------------------
// Resolution

function expandHome(path: string, home: string): string {
  if (path === "~") return home;
  if (path.startsWith("~/") || path.startsWith("~\\")) return `${home}${path.slice(1)}`;
  return path;
}

/** The WinRM settings of one host; a CA file or pin on a plain-HTTP host is a mistake, said so. */
function winrmKeys(
  h: InventoryFile["hosts"][string],
  defaults: NonNullable<InventoryFile["defaults"]>,
  https: boolean | undefined,
  file: string,
  name: string,
  home: string,
): Pick<ResolvedHost, "https" | "domain" | "caFile" | "certThumbprint"> {
  const domain = h.domain ?? defaults.domain;
  const caFile = h.caFile ?? defaults.caFile;
  const certThumbprint = h.certThumbprint ?? defaults.certThumbprint;
  if (h.shell === "powershell") {
    fail(file, ["hosts", name, "shell"], "WinRM runs commands under cmd.exe (the WinRS cmd shell): shell must be cmd or auto for a WinRM host");
  }
  if (https !== true && (h.caFile !== undefined || h.certThumbprint !== undefined)) {
    fail(file, ["hosts", name, h.caFile !== undefined ? "caFile" : "certThumbprint"], "caFile and certThumbprint apply to WinRM over HTTPS only: set https: true");
  }
  return {
    https: https === true,
    ...(domain !== undefined ? { domain } : {}),
    ...(https === true && caFile !== undefined ? { caFile: expandHome(caFile, home) } : {}),
    ...(https === true && certThumbprint !== undefined ? { certThumbprint } : {}),
  };
}

function resolve(data: InventoryFile, file: string, home: string): Inventory {
  const defaults = data.defaults ?? {};
  const hostNames = Object.keys(data.hosts);
  if (hostNames.length === 0) fail(file, ["hosts"], "the inventory lists no hosts");

  const topGroups = data.groups ?? {};
  for (const [group, members] of Object.entries(topGroups)) {
    if (Object.hasOwn(data.hosts, group)) {
      fail(file, ["groups", group], `${JSON.stringify(group)} is both a group and a host name; -l could not tell them apart`);
    }
    members.forEach((member, i) => {
      if (!Object.hasOwn(data.hosts, member)) {
        fail(file, ["groups", group, i], `unknown host ${JSON.stringify(member)} in group ${JSON.stringify(group)}`);
      }
    });
  }

  const membership = new Map<string, string[]>();
  const addTo = (host: string, group: string) => {
    const list = membership.get(host) ?? [];
    if (!list.includes(group)) list.push(group);
    membership.set(host, list);
  };
  for (const name of hostNames) {
    const own = data.hosts[name]?.groups ?? [];
    own.forEach((group, i) => {
      if (Object.hasOwn(data.hosts, group)) {
        fail(file, ["hosts", name, "groups", i], `${JSON.stringify(group)} is a host name, not a group; -l could not tell them apart`);
      }
      addTo(name, group);
    });
  }
  for (const [group, members] of Object.entries(topGroups)) for (const m of members) addTo(m, group);

  const hosts: ResolvedHost[] = hostNames.map((name) => {
    const h = data.hosts[name]!;
    const user = h.user ?? defaults.user;
    if (user === undefined) fail(file, ["hosts", name, "user"], "no user given: set user on the host or in defaults");
    const identityFile = h.identityFile ?? defaults.identityFile;
    const passwordEnv = h.passwordEnv ?? defaults.passwordEnv;
    const connectTimeoutMs = h.connectTimeoutMs ?? defaults.connectTimeoutMs;
    const commandTimeoutMs = h.commandTimeoutMs ?? defaults.commandTimeoutMs;
    const transport = h.transport ?? defaults.transport ?? "ssh";
    const https = h.https ?? defaults.https;
    const winrm = transport === "winrm" ? winrmKeys(h, defaults, https, file, name, home) : {};
    // defaults.port belongs to the defaults' transport: in a mixed fleet `port: 22` must not
    // send a WinRM host to the SSH port.
    const defaultPort = transport === (defaults.transport ?? "ssh") ? defaults.port : undefined;
    const port = h.port ?? defaultPort ?? (transport === "winrm" ? (https === true ? 5986 : 5985) : 22);
    return {
      name,
      address: h.address,
      ...(h.address6 !== undefined ? { address6: h.address6 } : {}),
      port,
      user,
      ...(identityFile !== undefined ? { identityFile: expandHome(identityFile, home) } : {}),
      ...(passwordEnv !== undefined ? { passwordEnv } : {}),
      knownHostsFile: expandHome(h.knownHostsFile ?? defaults.knownHostsFile ?? "~/.ssh/known_hosts", home),
      // WinRS runs every command under cmd.exe; `shell` names the OpenSSH default shell.
      shell: transport === "winrm" ? "cmd" : (h.shell ?? defaults.shell ?? "auto"),
      ...(connectTimeoutMs !== undefined ? { connectTimeoutMs } : {}),
      ...(commandTimeoutMs !== undefined ? { commandTimeoutMs } : {}),
      groups: membership.get(name) ?? [],
      ...(h.tls !== undefined ? { tls: h.tls } : {}),
      // absent means ssh (ResolvedHost.transport), so SSH-only inventories resolve as before
      ...(transport === "winrm" ? { transport, ...winrm } : {}),
    };
  });

  const groups: Record<string, string[]> = {};
  // Own keys only: a group called "constructor" must not find Object.prototype's.
  for (const host of hosts) for (const g of host.groups) (Object.hasOwn(groups, g) ? groups[g]! : (groups[g] = [])).push(host.name);
  // A top-level group may be empty; it still exists for -l.
  for (const g of Object.keys(topGroups)) if (!Object.hasOwn(groups, g)) groups[g] = [];
  return { file, hosts, groups };
}
