/**
 * One HTTP/1.1 keep-alive connection to a WinRM listener, for the whole visit: NTLM
 * authenticates a connection, not a request, so every request must travel on the socket the
 * handshake used. The agent holds exactly one socket; if that socket closes, the connection is
 * lost for good (the server forgot the security context and the caller must reconnect).
 *
 * HTTPS: the listener certificate is checked against a CA file, a pinned SHA-1 thumbprint, or
 * the system's CAs, before a single byte of HTTP is written.
 */
import { createHash, X509Certificate } from "node:crypto";
import { Agent, request, type ClientRequest, type ClientRequestArgs } from "node:http";
import type { Duplex } from "node:stream";
import { connect as netConnect, isIP, type Socket } from "node:net";
import { connect as tlsConnect, type TLSSocket } from "node:tls";

export interface HttpEndpoint {
  address: string;
  port: number;
  https: boolean;
  /** PEM CA bundle to trust instead of the system's */
  ca?: Buffer;
  /** 40 lowercase hex: accept exactly this listener certificate (self-signed included) */
  certThumbprint?: string;
  connectTimeoutMs: number;
}

export interface HttpReply {
  status: number;
  statusMessage: string;
  /** every header as the list of its values (WWW-Authenticate comes several times) */
  headers: Record<string, string[]>;
  body: Buffer;
}

/** Why the connection failed, for the caller to turn into a CertfleetError kind. */
export class ConnectionFailure extends Error {
  constructor(
    readonly reason: "refused" | "timeout" | "tls" | "lost",
    message: string,
    /** true once the request may have reached the server */
    readonly afterSend: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "ConnectionFailure";
  }
}

export function endpointUrl(e: Pick<HttpEndpoint, "address" | "port" | "https">): string {
  const host = isIP(e.address) === 6 ? `[${e.address}]` : e.address;
  return `${e.https ? "https" : "http"}://${host}:${e.port}/wsman`;
}

export function thumbprintOf(der: Buffer): string {
  return createHash("sha1").update(der).digest("hex");
}

type OnCreate = (err: Error | null, stream: Duplex) => void;

/** An http.Agent whose sockets are opened (and, for TLS, verified) by us. */
class VerifyingAgent extends Agent {
  /** DER of the TLS listener's certificate, once connected (NTLM channel binding needs it) */
  peerCertificate: Buffer | undefined;

  constructor(private readonly endpoint: HttpEndpoint) {
    super({ keepAlive: true, maxSockets: 1, maxFreeSockets: 1, keepAliveMsecs: 15_000 });
  }

  override createConnection(_options: ClientRequestArgs, oncreate?: OnCreate): undefined {
    if (!oncreate) throw new Error("VerifyingAgent needs the asynchronous createConnection form");
    const e = this.endpoint;
    let done = false;
    const finish = (err: Error | null, socket?: Socket): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) socket?.destroy();
      // On error Node ignores the stream argument.
      oncreate(err, (err ? undefined : socket) as unknown as Duplex);
    };
    const timer = setTimeout(() => {
      finish(new ConnectionFailure("timeout", `no connection to ${e.address} port ${e.port} within ${e.connectTimeoutMs} ms`, false), sock);
    }, e.connectTimeoutMs);
    let sock: Socket;
    if (!e.https) {
      sock = netConnect({ host: e.address, port: e.port });
      sock.once("connect", () => finish(null, sock));
    } else {
      const pinned = e.certThumbprint !== undefined;
      const tls: TLSSocket = tlsConnect({
        host: e.address,
        port: e.port,
        ...(isIP(e.address) === 0 ? { servername: e.address } : {}),
        ...(e.ca !== undefined ? { ca: e.ca } : {}),
        // A pinned certificate is checked below, byte for byte; the chain does not matter then.
        rejectUnauthorized: !pinned,
      });
      sock = tls;
      tls.once("secureConnect", () => {
        if (pinned) {
          const der = tls.getPeerCertificate(false)?.raw;
          const got = der ? thumbprintOf(der) : "none";
          if (got !== e.certThumbprint) {
            finish(
              new ConnectionFailure(
                "tls",
                `the WinRM listener's certificate ${got} is not the pinned certThumbprint ${e.certThumbprint} of the inventory; refusing to send credentials`,
                false,
              ),
              tls,
            );
            return;
          }
        }
        this.peerCertificate = tls.getPeerCertificate(false)?.raw;
        finish(null, tls);
      });
    }
    sock.setNoDelay(true);
    sock.once("error", (err: NodeJS.ErrnoException) => {
      const code = err.code ?? "";
      const tlsProblem = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO|HOSTNAME|ERR_TLS/.test(code) || /certificate/i.test(err.message);
      finish(
        tlsProblem
          ? new ConnectionFailure("tls", `TLS with ${e.address} port ${e.port} failed: ${err.message}`, false, { cause: err })
          : new ConnectionFailure("refused", `cannot connect to ${e.address} port ${e.port}: ${code || err.message}`, false, { cause: err }),
        sock,
      );
    });
    return undefined;
  }
}

export class HttpConnection {
  private readonly agent: VerifyingAgent;
  /** the socket an NTLM session lives on, once `bindSession` was called and a request used it */
  private socket: Socket | undefined;
  private sessionBound = false;
  private lostReason: string | undefined;
  private readonly url: URL;

  constructor(readonly endpoint: HttpEndpoint) {
    this.agent = new VerifyingAgent(endpoint);
    this.url = new URL(endpointUrl(endpoint));
  }

  /** The HTTPS listener's certificate (DER) after the first request; undefined over HTTP. */
  get peerCertificate(): Buffer | undefined {
    return this.agent.peerCertificate;
  }

  /**
   * From the next request on, the socket it uses carries a security context (NTLM): if that
   * socket closes or is replaced, the connection is lost for good. Before this, the server may
   * close the socket between requests (after an anonymous 401, say) and a new one is opened.
   */
  bindSession(): void {
    this.sessionBound = true;
    this.socket = undefined;
  }

  /** Gives up the connection (a broken security context): every later request fails. */
  abandon(reason: string): void {
    this.markLost(reason);
    this.agent.destroy();
  }

  /** Set once the authenticated socket closed; every later request fails with it. */
  get lost(): string | undefined {
    return this.lostReason;
  }

  /**
   * One POST to /wsman. Rejects with ConnectionFailure when the socket cannot be opened, closes
   * before the reply, or (after the first request) is not the socket the session started on.
   */
  post(body: Buffer, headers: Record<string, string>, timeoutMs: number): Promise<HttpReply> {
    if (this.lostReason !== undefined) {
      return Promise.reject(new ConnectionFailure("lost", this.lostReason, false));
    }
    return new Promise<HttpReply>((resolve, reject) => {
      let settled = false;
      let sent = false;
      const fail = (err: ConnectionFailure): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(err);
      };
      const req: ClientRequest = request({
        agent: this.agent,
        host: this.url.hostname.replace(/^\[|\]$/g, ""),
        port: this.endpoint.port,
        path: "/wsman",
        method: "POST",
        headers: { ...headers, "Content-Length": String(body.length), Host: this.url.host, "User-Agent": "certfleet WinRM client" },
      });
      const timer = setTimeout(() => {
        this.markLost(`no reply within ${timeoutMs} ms`);
        fail(new ConnectionFailure("timeout", `the server did not answer within ${timeoutMs} ms`, sent));
        req.destroy();
      }, timeoutMs);
      req.on("socket", (socket: Socket) => {
        if (!this.sessionBound) return;
        if (this.socket === undefined) {
          this.socket = socket;
          socket.once("close", () => this.markLost("the server closed the connection"));
        } else if (this.socket !== socket) {
          // The agent opened a second socket: the first one (and its NTLM context) is gone.
          this.markLost("the connection was replaced");
          fail(new ConnectionFailure("lost", "the connection closed between two requests", false));
          req.destroy();
        }
      });
      req.on("error", (err: NodeJS.ErrnoException) => {
        if (err instanceof ConnectionFailure) {
          fail(err);
          return;
        }
        this.markLost(err.message);
        fail(new ConnectionFailure("lost", err.code ? `${err.code}: ${err.message}` : err.message, sent, { cause: err }));
      });
      req.on("response", (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", (err) => {
          this.markLost(err.message);
          fail(new ConnectionFailure("lost", err.message, true, { cause: err }));
        });
        res.on("aborted", () => {
          this.markLost("the reply was cut off");
          fail(new ConnectionFailure("lost", "the reply was cut off", true));
        });
        res.on("end", () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({
            status: res.statusCode ?? 0,
            statusMessage: res.statusMessage ?? "",
            headers: res.headersDistinct as Record<string, string[]>,
            body: Buffer.concat(chunks),
          });
        });
      });
      req.end(body, () => {
        sent = true;
      });
    });
  }

  private markLost(reason: string): void {
    this.lostReason ??= reason;
  }

  close(): void {
    this.markLost("closed");
    this.agent.destroy();
  }
}

/** X509 subject of a DER certificate, for messages (never secret). */
export function describeCertificate(der: Buffer): string {
  try {
    return new X509Certificate(der).subject.replace(/\n/g, ", ");
  } catch {
    return "an unreadable certificate";
  }
}
