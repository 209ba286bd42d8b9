import { isIPv4, isIPv6 } from "node:net";
import { z } from "zod";

/**
 * The inventory contract (DESIGN.md "Inventory contract"). Every object is strict: a misspelt
 * key is an error, not a silently ignored setting. Messages are written for the operator; the
 * loader prefixes them with the file and the path.
 */

export const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DNS_LABEL_RE = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const IPV6_ZONE_RE = /^[A-Za-z0-9_.-]+$/;

function show(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "string") return JSON.stringify(value);
  if (value === null) return "null (an empty value)";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return String(value);
}

export function isDnsHostname(text: string): boolean {
  if (text.length === 0 || text.length > 253) return false;
  const labels = (text.endsWith(".") ? text.slice(0, -1) : text).split(".");
  if (!labels.every((l) => DNS_LABEL_RE.test(l))) return false;
  // An all-numeric last label is a mistyped IPv4 address (10.0.0.256), not a host name.
  return !/^[0-9]+$/.test(labels[labels.length - 1] ?? "");
}

export function isIPv6Address(text: string): boolean {
  const [addr, zone, ...more] = text.split("%");
  if (more.length > 0 || !addr || !isIPv6(addr)) return false;
  return zone === undefined || IPV6_ZONE_RE.test(zone);
}

/** IPv4, IPv6 or a DNS host name: nothing else, so no space or shell metacharacter gets through. */
export function isAddress(text: string): boolean {
  return isIPv4(text) || isIPv6Address(text) || isDnsHostname(text);
}

/** `host:port` with host an IPv4 address, `[IPv6]` or a DNS name. */
export function isHostPort(text: string): boolean {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):([0-9]{1,5})$/.exec(text);
  if (!m) return false;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return false;
  if (m[1] !== undefined) return isIPv6Address(m[1]);
  const host = m[2] ?? "";
  return isIPv4(host) || isDnsHostname(host);
}

const Name = (what: string) =>
  z.string({ error: (iss) => `expected a ${what} name, got ${show(iss.input)}` }).regex(NAME_RE, {
    error: (iss) =>
      `invalid ${what} name ${show(iss.input)}: use letters, digits, "_", "." and "-", starting with a letter or digit, at most 63 characters`,
  });
export const HostName = Name("host");
export const GroupName = Name("group");

const Address = z
  .string({ error: (iss) => `expected an IPv4 address, IPv6 address or DNS host name, got ${show(iss.input)}` })
  .refine(isAddress, {
    error: (iss) => `expected an IPv4 address, IPv6 address or DNS host name, got ${show(iss.input)}`,
  });

const Address6 = z
  .string({ error: (iss) => `expected an IPv6 address, got ${show(iss.input)}` })
  .refine(isIPv6Address, { error: (iss) => `expected an IPv6 address, got ${show(iss.input)}` });

const Port = z.custom<number>((v) => typeof v === "number" && Number.isInteger(v) && v >= 1 && v <= 65535, {
  error: (iss) => `expected a number from 1 to 65535, got ${show(iss.input)}`,
});

const TimeoutMs = z.custom<number>((v) => typeof v === "number" && Number.isInteger(v) && v > 0 && v <= 86_400_000, {
  error: (iss) => `expected a whole number of milliseconds from 1 to 86400000, got ${show(iss.input)}`,
});

const PathString = z
  .string({ error: (iss) => `expected a file path, got ${show(iss.input)}` })
  .min(1, { error: "expected a file path, got an empty string" })
  // No file system takes a NUL, and a control character in a path is a paste accident.
  // eslint-disable-next-line no-control-regex
  .regex(/^[^\u0000-\u001f\u007f-\u009f]+$/, { error: (iss) => `expected a file path without control characters, got ${show(iss.input)}` });

const NonEmpty = (what: string) =>
  z
    .string({ error: (iss) => `expected ${what}, got ${show(iss.input)}` })
    .min(1, { error: `expected ${what}, got an empty string` })
    // eslint-disable-next-line no-control-regex
    .regex(/^[^\s\u0000-\u001f\u007f-\u009f]+$/, { error: (iss) => `expected ${what} without spaces or control characters, got ${show(iss.input)}` });

export const TransportKind = z.enum(["ssh", "winrm"], {
  error: (iss) => `expected one of ssh, winrm, got ${show(iss.input)}`,
});
export type TransportKind = z.infer<typeof TransportKind>;

/** A certificate thumbprint pin: 40 hex digits, spaces or colons allowed (as Windows shows it). */
const Thumbprint = z
  .string({ error: (iss) => `expected a SHA-1 thumbprint (40 hex digits), got ${show(iss.input)}` })
  .transform((v) => v.replace(/[\s:\u200e]/g, "").toLowerCase())
  .refine((v) => /^[0-9a-f]{40}$/.test(v), { error: (iss) => `expected a SHA-1 thumbprint (40 hex digits), got ${show(iss.input)}` });

export const Shell = z.enum(["cmd", "powershell", "auto"], {
  error: (iss) => `expected one of cmd, powershell, auto, got ${show(iss.input)}`,
});
export type Shell = z.infer<typeof Shell>;

/** Present only to turn `password:` into a message that says what to do instead. */
const NoPassword = z
  .unknown()
  .refine((v) => v === undefined, {
    error:
      "a password must never be stored in the inventory; put it in an environment variable and name that variable with passwordEnv",
  })
  .optional();

const connectionKeys = {
  user: NonEmpty("a user name"),
  port: Port,
  identityFile: PathString,
  passwordEnv: z
    .string({ error: (iss) => `expected the name of an environment variable, got ${show(iss.input)}` })
    .regex(ENV_NAME_RE, {
      error: (iss) =>
        `expected the NAME of an environment variable (letters, digits, "_"), got ${show(iss.input)}; never the password itself`,
    }),
  knownHostsFile: PathString,
  shell: Shell,
  connectTimeoutMs: TimeoutMs,
  commandTimeoutMs: TimeoutMs,
  /** how to reach the host: OpenSSH (default) or WinRM (WS-Management). */
  transport: TransportKind,
  /** WinRM only: HTTPS (default port 5986) instead of HTTP with message encryption (5985). */
  https: z.boolean({ error: (iss) => `expected true or false, got ${show(iss.input)}` }),
  /** WinRM only: the NTLM domain of user (else the user's own `DOMAIN\\user` form, else none). */
  domain: NonEmpty("a domain name"),
  /** WinRM over HTTPS only: trust the listener certificate through this CA file (PEM). */
  caFile: PathString,
  /** WinRM over HTTPS only: accept exactly the listener certificate with this thumbprint. */
  certThumbprint: Thumbprint,
};

const optionalConnectionKeys = {
  user: connectionKeys.user.optional(),
  port: connectionKeys.port.optional(),
  identityFile: connectionKeys.identityFile.optional(),
  passwordEnv: connectionKeys.passwordEnv.optional(),
  knownHostsFile: connectionKeys.knownHostsFile.optional(),
  shell: connectionKeys.shell.optional(),
  connectTimeoutMs: connectionKeys.connectTimeoutMs.optional(),
  commandTimeoutMs: connectionKeys.commandTimeoutMs.optional(),
  transport: connectionKeys.transport.optional(),
  https: connectionKeys.https.optional(),
  domain: connectionKeys.domain.optional(),
  caFile: connectionKeys.caFile.optional(),
  certThumbprint: connectionKeys.certThumbprint.optional(),
  password: NoPassword,
};

export const Defaults = z.strictObject(optionalConnectionKeys);
export type Defaults = z.infer<typeof Defaults>;

export const TlsOverride = z.strictObject({
  /** connect here instead of `address` for TLS checks of wildcard bindings. */
  address: Address.optional(),
  /** binding endpoint (`0.0.0.0:443`, `www.example.com:443`) -> `host:port` to connect to. */
  endpoints: z
    .record(
      z.string().refine(isHostPort, {
        error: (iss) => `expected a binding endpoint like "0.0.0.0:443" or "www.example.com:443", got ${show(iss.input)}`,
      }),
      z.string({ error: (iss) => `expected "host:port", got ${show(iss.input)}` }).refine(isHostPort, {
        error: (iss) => `expected "host:port" to connect to, got ${show(iss.input)}`,
      }),
    )
    .optional(),
});
export type TlsOverride = z.infer<typeof TlsOverride>;

export const HostEntry = z.strictObject({
  address: Address,
  address6: Address6.optional(),
  groups: z.array(GroupName, { error: (iss) => `expected a list of group names, got ${show(iss.input)}` }).optional(),
  tls: TlsOverride.optional(),
  ...optionalConnectionKeys,
});
export type HostEntry = z.infer<typeof HostEntry>;

export const InventoryFile = z.strictObject({
  defaults: Defaults.optional(),
  hosts: z.record(HostName, HostEntry, {
    error: (iss) => `expected a mapping of host names to hosts, got ${show(iss.input)}`,
  }),
  groups: z
    .record(GroupName, z.array(HostName, { error: (iss) => `expected a list of host names, got ${show(iss.input)}` }), {
      error: (iss) => `expected a mapping of group names to lists of host names, got ${show(iss.input)}`,
    })
    .optional(),
});
export type InventoryFile = z.infer<typeof InventoryFile>;

/** One host with the defaults merged in: what the transport and the report use. */
export const ResolvedHost = z.object({
  name: HostName,
  address: Address,
  address6: Address6.optional(),
  port: Port,
  user: connectionKeys.user,
  identityFile: PathString.optional(),
  passwordEnv: connectionKeys.passwordEnv.optional(),
  knownHostsFile: PathString,
  shell: Shell,
  connectTimeoutMs: TimeoutMs.optional(),
  commandTimeoutMs: TimeoutMs.optional(),
  /** set by the inventory loader; absent (hosts built in code) means ssh. */
  transport: TransportKind.optional(),
  https: z.boolean().optional(),
  domain: connectionKeys.domain.optional(),
  caFile: PathString.optional(),
  certThumbprint: z.string().regex(/^[0-9a-f]{40}$/).optional(),
  /** the host's own `groups` and every top-level group listing it, in first-seen order. */
  groups: z.array(GroupName),
  tls: TlsOverride.optional(),
});
export type ResolvedHost = z.infer<typeof ResolvedHost>;

export interface Inventory {
  /** the file it was read from, for messages. */
  file: string;
  /** in file order. */
  hosts: ResolvedHost[];
  /** every group (top-level or named by a host) -> member host names, in inventory order. */
  groups: Record<string, string[]>;
}
