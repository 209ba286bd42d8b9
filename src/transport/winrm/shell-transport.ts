/**
 * The Transport over WinRM: one authenticated connection and ONE cmd shell per host for the
 * whole visit; each exec is a Command in that shell, read with Receive until CommandState Done.
 * Requests are strictly one at a time (the connection carries one NTLM context and the server
 * answers in order).
 */
import { CertfleetError } from "../../model/errors.js";
import type { ExecOptions, ExecResult, Transport } from "../transport.js";
import type { AuthenticatedChannel } from "./auth.js";
import { WinrmAuthError, WinrmHttpError } from "./auth.js";
import { ConnectionFailure, type HttpConnection } from "./connection.js";
import {
  commandEnvelope,
  deleteShellEnvelope,
  parseCommandResponse,
  parseCreateResponse,
  parseEmptyResponse,
  parseReceiveResponse,
  receiveEnvelope,
  sendEnvelope,
  signalEnvelope,
  WsmanFault,
  WsmanProtocolError,
  createShellEnvelope,
  type EnvelopeContext,
} from "./soap.js";

/**
 * The session dropped while a command ran, or before it: the command may or may not have taken
 * effect. Kind "unreachable"; the rollout reconnects and reads the real state.
 */
export class WinrmConnectionLostError extends CertfleetError {
  readonly connectionLost = true as const;
  constructor(host: string, detail?: string, options?: { cause?: unknown }) {
    super("unreachable", detail ? `connection lost: ${detail}` : "connection lost", host, undefined, options);
    this.name = "WinrmConnectionLostError";
  }
}

export interface WinrmTimings {
  /** what the server may hold a Receive before answering TimedOut (w:OperationTimeout) */
  operationTimeoutS: number;
  /** default per-command timeout */
  commandTimeoutMs: number;
}

/** Turns what went wrong on the wire into the host's CertfleetError. */
export function toCertfleetError(host: string, err: unknown, what: string): CertfleetError {
  if (err instanceof CertfleetError) return err;
  if (err instanceof ConnectionFailure) {
    if (err.reason === "lost") return new WinrmConnectionLostError(host, `${what}: ${err.message}`, { cause: err });
    if (err.reason === "timeout" && err.afterSend) return new WinrmConnectionLostError(host, `${what}: ${err.message}`, { cause: err });
    if (err.reason === "timeout") return new CertfleetError("timeout", err.message, host, undefined, { cause: err });
    if (err.reason === "tls") return new CertfleetError("host-key", err.message, host, undefined, { cause: err });
    return new CertfleetError("unreachable", err.message, host, undefined, { cause: err });
  }
  if (err instanceof WinrmAuthError) return new CertfleetError("auth", err.message, host, err.serverReason, { cause: err });
  if (err instanceof WsmanFault) {
    // Logged on but not allowed (not an administrator, or remote shells disabled by policy).
    const kind = /(^|:)AccessDenied$/.test(err.subcode ?? "") ? "auth" : "unreachable";
    return new CertfleetError(kind, `${what}: ${err.message}`, host, err.reason, { cause: err });
  }
  if (err instanceof WinrmHttpError || err instanceof WsmanProtocolError) {
    return new CertfleetError("unreachable", `${what}: ${err.message}`, host, undefined, { cause: err });
  }
  return new CertfleetError("unreachable", `${what}: ${(err as Error)?.message ?? String(err)}`, host, undefined, { cause: err });
}

/**
 * Shells whose connection dropped, per endpoint and user: Windows keeps such a shell (and counts
 * it against MaxShellsPerUser) until its idle timeout, so the next connection deletes it.
 */
const orphanedShells = new Map<string, Set<string>>();

/** Bytes of stdin per Send: 64 KiB, about 87 KB of base64, well inside the 150 KB envelope. */
const STDIN_CHUNK = 64 * 1024;

export class WinrmTransport implements Transport {
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    readonly host: string,
    private readonly conn: HttpConnection,
    private readonly channel: AuthenticatedChannel,
    private readonly ctx: EnvelopeContext,
    private readonly timings: WinrmTimings,
    readonly shellId: string,
    /** endpoint and user: whose orphaned shells the next connection deletes */
    private readonly owner: string,
  ) {}

  /** Creates the visit's shell on an authenticated channel; `owner` (endpoint and user) keys orphans. */
  static async open(
    host: string,
    conn: HttpConnection,
    channel: AuthenticatedChannel,
    to: string,
    timings: WinrmTimings,
    owner = `${to} ${host}`,
  ): Promise<WinrmTransport> {
    const ctx: EnvelopeContext = { to, operationTimeoutS: timings.operationTimeoutS };
    const orphans = orphanedShells.get(owner);
    for (const id of orphans ?? []) {
      // Best effort: the server may already have dropped it.
      await channel.send(deleteShellEnvelope(ctx, id).xml, requestTimeoutMs(timings)).then(parseEmptyResponse).catch(() => undefined);
      orphans?.delete(id);
    }
    const reply = await channel.send(createShellEnvelope(ctx).xml, requestTimeoutMs(timings));
    return new WinrmTransport(host, conn, channel, ctx, timings, parseCreateResponse(reply), owner);
  }

  /** Runs `op` after every earlier request on this connection finished. */
  private serial<T>(op: () => Promise<T>): Promise<T> {
    const run = this.queue.then(op, op);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async call(xml: string): Promise<string> {
    return this.channel.send(xml, requestTimeoutMs(this.timings));
  }

  exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const timeoutMs = options.timeoutMs ?? this.timings.commandTimeoutMs;
    if (this.closed) return Promise.reject(new WinrmConnectionLostError(this.host, "the WinRM session was closed"));
    return new Promise<ExecResult>((resolve, reject) => {
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        reject(
          new CertfleetError(
            "timeout",
            `command did not finish within ${timeoutMs} ms; it was signalled to terminate and the host may be in an unknown state`,
            this.host,
          ),
        );
      }, timeoutMs);
      this.serial(() => this.run(command, options.stdin, () => timedOut)).then(
        (result) => {
          clearTimeout(timer);
          if (!timedOut) resolve(result);
        },
        (err: unknown) => {
          clearTimeout(timer);
          if (!timedOut) reject(toCertfleetError(this.host, err, "running a command over WinRM"));
        },
      );
    });
  }

  /** Command, then Receive until Done (a TimedOut fault only means "no output yet"). */
  private async run(command: string, stdin: Buffer | undefined, abandoned: () => boolean): Promise<ExecResult> {
    if (this.conn.lost !== undefined) throw new WinrmConnectionLostError(this.host, this.conn.lost);
    const commandId = parseCommandResponse(await this.call(commandEnvelope(this.ctx, this.shellId, command, stdin !== undefined).xml));
    if (stdin !== undefined) {
      // In pieces well inside MaxEnvelopeSize (base64 grows them by a third); the last one (an
      // empty one for empty input) ends the stream.
      let at = 0;
      do {
        const piece = stdin.subarray(at, at + STDIN_CHUNK);
        at += piece.length;
        parseEmptyResponse(await this.call(sendEnvelope(this.ctx, this.shellId, commandId, piece, at >= stdin.length).xml));
      } while (at < stdin.length);
    }
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    for (;;) {
      if (abandoned()) {
        await this.terminate(commandId);
        return { stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr), code: null };
      }
      const reply = await this.call(receiveEnvelope(this.ctx, this.shellId, commandId).xml);
      let chunk;
      try {
        chunk = parseReceiveResponse(reply);
      } catch (err) {
        if (err instanceof WsmanFault && err.isOperationTimeout) continue;
        throw err;
      }
      stdout.push(chunk.stdout);
      stderr.push(chunk.stderr);
      if (chunk.done) {
        // Windows frees a finished command only when told to; a shell collects them otherwise.
        await this.terminate(commandId).catch(() => undefined);
        return { stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr), code: chunk.exitCode };
      }
    }
  }

  private async terminate(commandId: string): Promise<void> {
    parseEmptyResponse(await this.call(signalEnvelope(this.ctx, this.shellId, commandId).xml));
  }

  upload(_localPath: string, remotePath: string): Promise<void> {
    return Promise.reject(
      new CertfleetError("precondition", `uploading files is not supported over WinRM yet (wanted ${remotePath})`, this.host),
    );
  }

  /** Deletes the shell (it counts against MaxShellsPerUser until then) and closes the connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.conn.lost !== undefined) {
      const set = orphanedShells.get(this.owner) ?? new Set<string>();
      set.add(this.shellId);
      orphanedShells.set(this.owner, set);
    } else {
      const deleting = this.serial(async () => parseEmptyResponse(await this.call(deleteShellEnvelope(this.ctx, this.shellId).xml)));
      // A command still held by the server must not keep the run open.
      await Promise.race([deleting.catch(() => undefined), new Promise((r) => setTimeout(r, 5_000).unref())]);
    }
    this.conn.close();
  }
}

/** The longest a single request may take: the server holds a Receive up to OperationTimeout. */
export function requestTimeoutMs(t: WinrmTimings): number {
  return t.operationTimeoutS * 1000 + 10_000;
}
