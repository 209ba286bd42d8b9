/**
 * A simulated RDP listener on a loopback port: it reads the client's X.224 Connection Request
 * (TPKT framed) with its RDP Negotiation Request, answers with a Connection Confirm selecting
 * PROTOCOL_SSL (or a Negotiation Failure when the client did not offer it), then runs a TLS
 * handshake on the same socket with the certificate the host decides at that moment: the one
 * the registry names, if NETWORK SERVICE can read its key; none (the handshake fails) if it
 * cannot; the host's self-signed certificate if the registry names none.
 * Written from [MS-RDPBCGR] 2.2.1.1 and 2.2.1.2; it shares no code with src/verify.
 */
import { createServer, type Server, type Socket } from "node:net";
import { TLSSocket, createSecureContext, type SecureContext } from "node:tls";

export interface RdpCertificate {
  certPem: string;
  keyPem: string;
  thumbprint: string;
}

export interface RdpResolver {
  /** the certificate this handshake gets, or null: TermService cannot use the configured one */
  rdpCertificate(): RdpCertificate | null;
}

const SSL = 0x1;
const SSL_REQUIRED_BY_SERVER = 0x1;

function confirm(negType: number, value: number): Buffer {
  const neg = Buffer.alloc(8);
  neg.writeUInt8(negType, 0);
  neg.writeUInt8(0, 1);
  neg.writeUInt16LE(8, 2);
  neg.writeUInt32LE(value, 4);
  // TPKT(4) + X.224 CC (LI, 0xD0, dst-ref 0, src-ref 0x1234, class 0) + negotiation data
  const x224 = Buffer.from([6 + 8, 0xd0, 0x00, 0x00, 0x12, 0x34, 0x00]);
  const len = 4 + x224.length + neg.length;
  return Buffer.concat([Buffer.from([3, 0, len >> 8, len & 0xff]), x224, neg]);
}

/** requestedProtocols from an X.224 CR, or null when the frame is not one (or has no RDP_NEG_REQ). */
function requestedProtocols(frame: Buffer): number | null {
  if (frame.length < 11 || frame[0] !== 3 || frame[5] !== 0xe0) return null;
  // The negotiation request is the last 8 bytes (after any cookie / routing token line).
  if (frame.length < 19) return 0;
  const neg = frame.subarray(frame.length - 8);
  return neg[0] === 0x01 ? neg.readUInt32LE(4) : 0;
}

export class RdpListener {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private readonly contexts = new Map<string, SecureContext>();
  private readonly noCertificate = createSecureContext({});
  port = 0;

  constructor(private readonly resolver: RdpResolver) {}

  private context(c: RdpCertificate): SecureContext {
    let ctx = this.contexts.get(c.thumbprint);
    if (!ctx) {
      ctx = createSecureContext({ cert: c.certPem, key: c.keyPem });
      this.contexts.set(c.thumbprint, ctx);
    }
    return ctx;
  }

  private onConnection(socket: Socket): void {
    this.sockets.add(socket);
    socket.on("close", () => this.sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    let buf = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length < 4) return;
      const len = buf.readUInt16BE(2);
      if (buf.length < len) return;
      socket.off("data", onData);
      const requested = requestedProtocols(buf.subarray(0, len));
      if (requested === null) {
        socket.destroy();
        return;
      }
      if ((requested & SSL) === 0) {
        socket.end(confirm(0x03, SSL_REQUIRED_BY_SERVER));
        return;
      }
      socket.write(confirm(0x02, SSL));
      const chosen = this.resolver.rdpCertificate();
      const tls = new TLSSocket(socket, { isServer: true, secureContext: chosen ? this.context(chosen) : this.noCertificate });
      tls.on("error", () => socket.destroy());
    };
    socket.on("data", onData);
  }

  async listen(): Promise<void> {
    if (this.server) return;
    const server = createServer((s) => this.onConnection(s));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
    const addr = server.address();
    this.port = typeof addr === "object" && addr ? addr.port : 0;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
