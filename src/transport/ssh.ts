import { readFile } from "node:fs/promises";
import { NodeSSH, type Config as NodeSshConfig } from "node-ssh";
import ssh2 from "ssh2";
import type { ClientChannel, Client as Ssh2Client } from "ssh2";
import type { ResolvedHost } from "../inventory/schema.js";
import { CertfleetError } from "../model/errors.js";
import {
  appendKnownHost,
  checkHostKeyDetailed,
  fingerprintSha256,
  knownHostsName,
  knownKeyTypes,
  keyTypeFromBlob,
  readKnownHosts,
  type HostKeyCheck,
  type KnownHostEntry,
} from "./known-hosts.js";
import type { ExecOptions, ExecResult, Transport } from "./transport.js";

export interface ConnectSshOptions {
  /** --accept-new-host-keys: append a key the known_hosts file does not have; never replace one. */
  acceptNewHostKeys?: boolean;
  /** run-wide defaults; a value set on the host in the inventory wins. */
  connectTimeoutMs?: number;
  commandTimeoutMs?: number;
  /** where SSH_AUTH_SOCK and the passwordEnv variable are read; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 20_000;
export const DEFAULT_COMMAND_TIMEOUT_MS = 120_000;

/**
 * The session dropped while a command ran, or before it: the command may or may not have taken
 * effect. Kind "unreachable"; the rollout reconnects and reads the real state.
 */
export class ConnectionLostError extends CertfleetError {
  readonly connectionLost = true as const;
  constructor(host: string, detail?: string, options?: { cause?: unknown }) {
    super("unreachable", detail ? `connection lost: ${detail}` : "connection lost", host, undefined, options);
    this.name = "ConnectionLostError";
  }
}

export { isConnectionLost } from "./transport.js";

/** A refused host key, with the fingerprints an operator compares out of band. */
export class HostKeyError extends CertfleetError {
  constructor(
    host: string,
    message: string,
    readonly status: "unknown" | "changed" | "revoked",
    readonly offered: string,
    readonly expected: readonly string[],
  ) {
    super("host-key", message, host);
    this.name = "HostKeyError";
  }
}

// ssh2's default host key algorithms, all of which Windows OpenSSH can offer (ssh-dss left out).
const HOST_KEY_ALGORITHMS = [
  "ssh-ed25519",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "rsa-sha2-512",
  "rsa-sha2-256",
  "ssh-rsa",
] as const;
type HostKeyAlgorithm = (typeof HOST_KEY_ALGORITHMS)[number];

/** Like OpenSSH: ask for the key types already on file first, so an unchanged server matches. */
export function hostKeyAlgorithmOrder(knownTypes: readonly string[]): HostKeyAlgorithm[] {
  const preferred: HostKeyAlgorithm[] = [];
  for (const t of knownTypes) {
    // An ssh-rsa key is negotiated as one of three signature algorithms.
    const algs: HostKeyAlgorithm[] =
      t === "ssh-rsa"
        ? ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"]
        : HOST_KEY_ALGORITHMS.filter((a) => a === t);
    for (const a of algs) if (!preferred.includes(a)) preferred.push(a);
  }
  return [...preferred, ...HOST_KEY_ALGORITHMS.filter((a) => !preferred.includes(a))];
}

interface OfferedKey {
  keyType: string;
  key: Buffer;
  check: HostKeyCheck;
}

export function hostKeyMessage(host: ResolvedHost, offered: OfferedKey): HostKeyError {
  const where = `${host.name} (${knownHostsName(host.address, host.port)})`;
  const fp = fingerprintSha256(offered.key);
  const file = host.knownHostsFile;
  const expected = offered.check.known.map((k) => `${k.keyType} ${fingerprintSha256(k.key)} (${file} line ${k.line})`);
  switch (offered.check.status) {
    case "revoked":
      return new HostKeyError(
        host.name,
        `host key for ${where} is marked @revoked in ${file}: ${offered.keyType} ${fp}; refusing to connect`,
        "revoked",
        fp,
        [],
      );
    case "changed":
      return new HostKeyError(
        host.name,
        `HOST KEY CHANGED for ${where}: the server offered ${offered.keyType} ${fp}, but ${file} holds ${expected.join(", ")}. ` +
          `Someone may be intercepting the connection, or the server was reinstalled. Refusing to connect. ` +
          `--accept-new-host-keys never replaces a changed key: confirm the new fingerprint out of band, ` +
          `then remove the old entry (ssh-keygen -R "${knownHostsName(host.address, host.port)}" -f ${file}).`,
        "changed",
        fp,
        offered.check.known.map((k) => fingerprintSha256(k.key)),
      );
    default:
      return new HostKeyError(
        host.name,
        `unknown host key for ${where}: the server offered ${offered.keyType} ${fp}, which is not in ${file}. ` +
          `Refusing to connect. Confirm the fingerprint out of band, then rerun with --accept-new-host-keys to add it.`,
        "unknown",
        fp,
        [],
      );
  }
}

interface Credentials {
  privateKey?: string;
  agent?: string;
  password?: string;
}

async function credentials(host: ResolvedHost, env: NodeJS.ProcessEnv): Promise<Credentials> {
  const creds: Credentials = {};
  const agent = env.SSH_AUTH_SOCK && env.SSH_AUTH_SOCK !== "" ? env.SSH_AUTH_SOCK : undefined;
  if (host.identityFile !== undefined) {
    let text: string;
    try {
      text = await readFile(host.identityFile, "utf8");
    } catch (err) {
      throw new CertfleetError("auth", `cannot read identityFile ${host.identityFile}: ${(err as Error).message}`, host.name, undefined, {
        cause: err,
      });
    }
    const parsed = ssh2.utils.parseKey(text);
    if (parsed instanceof Error) {
      // A passphrase-protected key is usable only through the agent, which holds it unlocked.
      if (agent === undefined) {
        throw new CertfleetError(
          "auth",
          `cannot use identityFile ${host.identityFile}: ${parsed.message} (certfleet does not ask for passphrases; load the key into ssh-agent instead)`,
          host.name,
        );
      }
      creds.agent = agent;
    } else {
      creds.privateKey = text;
    }
  } else if (agent !== undefined) {
    creds.agent = agent;
  }
  if (host.passwordEnv !== undefined) {
    const password = env[host.passwordEnv];
    if (password === undefined || password === "") {
      throw new CertfleetError(
        "auth",
        `environment variable ${host.passwordEnv} (named by passwordEnv) is not set`,
        host.name,
      );
    }
    creds.password = password;
  }
  if (creds.privateKey === undefined && creds.agent === undefined && creds.password === undefined) {
    throw new CertfleetError(
      "auth",
      "no credentials: set identityFile or passwordEnv in the inventory, or run an ssh-agent (SSH_AUTH_SOCK)",
      host.name,
    );
  }
  return creds;
}

const UNREACHABLE_CODES = new Set(["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN", "ECONNRESET", "EPIPE", "ECONNABORTED"]);
/** No connection was made at all (see isRefused): another try would fail the same way. */
const REFUSED_CODES = new Set(["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN"]);

function mapConnectError(host: ResolvedHost, err: unknown, timeoutMs: number): CertfleetError {
  if (err instanceof CertfleetError) return err;
  const e = err as Error & { level?: string; code?: string };
  const target = `${host.address} port ${host.port}`;
  const msg = e?.message ?? String(err);
  if (e?.level === "client-authentication") {
    return new CertfleetError("auth", `authentication failed for ${host.user}@${target}: every configured method was rejected`, host.name, undefined, {
      cause: err,
    });
  }
  if (e?.level === "client-timeout" || e?.code === "ETIMEDOUT" && e?.level === "client-socket") {
    return new CertfleetError("timeout", `no SSH session with ${target} within ${timeoutMs} ms`, host.name, undefined, { cause: err });
  }
  if (e?.level === "agent") {
    return new CertfleetError("auth", `ssh-agent failed: ${msg}`, host.name, undefined, { cause: err });
  }
  if (/Cannot parse privateKey|privateKey value/.test(msg)) {
    return new CertfleetError("auth", `cannot use identityFile ${host.identityFile ?? ""}: ${msg}`, host.name, undefined, { cause: err });
  }
  if (e?.code !== undefined && UNREACHABLE_CODES.has(e.code)) {
    const error = new CertfleetError("unreachable", `cannot connect to ${target}: ${e.code}`, host.name, undefined, { cause: err });
    return REFUSED_CODES.has(e.code) ? Object.assign(error, { refused: true as const }) : error;
  }
  // node-ssh reports a socket closed before the session was ready as "No response from server".
  return new CertfleetError("unreachable", `SSH handshake with ${target} failed: ${msg}`, host.name, undefined, { cause: err });
}

/**
 * Open the one SSH session certfleet uses for a host during a run. Refuses unknown, changed and
 * revoked host keys (kind "host-key"); auth failures are kind "auth"; no TCP/handshake is
 * "unreachable"; too slow is "timeout".
 */
export async function connectSsh(host: ResolvedHost, options: ConnectSshOptions = {}): Promise<Transport> {
  const env = options.env ?? process.env;
  const connectTimeoutMs = host.connectTimeoutMs ?? options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const commandTimeoutMs = host.commandTimeoutMs ?? options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;

  let entries: readonly KnownHostEntry[];
  try {
    entries = await readKnownHosts(host.knownHostsFile);
  } catch (err) {
    throw new CertfleetError("host-key", `cannot read known_hosts file ${host.knownHostsFile}: ${(err as Error).message}`, host.name, undefined, {
      cause: err,
    });
  }
  const creds = await credentials(host, env);

  let offered: OfferedKey | undefined;
  let refused = false;
  const hostVerifier = (key: Buffer): boolean => {
    const keyType = keyTypeFromBlob(key) ?? "unknown-key-type";
    const check = checkHostKeyDetailed(entries, host.address, host.port, keyType, key);
    offered = { keyType, key: Buffer.from(key), check };
    const ok = check.status === "match" || (check.status === "unknown" && options.acceptNewHostKeys === true);
    refused = !ok;
    return ok;
  };

  const config: NodeSshConfig = {
    host: host.address,
    port: host.port,
    username: host.user,
    readyTimeout: connectTimeoutMs,
    // Detects a silently dead peer between commands; a drop during a command also ends it.
    keepaliveInterval: 15_000,
    keepaliveCountMax: 3,
    hostVerifier,
    algorithms: { serverHostKey: hostKeyAlgorithmOrder(knownKeyTypes(entries, host.address, host.port)) },
    ...(creds.privateKey !== undefined ? { privateKey: creds.privateKey } : {}),
    ...(creds.agent !== undefined ? { agent: creds.agent } : {}),
    ...(creds.password !== undefined ? { password: creds.password, tryKeyboard: true } : {}),
  };

  const ssh = new NodeSSH();
  let handshakeDone = false;
  let conn: Ssh2Client | null = null;
  try {
    const connecting = ssh.connect(config);
    // node-ssh creates the ssh2 client synchronously; listen before any event can fire, so an error
    // after "ready" (which node-ssh no longer listens for) cannot crash the process.
    conn = ssh.connection;
    conn?.on("error", () => {});
    conn?.on("handshake", () => {
      handshakeDone = true;
    });
    await connecting;
  } catch (err) {
    conn?.destroy();
    if (refused && offered) throw hostKeyMessage(host, offered);
    const mapped = mapConnectError(host, err, connectTimeoutMs);
    // Authentication fails only after a verified key exchange, so the key can still be recorded.
    if (mapped.kind === "auth" && handshakeDone) await acceptNew(host, offered, options).catch(() => undefined);
    throw mapped;
  }
  if (!conn) throw new CertfleetError("unreachable", "SSH client did not start", host.name);
  // Small request/response exchanges: Nagle's algorithm would add a delayed-ACK wait to each one.
  conn.setNoDelay(true);
  try {
    await acceptNew(host, offered, options);
  } catch (err) {
    conn.destroy();
    throw err instanceof CertfleetError
      ? err
      : new CertfleetError("host-key", `cannot add the host key to ${host.knownHostsFile}: ${(err as Error).message}`, host.name, undefined, {
          cause: err,
        });
  }
  return new SshTransport(host.name, ssh, conn, commandTimeoutMs, offered ? fingerprintSha256(offered.key) : undefined);
}

async function acceptNew(host: ResolvedHost, offered: OfferedKey | undefined, options: ConnectSshOptions): Promise<void> {
  if (!options.acceptNewHostKeys || !offered || offered.check.status !== "unknown") return;
  await appendKnownHost(host.knownHostsFile, host.address, host.port, `${offered.keyType} ${offered.key.toString("base64")}`);
}

class SshTransport implements Transport {
  private closed = false;
  private closeDetail: string | undefined;
  /** in-flight operations to fail when the session drops. */
  private readonly pending = new Set<(err: Error) => void>();

  constructor(
    readonly host: string,
    private readonly ssh: NodeSSH,
    private readonly conn: Ssh2Client,
    private readonly commandTimeoutMs: number,
    readonly hostKey?: string,
  ) {
    conn.on("error", (err: Error) => {
      this.closeDetail ??= err.message;
    });
    conn.on("close", () => {
      this.closed = true;
      const lost = new ConnectionLostError(this.host, this.closeDetail);
      for (const fail of [...this.pending]) fail(lost);
    });
  }

  exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const timeoutMs = options.timeoutMs ?? this.commandTimeoutMs;
    return new Promise<ExecResult>((resolve, reject) => {
      if (this.closed) {
        reject(new ConnectionLostError(this.host, this.closeDetail));
        return;
      }
      let channel: ClientChannel | undefined;
      let settled = false;
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      let code: number | null = null;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.pending.delete(abort);
        fn();
      };
      const abort = (err: Error) => settle(() => reject(err));
      this.pending.add(abort);
      const timer = setTimeout(() => {
        settle(() =>
          reject(
            new CertfleetError(
              "timeout",
              `command did not finish within ${timeoutMs} ms; its channel was closed and the host may be in an unknown state`,
              this.host,
            ),
          ),
        );
        channel?.close();
      }, timeoutMs);

      const onChannel = (err: Error | undefined, ch: ClientChannel) => {
        if (err) {
          settle(() =>
            reject(
              this.closed
                ? new ConnectionLostError(this.host, this.closeDetail, { cause: err })
                : new CertfleetError("unreachable", `the server refused a command channel: ${err.message}`, this.host, undefined, {
                    cause: err,
                  }),
            ),
          );
          return;
        }
        if (settled) {
          ch.close();
          return;
        }
        channel = ch;
        ch.on("data", (chunk: Buffer) => stdout.push(chunk));
        ch.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
        ch.on("exit", (exitCode: number | null, signal?: string) => {
          if (typeof exitCode === "number") code = exitCode;
          // Like the OpenSSH client, report a command killed by a signal as 255.
          else if (signal) code = 255;
        });
        ch.on("close", () => {
          settle(() =>
            code === null
              ? reject(new ConnectionLostError(this.host, this.closeDetail ?? "the session ended before the command reported an exit status"))
              : resolve({ stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr), code }),
          );
        });
        // Then EOF, so a command that reads input does not wait for more (none given: at once).
        if (options.stdin !== undefined && options.stdin.length > 0) ch.end(options.stdin);
        else ch.end();
      };

      try {
        this.conn.exec(command, onChannel);
      } catch (err) {
        // ssh2 throws synchronously when the socket is already gone.
        settle(() => reject(new ConnectionLostError(this.host, (err as Error).message, { cause: err })));
      }
    });
  }

  async upload(localPath: string, remotePath: string): Promise<void> {
    await this.transfer(`upload of ${localPath} to ${remotePath}`, () => this.ssh.putFile(localPath, remotePath));
  }

  async uploadBytes(remotePath: string, bytes: Buffer): Promise<void> {
    // The message names the path only: the bytes may be a secret.
    await this.transfer(`upload of ${bytes.length} bytes to ${remotePath}`, async () => {
      const sftp = await this.ssh.requestSFTP();
      try {
        await new Promise<void>((resolve, reject) => sftp.writeFile(remotePath, bytes, (err) => (err ? reject(err) : resolve())));
      } finally {
        sftp.end();
      }
    });
  }

  private async transfer(what: string, run: () => Promise<void>): Promise<void> {
    if (this.closed) throw new ConnectionLostError(this.host, this.closeDetail);
    const timeoutMs = this.commandTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    let abort: ((err: Error) => void) | undefined;
    try {
      await Promise.race([
        run(),
        new Promise<never>((_, reject) => {
          abort = reject;
          this.pending.add(reject);
          timer = setTimeout(() => reject(new CertfleetError("timeout", `${what} did not finish within ${timeoutMs} ms`, this.host)), timeoutMs);
        }),
      ]);
    } catch (err) {
      if (err instanceof CertfleetError) throw err;
      if (this.closed) throw new ConnectionLostError(this.host, this.closeDetail, { cause: err });
      throw new CertfleetError("apply", `${what} failed: ${(err as Error).message}`, this.host, undefined, {
        cause: err,
      });
    } finally {
      clearTimeout(timer);
      if (abort) this.pending.delete(abort);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        // A peer that never answers our disconnect must not hold the run open.
        this.conn.destroy();
        resolve();
      }, 5_000);
      timer.unref();
      this.conn.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
      this.conn.end();
    });
  }
}
