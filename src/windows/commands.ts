/**
 * Builders for every command certfleet sends (see docs/remote-commands.md). Each builder checks
 * each value against src/windows/grammar.ts first, so an unsafe value never reaches a shell, and
 * quotes for the host's default shell: under PowerShell every `name=value` token is wrapped in
 * single quotes, because a bare `{GUID}` is a script block there (netsh then says "The parameter
 * is incorrect."), while cmd.exe needs no quoting for the strict value set.
 */
import type { Binding } from "../model/binding.js";
import type { RemoteShell } from "../model/host-state.js";
import { CertfleetError } from "../model/errors.js";
import { WINRM_ENUMERATE, isSendableConsumerCommand, regQueryCommand } from "./consumer-commands.js";
import { isSafeValue, printable, requireValue, shown, type ValueKind } from "./grammar.js";
import { EXTENDED_DEFAULTS, SETTING_BY_NAME, SETTINGS } from "./netsh/fields.js";
import { discoverAnyShellCommand } from "./discover-any-shell.js";
import { isSendableCasBatch } from "./cas-batch-gate.js";

export const SHELL_PROBE = "echo CFSHELL=%COMSPEC%";

/** Every http.sys binding in one listing: the batched rebind reads all its results back with it. */
export const SHOW_ALL_BINDINGS = "netsh http show sslcert";

export function discoverCommand(shell: RemoteShell): string {
  const steps: Array<[string, string]> = [
    // The console code page, so that the rest (and every later command) decodes right.
    ["chcp", "chcp"],
    ["whoami", "whoami /groups"],
    ["certutil", "certutil -store My"],
    // IIS's second store: bindings with certstorename=WebHosting look their certificate up there.
    ["certutil-webhosting", "certutil -store WebHosting"],
    ["netsh", "netsh http show sslcert"],
    // The OS build (delivery picks the PFX format by it): `ver` is a cmd.exe built-in.
    ["ver", shell === "cmd" ? "ver" : "cmd /c ver"],
    // The certificate's other consumers: the WinRM listeners and the RDP and WMSvc values.
    ["winrm", WINRM_ENUMERATE],
    ["reg-rdp", regQueryCommand(shell, "rdp")],
    ["reg-wmsvc", regQueryCommand(shell, "wmsvc")],
  ];
  const marker = (name: string) => (shell === "cmd" ? `echo ==CF:${name}==` : `echo '==CF:${name}=='`);
  const parts = steps.flatMap(([name, cmd]) => [marker(name), cmd]).concat(marker("end"));
  return parts.join(shell === "cmd" ? " & " : "; ");
}

type BindingRef = Pick<Binding, "kind" | "endpoint">;

function token(shell: RemoteShell, name: string, value: string): string {
  const t = `${name}=${value}`;
  return shell === "powershell" ? `'${t}'` : t;
}

function keyToken(shell: RemoteShell, b: BindingRef, host?: string): string {
  requireValue(b.kind as ValueKind, b.endpoint, host);
  return token(shell, b.kind, b.endpoint);
}

export function showBindingCommand(shell: RemoteShell, b: BindingRef, host?: string): string {
  return `netsh http show sslcert ${keyToken(shell, b, host)}`;
}

export function deleteBindingCommand(shell: RemoteShell, b: BindingRef, host?: string): string {
  return `netsh http delete sslcert ${keyToken(shell, b, host)}`;
}

export function addBindingCommand(shell: RemoteShell, b: Binding, host?: string): string {
  return `netsh http add sslcert ${keyToken(shell, b, host)} ${paramTokens(shell, b, "add", host)}`;
}

/**
 * `update` changes the record in place, so fields that `add` cannot express (Enable Caching
 * Client Hello, extended properties) survive it: only unsafe values refuse an update.
 */
export function updateBindingCommand(shell: RemoteShell, b: Binding, host?: string): string {
  return `netsh http update sslcert ${keyToken(shell, b, host)} ${paramTokens(shell, b, "update", host)}`;
}

function paramTokens(shell: RemoteShell, b: Binding, verb: "add" | "update", host?: string): string {
  const { params, unsafe, unrepresentable } = addParamsFor(b);
  const problems = verb === "add" ? [...unsafe, ...unrepresentable] : unsafe;
  if (problems.length > 0) {
    throw new CertfleetError("precondition", `cannot ${verb === "add" ? "re-create" : "update"} binding ${b.endpoint}: ${problems.join("; ")}`, host);
  }
  return params.map(([name, value]) => token(shell, name, value)).join(" ");
}

/**
 * Column padding off, nothing else: a line break inside a value (a value read back over several
 * lines) must stay, or `"\ncalc"` would read as the safe `calc` and be written over the real one.
 */
const pad = (v: string): string => v.replace(/^[ \t]+|[ \t]+$/g, "");

const ON = /^(?:enabled?|set)$/i;
const OFF = /^(?:disabled?|not set)$/i;
const NULL = /^\(null\)$|^$/i;
const DEFAULT_LOOKING = /^(?:disabled?|not set|\(null\)|0|)$/i;

export interface AddParams {
  /** `[name, value]` in netsh usage order, values already checked against the grammar. */
  params: Array<[string, string]>;
  /** values that fail the strict grammar: nothing may be sent for this binding. */
  unsafe: string[];
  /** settings `add` cannot express: the binding may be updated in place, never deleted and re-added. */
  unrepresentable: string[];
  /** both of the above. */
  problems: string[];
}

/**
 * Turns a binding as read into the `add sslcert` parameters that re-create it: certhash, appid,
 * certstorename and every setting that differs from http.sys's default. Anything that `add`
 * cannot express (an unknown field with a non-default value, Enable Caching Client Hello set,
 * non-default extended properties) is a problem: the caller must not delete such a binding.
 */
export function addParamsFor(b: Binding): AddParams {
  const params: Array<[string, string]> = [];
  const unsafe: string[] = [];
  const problems: string[] = [];
  const push = (name: string, kind: ValueKind, value: string) => {
    if (isSafeValue(kind, value)) params.push([name, value]);
    else unsafe.push(`${name} value ${shown(value, 60)} is not a safe ${kind}`);
  };

  if (b.certHash === null) unsafe.push("no certificate hash");
  else push("certhash", "certhash", b.certHash);
  if (b.appId === null) unsafe.push("no application id");
  else push("appid", "appid", b.appId);
  if (b.storeName !== null) push("certstorename", "storeName", b.storeName);

  const s = b.settings;
  // Every setting of the catalogue `add` can set, in its usage order.
  for (const field of SETTINGS) {
    const raw = s[field.name];
    if (raw === undefined || !field.addable) continue;
    const v = pad(raw);
    if (field.shows === "int") {
      if (v !== "0") push(field.name, "uint", v);
    } else if (field.shows === "name") {
      // An empty name is not `(null)`: add would leave it out and the binding would read back as
      // `(null)`, a different record. Only update (which leaves it alone) can keep it.
      if (v === "") problems.push(`${field.name} is empty rather than (null), which netsh add cannot set`);
      else if (!NULL.test(v)) push(field.name, "ctlName", v);
    } else {
      const want = ON.test(v) ? "enable" : OFF.test(v) ? "disable" : null;
      if (want === null) unsafe.push(`${field.name} has unreadable value ${shown(raw, 60)}`);
      else if (want !== field.default) params.push([field.name, want]);
    }
  }

  for (const [key, value] of Object.entries(s)) {
    const field = SETTING_BY_NAME.get(key);
    if (field?.addable) continue;
    const v = pad(value);
    if (field) {
      if (!DEFAULT_LOOKING.test(v)) problems.push(`${field.display} is set and netsh add cannot set it`);
    } else if (key.startsWith("propertyid")) {
      const dflt = EXTENDED_DEFAULTS[key];
      if (v !== "" && dflt !== undefined && v !== dflt) {
        problems.push(`extended property ${printable(key, 60)} is ${printable(v, 60)}, not the default ${dflt}, and netsh add cannot set it`);
      } else if (v !== "" && dflt === undefined && !/^\d+$/.test(v)) {
        problems.push(`unknown extended property ${shown(key, 60)}=${shown(v, 60)}`);
      }
    } else if (!DEFAULT_LOOKING.test(v)) {
      problems.push(`field ${shown(key.replace(/^label:/, ""), 60)} is ${shown(v, 60)}, which netsh add cannot re-create`);
    }
  }
  return { params, unsafe, unrepresentable: problems, problems: [...unsafe, ...problems] };
}

/**
 * Whether two readings of a binding describe the same http.sys record: same key, hash, appid,
 * store (null and MY are the same store, compared case-insensitively) and settings values.
 */
export function sameBinding(a: Binding, b: Binding): boolean {
  const store = (s: string | null) => (s ?? "MY").toUpperCase();
  if (a.kind !== b.kind || a.endpoint.toLowerCase() !== b.endpoint.toLowerCase()) return false;
  if (a.certHash !== b.certHash || a.appId !== b.appId || store(a.storeName) !== store(b.storeName)) return false;
  return sameSettings(a.settings, b.settings);
}

export function sameSettings(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    if (pad(a[k] ?? "").toLowerCase() !== pad(b[k] ?? "").toLowerCase()) return false;
  }
  return true;
}

// One netsh token: a parameter name and a value from the strict grammar's character set.
const CMD_TOKEN = "[a-z][a-z0-9]*=[A-Za-z0-9_.:\\[\\]{}*-]+";
const SENDABLE_NETSH: Record<RemoteShell, RegExp> = {
  cmd: new RegExp(`^netsh http (?:show|delete|add|update) sslcert(?: ${CMD_TOKEN})+$`),
  powershell: new RegExp(`^netsh http (?:show|delete|add|update) sslcert(?: '${CMD_TOKEN}')+$`),
};

/**
 * The last gate before bytes leave for a host: only the shell probe, a discovery line (for either
 * shell, or the one for a host whose shell is unknown), a netsh sslcert command made of
 * grammar-checked tokens, a compare-and-set batch of such commands (cas-batch-gate.ts), or a
 * consumer command (winrm, reg, certutil, icacls: src/windows/consumer-commands.ts). The builders
 * already guarantee this; the gate makes it an invariant of the session rather than a property
 * of every caller.
 */
export function isSendable(shell: RemoteShell | undefined, command: string): boolean {
  if (command === SHELL_PROBE || command === discoverAnyShellCommand()) return true;
  if (shell === undefined) return false;
  return (
    command === SHOW_ALL_BINDINGS ||
    command === discoverCommand(shell) ||
    SENDABLE_NETSH[shell].test(command) ||
    isSendableCasBatch(shell, command) ||
    isSendableConsumerCommand(shell, command)
  );
}
