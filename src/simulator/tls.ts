/**
 * Real TLS listeners on 127.0.0.1 standing in for http.sys endpoints: one per ipport/hostnameport
 * binding, created when the binding first appears and kept (same port) for the host's lifetime,
 * so a deleted-then-re-added binding is reachable at the same address. Which certificate a
 * handshake gets is decided by the host (resolve), at handshake time.
 */
import { createServer, type Server, type Socket } from "node:net";
import { TLSSocket, createSecureContext, type SecureContext } from "node:tls";
import { bindingKeyOf, type SimBinding, type SimBindingKind } from "./state.js";

export interface ServedCertificate {
  certPem: string;
  keyPem: string;
  thumbprint: string;
  /** set when this was a stale serve that used up one of the binding's stale handshakes */
  staleKey?: string;
}

export interface ListenerId {
  kind: SimBindingKind;
  endpoint: string;
}

export interface HandshakeResolver {
  /** the certificate this handshake gets, or null (handshake fails) */
  resolve(listener: ListenerId, sni: string | undefined): ServedCertificate | null;
  /** gives back a stale handshake used up by a choice that SNI then overrode */
  refund(staleKey: string): void;
}

interface Listener {
  id: ListenerId;
  server: Server;
  port: number;
  sockets: Set<Socket>;
}

export class TlsEndpoints {
  private readonly listeners = new Map<string, Listener>();
  private readonly contexts = new Map<string, SecureContext>();
  private readonly noCertificate = createSecureContext({});

  constructor(private readonly resolver: HandshakeResolver) {}

  private context(cert: ServedCertificate): SecureContext {
    let ctx = this.contexts.get(cert.thumbprint);
    if (!ctx) {
      ctx = createSecureContext({ cert: cert.certPem, key: cert.keyPem });
      this.contexts.set(cert.thumbprint, ctx);
    }
    return ctx;
  }

  private onConnection(id: ListenerId, socket: Socket, sockets: Set<Socket>): void {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    // Decide now for a client without SNI; SNICallback (run before the certificate is sent)
    // re-decides when the ClientHello names a host.
    const initial = this.resolver.resolve(id, undefined);
    const tlsSocket = new TLSSocket(socket, {
      isServer: true,
      secureContext: initial ? this.context(initial) : this.noCertificate,
      SNICallback: (servername, cb) => {
        if (initial?.staleKey) this.resolver.refund(initial.staleKey);
        const chosen = this.resolver.resolve(id, servername);
        if (chosen) cb(null, this.context(chosen));
        else cb(new Error(`no SSL binding for ${servername} on ${id.endpoint}`), undefined);
      },
    });
    tlsSocket.on("error", () => socket.destroy());
  }

  /** Opens a listener for every ipport/hostnameport binding that has none yet. */
  async sync(bindings: readonly SimBinding[]): Promise<void> {
    for (const b of bindings) {
      if (b.kind === "ccs") continue;
      const key = bindingKeyOf(b);
      if (this.listeners.has(key)) continue;
      const id: ListenerId = { kind: b.kind, endpoint: b.endpoint };
      const sockets = new Set<Socket>();
      const server = createServer((s) => this.onConnection(id, s, sockets));
      const listener: Listener = { id, server, port: 0, sockets };
      this.listeners.set(key, listener);
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
          server.off("error", reject);
          resolve();
        });
      });
      const addr = server.address();
      listener.port = typeof addr === "object" && addr ? addr.port : 0;
    }
  }

  /** binding endpoint (`0.0.0.0:443`, `www.example.com:443`) -> `127.0.0.1:PORT` */
  endpoints(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const l of this.listeners.values()) out[l.id.endpoint] = `127.0.0.1:${l.port}`;
    return out;
  }

  async close(): Promise<void> {
    await Promise.all(
      [...this.listeners.values()].map(
        (l) =>
          new Promise<void>((resolve) => {
            for (const s of l.sockets) s.destroy();
            l.server.close(() => resolve());
          }),
      ),
    );
    this.listeners.clear();
  }
}
