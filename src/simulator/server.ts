/**
 * The SSH side of a simulated host: an ssh2 Server fed from our own loopback net.Server, so the
 * listener can be closed (connection refused) and reopened on the same port, and a single
 * connection can be cut mid-command. Accepts publickey and password auth for one user, runs exec
 * requests through the host, serves the sftp subsystem from the host's simulated disk, refuses
 * shells, ptys and other subsystems.
 */
import { createHash } from "node:crypto";
import { createServer, type Server as NetServer, type Socket } from "node:net";
import ssh2 from "ssh2";
import type { Connection, ParsedKey, Server as SshServer } from "ssh2";
import { serveSftp, type SftpHost } from "./sftp.js";

export type ExecReply =
  | { kind: "reply"; stdout: Buffer; stderr: Buffer; code: number }
  | { kind: "hang" }
  | { kind: "drop" };

export interface SshHandler {
  /** faults consulted per connection / auth attempt */
  refuseAuth(): boolean;
  /** true: cut this new TCP connection at once (a flaky network), before the SSH handshake. */
  dropConnection?(): boolean;
  exec(command: string): Promise<ExecReply>;
  /** the file system SFTP serves; null refuses the subsystem (no sftp configured) */
  sftp?(): SftpHost | null;
}

export interface SshServerOptions {
  user: string;
  password?: string;
  authorizedKey?: string;
  handler: SshHandler;
}

export interface HostKey {
  privateKey: string;
  /** `ssh-ed25519 AAAA...` */
  publicLine: string;
  /** `SHA256:...` as ssh-keygen -l prints it */
  fingerprint: string;
}

/**
 * An ed25519 key pair in OpenSSH format. ssh2's generator now and then emits a private key its
 * own parser rejects (about 1 in 300), so each key is parsed back before it is used.
 */
export function generateEd25519(comment: string): { private: string; public: string } {
  for (let attempt = 0; ; attempt++) {
    const pair = ssh2.utils.generateKeyPairSync("ed25519", { comment });
    if (!(ssh2.utils.parseKey(pair.private) instanceof Error) || attempt >= 20) return pair;
  }
}

export function generateHostKey(comment = ""): HostKey {
  const pair = generateEd25519(comment);
  const [type, blob] = pair.public.trim().split(/\s+/);
  const fingerprint = `SHA256:${createHash("sha256")
    .update(Buffer.from(blob ?? "", "base64"))
    .digest("base64")
    .replace(/=+$/, "")}`;
  return { privateKey: pair.private, publicLine: `${type} ${blob}`, fingerprint };
}

function parsedKey(text: string): ParsedKey {
  const key = ssh2.utils.parseKey(text);
  if (key instanceof Error) throw key;
  return key;
}

export class SshListener {
  private readonly net: NetServer;
  private readonly ssh: SshServer;
  private readonly sockets = new Set<Socket>();
  private readonly allowed: ParsedKey | undefined;
  port = 0;
  /** TCP connections accepted since start (the benchmark's connections a host) */
  accepted = 0;
  private listening = false;

  constructor(
    hostKey: HostKey,
    private readonly opts: SshServerOptions,
  ) {
    this.allowed = opts.authorizedKey ? parsedKey(opts.authorizedKey) : undefined;
    this.ssh = new ssh2.Server({ hostKeys: [hostKey.privateKey], ident: "OpenSSH_for_Windows_9.5" }, (conn) =>
      this.onClient(conn),
    );
    this.ssh.on("error", () => undefined);
    this.net = createServer((socket) => {
      this.accepted += 1;
      this.sockets.add(socket);
      socket.setNoDelay(true); // small exec replies must not wait for delayed ACKs
      socket.on("close", () => this.sockets.delete(socket));
      socket.on("error", () => socket.destroy());
      if (this.opts.handler.dropConnection?.() === true) {
        socket.destroy();
        return;
      }
      this.ssh.injectSocket(socket);
    });
  }

  private onClient(conn: Connection): void {
    conn.on("error", () => undefined);
    conn.on("authentication", (ctx) => {
      if (this.opts.handler.refuseAuth() || ctx.username.toLowerCase() !== this.opts.user.toLowerCase()) {
        ctx.reject();
        return;
      }
      if (ctx.method === "password") {
        if (this.opts.password !== undefined && ctx.password === this.opts.password) ctx.accept();
        else ctx.reject();
        return;
      }
      if (ctx.method === "publickey") {
        const allowed = this.allowed;
        if (!allowed || ctx.key.algo !== allowed.type || !ctx.key.data.equals(allowed.getPublicSSH())) {
          ctx.reject();
          return;
        }
        if (ctx.signature && ctx.blob) {
          if (allowed.verify(ctx.blob, ctx.signature, ctx.hashAlgo)) ctx.accept();
          else ctx.reject();
        } else {
          ctx.accept(); // the key query before the signed attempt
        }
        return;
      }
      const methods: Array<"publickey" | "password"> = [];
      if (this.allowed) methods.push("publickey");
      if (this.opts.password !== undefined) methods.push("password");
      ctx.reject(methods);
    });
    conn.on("ready", () => {
      conn.on("session", (acceptSession) => {
        const session = acceptSession();
        session.on("pty", (_accept, reject) => reject?.());
        session.on("shell", (_accept, reject) => reject?.());
        session.on("subsystem", (_accept, reject) => reject?.());
        session.on("sftp", (accept, reject) => {
          const files = this.opts.handler.sftp?.() ?? null;
          if (files === null) return reject?.();
          serveSftp(accept(), files);
        });
        session.on("exec", (accept, _reject, info) => {
          const stream = accept();
          void this.opts.handler.exec(info.command).then((reply) => {
            if (reply.kind === "hang") return;
            if (reply.kind === "drop") {
              const sock = (conn as unknown as { _sock?: Socket })._sock;
              if (sock) sock.destroy();
              else conn.end();
              return;
            }
            if (reply.stdout.length > 0) stream.write(reply.stdout);
            if (reply.stderr.length > 0) stream.stderr.write(reply.stderr);
            stream.exit(reply.code);
            stream.end();
          });
        });
      });
    });
  }

  async listen(port = this.port): Promise<void> {
    if (this.listening) return;
    await new Promise<void>((resolve, reject) => {
      this.net.once("error", reject);
      this.net.listen(port, "127.0.0.1", () => {
        this.net.off("error", reject);
        resolve();
      });
    });
    const addr = this.net.address();
    this.port = typeof addr === "object" && addr ? addr.port : port;
    this.listening = true;
  }

  /** Stops accepting (connection refused) and cuts every open connection. */
  async unlisten(): Promise<void> {
    if (!this.listening) return;
    this.listening = false;
    const closed = new Promise<void>((resolve) => this.net.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }
}
