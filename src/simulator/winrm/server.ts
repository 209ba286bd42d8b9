/**
 * The WinRM side of a simulated host: a WS-Management listener (HTTP with NTLM and message
 * encryption, as a default Windows server; or HTTPS with a self-signed certificate) that runs
 * the cmd shell protocol over the same simulated programs as the SSH listener.
 *
 * Windows behaviour kept: anonymous requests get 401 with the offered schemes; NTLM
 * authenticates the TCP connection; over HTTP, AllowUnencrypted=false refuses plain envelopes;
 * MaxShellsPerUser (30); a Receive with no output is held for OperationTimeout, then answered
 * with the w:TimedOut fault; finished commands stay until signalled; Delete frees the shell.
 *
 * The envelope handling here is written apart from certfleet's client (src/transport/winrm/soap.ts)
 * on purpose: both only share the generic XML reader; pywinrm keeps this side honest.
 */
import { randomUUID } from "node:crypto";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Socket } from "node:net";
import { decryptMessage, encryptMessage, isEncryptedContentType } from "../../transport/winrm/encryption.js";
import { X509Certificate } from "node:crypto";
import { NtlmAcceptor, tlsServerEndPointBindings, type NtlmSession } from "../../transport/winrm/ntlm/index.js";
import { parseXml, type XmlElement } from "../../transport/winrm/xml.js";

export type WinrmExecReply =
  | { kind: "reply"; stdout: Buffer; stderr: Buffer; code: number }
  | { kind: "hang" }
  | { kind: "drop" };

export interface WinrmHandler {
  /** consulted at every logon */
  refuseAuth(): boolean;
  /** faults consulted per Receive: answer TimedOut this many more times */
  takeOperationTimeout(): boolean;
  /** runs one command line under cmd.exe with the shell's code page */
  exec(commandLine: string, codePage: number, stdin?: Buffer): Promise<WinrmExecReply>;
}

export interface WinrmServerOptions {
  user: string;
  password: string;
  computerName: string;
  handler: WinrmHandler;
  /** HTTPS with this certificate; else plain HTTP */
  tls?: { certPem: string; keyPem: string };
  /** winrm/config/service/auth: Negotiate (default true) and Basic (default false) */
  negotiate?: boolean;
  basic?: boolean;
  /** winrm/config/service AllowUnencrypted (default false) */
  allowUnencrypted?: boolean;
  maxShellsPerUser?: number;
}

const NS = {
  s: "http://www.w3.org/2003/05/soap-envelope",
  a: "http://schemas.xmlsoap.org/ws/2004/08/addressing",
  w: "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
  rsp: "http://schemas.microsoft.com/wbem/wsman/1/windows/shell",
};
const SHELL = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell";
const TRANSFER = "http://schemas.xmlsoap.org/ws/2004/09/transfer";

interface ConnState {
  acceptor?: NtlmAcceptor;
  session?: NtlmSession;
  user?: string;
}

interface SimCommand {
  id: string;
  line: string;
  /** what Send delivered so far; `stdinEnded` once a Stream had End="true" */
  stdin: Buffer[];
  stdinEnded: boolean;
  result?: WinrmExecReply;
  /** set when the command starts: at its first Receive, after any stdin the client sent */
  settled?: Promise<WinrmExecReply>;
  delivered: boolean;
}

interface SimShell {
  id: string;
  codePage: number;
  commands: Map<string, SimCommand>;
}

class Fault {
  constructor(
    readonly code: "s:Sender" | "s:Receiver",
    readonly subcode: string,
    readonly reason: string,
    readonly wsmanCode: number,
    readonly status = 500,
  ) {}
}

const child = (el: XmlElement | undefined, ns: string, local: string): XmlElement | undefined =>
  el?.children.find((c) => c.ns === ns && c.local === local);

function descendants(el: XmlElement, ns: string, local: string, out: XmlElement[] = []): XmlElement[] {
  for (const c of el.children) {
    if (c.ns === ns && c.local === local) out.push(c);
    descendants(c, ns, local, out);
  }
  return out;
}

function xmlText(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

export class WinrmListener {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly conns = new WeakMap<Socket, ConnState>();
  private readonly shells = new Map<string, SimShell>();
  private listening = false;
  /** HTTPS: the channel binding of our certificate; a client binding to another one is refused */
  private readonly channelBindings: Buffer | undefined;
  port = 0;
  /** TCP connections accepted since start (the benchmark's connections a host) */
  accepted = 0;
  /** every Authorization header value received, in order (tests check no password went out) */
  readonly authorizationLog: string[] = [];
  /** each command's complete stdin (Send), by command line, when it had any */
  readonly stdinLog: Array<{ command: string; stdin: Buffer }> = [];

  constructor(private readonly opts: WinrmServerOptions) {
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      void this.onRequest(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
        else res.destroy();
      });
    };
    this.channelBindings = opts.tls ? tlsServerEndPointBindings(Buffer.from(new X509Certificate(opts.tls.certPem).raw)) : undefined;
    this.server = opts.tls ? createHttpsServer({ cert: opts.tls.certPem, key: opts.tls.keyPem }, handler) : createHttpServer(handler);
    this.server.keepAliveTimeout = 120_000;
    this.server.on("connection", (socket: Socket) => {
      this.accepted += 1;
      this.sockets.add(socket);
      socket.setNoDelay(true);
      socket.on("close", () => this.sockets.delete(socket));
    });
    this.server.on("secureConnection", (socket: Socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
  }

  get https(): boolean {
    return this.opts.tls !== undefined;
  }

  /** shells currently open (tests check they are deleted) */
  get openShells(): number {
    return this.shells.size;
  }

  private challengeHeaders(): string[] {
    const offered: string[] = [];
    if (this.opts.negotiate !== false) offered.push("Negotiate");
    if (this.opts.basic === true) offered.push('Basic realm="WSMAN"');
    return offered;
  }

  private deny(res: ServerResponse, body = ""): void {
    res.writeHead(401, { "WWW-Authenticate": this.challengeHeaders(), "Content-Length": Buffer.byteLength(body), ...(body ? { "Content-Type": "text/plain" } : {}) });
    res.end(body);
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const socket = req.socket;
    let conn = this.conns.get(socket);
    if (!conn) {
      conn = {};
      this.conns.set(socket, conn);
    }
    if (req.method !== "POST" || (req.url ?? "").split("?")[0]?.toLowerCase() !== "/wsman") {
      res.writeHead(404).end();
      return;
    }

    const auth = req.headers.authorization;
    if (auth !== undefined) this.authorizationLog.push(auth);
    let authorizedBy: "ntlm" | "basic" | undefined = conn.session ? "ntlm" : undefined;
    const m = auth ? /^(Negotiate|NTLM)\s+([A-Za-z0-9+/=]+)\s*$/i.exec(auth) : null;
    if (m && this.opts.negotiate !== false) {
      const token = Buffer.from(m[2]!, "base64");
      const type = token.length >= 12 ? token.readUInt32LE(8) : 0;
      if (type === 1) {
        conn.acceptor = new NtlmAcceptor((user) => (user.toLowerCase() === this.opts.user.toLowerCase() ? this.opts.password : undefined), {
          computerName: this.opts.computerName.toUpperCase(),
          ...(this.channelBindings ? { channelBindings: this.channelBindings } : {}),
        });
        conn.session = undefined;
        let challenge: Buffer;
        try {
          challenge = conn.acceptor.challenge(token);
        } catch {
          this.deny(res);
          return;
        }
        res.writeHead(401, { "WWW-Authenticate": `${m[1]} ${challenge.toString("base64")}`, "Content-Length": 0 });
        res.end();
        return;
      }
      if (type === 3 && conn.acceptor) {
        const acceptor = conn.acceptor;
        conn.acceptor = undefined;
        let session: NtlmSession | undefined;
        try {
          if (!this.opts.handler.refuseAuth()) session = acceptor.accept(token);
        } catch {
          session = undefined;
        }
        if (!session) {
          this.deny(res, "Access is denied.");
          return;
        }
        conn.session = session;
        authorizedBy = "ntlm";
      } else {
        this.deny(res);
        return;
      }
    } else if (auth && /^Basic\s/i.test(auth) && this.opts.basic === true) {
      if (!this.https && this.opts.allowUnencrypted !== true) {
        this.deny(res, "Basic authentication over HTTP is disabled (AllowUnencrypted is false).");
        return;
      }
      const [user, ...rest] = Buffer.from(auth.slice(6).trim(), "base64").toString("utf8").split(":");
      if (this.opts.handler.refuseAuth() || user?.toLowerCase() !== this.opts.user.toLowerCase() || rest.join(":") !== this.opts.password) {
        this.deny(res, "Access is denied.");
        return;
      }
      authorizedBy = "basic";
    } else if (auth !== undefined && !authorizedBy) {
      this.deny(res);
      return;
    }
    if (!authorizedBy) {
      this.deny(res);
      return;
    }

    if (body.length === 0) {
      res.writeHead(200, { "Content-Length": 0 });
      res.end();
      return;
    }
    const contentType = req.headers["content-type"] ?? "";
    const encrypted = isEncryptedContentType(contentType);
    let soap: Buffer;
    if (encrypted) {
      if (!conn.session) {
        res.writeHead(400, { "Content-Length": 0 }).end();
        return;
      }
      soap = decryptMessage(conn.session, body, contentType);
    } else {
      if (!this.https && this.opts.allowUnencrypted !== true) {
        // Windows answers plain envelopes over HTTP with 401 when AllowUnencrypted is false.
        this.deny(res, "Unencrypted traffic is currently disabled in the client configuration.");
        return;
      }
      soap = body;
    }

    const reply = await this.dispatch(soap.toString("utf8"), socket);
    if (reply === "drop") {
      socket.destroy();
      return;
    }
    const out = Buffer.from(reply.xml, "utf8");
    if (encrypted && conn.session) {
      const sealed = encryptMessage(conn.session, out);
      res.writeHead(reply.status, { "Content-Type": sealed.contentType, "Content-Length": sealed.body.length });
      res.end(sealed.body);
    } else {
      res.writeHead(reply.status, { "Content-Type": "application/soap+xml;charset=UTF-8", "Content-Length": out.length });
      res.end(out);
    }
  }

  private async dispatch(soap: string, socket: Socket): Promise<{ status: number; xml: string } | "drop"> {
    let env: XmlElement;
    try {
      env = parseXml(soap);
    } catch {
      return this.fault("", new Fault("s:Sender", "w:SchemaValidationError", "The SOAP XML in the message does not match the corresponding XML schema definition.", 2150858817, 400));
    }
    const header = child(env, NS.s, "Header");
    const body = child(env, NS.s, "Body");
    const action = child(header, NS.a, "Action")?.text.trim() ?? "";
    const messageId = child(header, NS.a, "MessageID")?.text.trim() ?? "";
    const shellId = header ? descendants(header, NS.w, "Selector").find((s) => s.attrs.Name === "ShellId")?.text.trim() : undefined;
    const timeoutText = child(header, NS.w, "OperationTimeout")?.text.trim() ?? "PT60S";
    const operationTimeoutMs = Math.min(60_000, Math.round(Number(/^PT(\d+(?:\.\d+)?)S$/.exec(timeoutText)?.[1] ?? "60") * 1000));
    try {
      switch (action) {
        case `${TRANSFER}/Create`:
          return this.ok(messageId, `${TRANSFER}/CreateResponse`, this.create(header));
        case `${TRANSFER}/Delete`:
          this.shellOf(shellId);
          this.shells.delete(shellId!);
          return this.ok(messageId, `${TRANSFER}/DeleteResponse`, "");
        case `${SHELL}/Command`:
          return this.ok(messageId, `${SHELL}/CommandResponse`, this.command(this.shellOf(shellId), body));
        case `${SHELL}/Send`:
          this.send(this.shellOf(shellId), body);
          return this.ok(messageId, `${SHELL}/SendResponse`, `<rsp:SendResponse/>`);
        case `${SHELL}/Receive`: {
          const r = await this.receive(this.shellOf(shellId), body, operationTimeoutMs, socket);
          return r === "drop" ? r : this.ok(messageId, `${SHELL}/ReceiveResponse`, r);
        }
        case `${SHELL}/Signal`: {
          const shell = this.shellOf(shellId);
          const id = child(body, NS.rsp, "Signal")?.attrs.CommandId ?? "";
          if (!shell.commands.delete(id)) throw new Fault("s:Sender", "w:InvalidParameter", "The parameter is incorrect.", 2150858771);
          return this.ok(messageId, `${SHELL}/SignalResponse`, `<rsp:SignalResponse/>`);
        }
        default:
          throw new Fault("s:Sender", "a:ActionNotSupported", `The action ${action} is not supported by the service.`, 2150858753);
      }
    } catch (err) {
      if (err instanceof Fault) return this.fault(messageId, err);
      throw err;
    }
  }

  private shellOf(shellId: string | undefined): SimShell {
    const shell = shellId ? this.shells.get(shellId) : undefined;
    if (!shell) {
      throw new Fault(
        "s:Sender",
        "w:InvalidSelectors",
        `The request for the Windows Remote Shell with ShellId ${shellId ?? ""} failed because the shell was not found on the server. Possible causes are: the specified ShellId is incorrect or the shell no longer exists on the server. Provide the correct ShellId or create a new shell and retry the operation.`,
        2150858843,
      );
    }
    return shell;
  }

  private create(header: XmlElement | undefined): string {
    const max = this.opts.maxShellsPerUser ?? 30;
    if (this.shells.size >= max) {
      throw new Fault(
        "s:Receiver",
        "w:InternalError",
        `The WS-Management service cannot process the request. This user is allowed a maximum number of ${max} concurrent shells, which has been exceeded. Close existing shells or raise the quota for this user.`,
        2150859174,
      );
    }
    const options = header ? descendants(header, NS.w, "Option") : [];
    const cp = options.find((o) => o.attrs.Name === "WINRS_CODEPAGE")?.text.trim();
    const codePage = cp !== undefined && /^\d+$/.test(cp) ? Number(cp) : 437;
    const id = randomUUID().toUpperCase();
    this.shells.set(id, { id, codePage, commands: new Map() });
    return (
      `<x:ResourceCreated><a:Address>http://127.0.0.1:${this.port}/wsman</a:Address><a:ReferenceParameters>` +
      `<w:ResourceURI>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd</w:ResourceURI>` +
      `<w:SelectorSet><w:Selector Name="ShellId">${id}</w:Selector></w:SelectorSet></a:ReferenceParameters></x:ResourceCreated>` +
      `<rsp:Shell><rsp:ShellId>${id}</rsp:ShellId><rsp:ResourceUri>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd</rsp:ResourceUri>` +
      `<rsp:Owner>${xmlText(this.opts.user)}</rsp:Owner><rsp:InputStreams>stdin</rsp:InputStreams><rsp:OutputStreams>stdout stderr</rsp:OutputStreams>` +
      `<rsp:State>Connected</rsp:State></rsp:Shell>`
    );
  }

  private command(shell: SimShell, body: XmlElement | undefined): string {
    const line = body ? descendants(body, NS.rsp, "Command")[0]?.text : undefined;
    const args = body ? descendants(body, NS.rsp, "Arguments").map((a) => a.text) : [];
    if (line === undefined) throw new Fault("s:Sender", "w:SchemaValidationError", "The command line is missing.", 2150858817);
    const full = [line.trim(), ...args].join(" ");
    const id = randomUUID().toUpperCase();
    shell.commands.set(id, { id, line: full, stdin: [], stdinEnded: false, delivered: false });
    return `<rsp:CommandResponse><rsp:CommandId>${id}</rsp:CommandId></rsp:CommandResponse>`;
  }

  private send(shell: SimShell, body: XmlElement | undefined): void {
    for (const stream of body ? descendants(body, NS.rsp, "Stream") : []) {
      const cmd = shell.commands.get(stream.attrs.CommandId ?? "");
      if (!cmd || stream.attrs.Name !== "stdin" || cmd.stdinEnded || cmd.settled) {
        throw new Fault("s:Sender", "w:InvalidParameter", "The parameter is incorrect.", 2150858771);
      }
      cmd.stdin.push(Buffer.from(stream.text.trim(), "base64"));
      if (stream.attrs.End === "true") cmd.stdinEnded = true;
    }
  }

  private start(shell: SimShell, cmd: SimCommand): Promise<WinrmExecReply> {
    if (!cmd.settled) {
      const stdin = cmd.stdin.length > 0 ? Buffer.concat(cmd.stdin) : undefined;
      if (stdin) this.stdinLog.push({ command: cmd.line, stdin });
      cmd.settled = this.opts.handler.exec(cmd.line, shell.codePage, stdin);
      void cmd.settled.then((r) => {
        cmd.result = r;
      });
    }
    return cmd.settled;
  }

  private async receive(shell: SimShell, body: XmlElement | undefined, holdMs: number, socket: Socket): Promise<string | "drop"> {
    const id = body ? descendants(body, NS.rsp, "DesiredStream")[0]?.attrs.CommandId : undefined;
    const cmd = id ? shell.commands.get(id) : undefined;
    if (!cmd) throw new Fault("s:Sender", "w:InvalidParameter", "The parameter is incorrect.", 2150858771);
    const settled = this.start(shell, cmd);
    if (this.opts.handler.takeOperationTimeout()) throw timedOut();
    let result = cmd.result;
    if (!result) {
      // Hold the request until output or OperationTimeout, as Windows does; stop early if the client left.
      result = await new Promise<WinrmExecReply | undefined>((resolve) => {
        const timer = setTimeout(() => resolve(undefined), holdMs);
        const gone = (): void => resolve(undefined);
        socket.once("close", gone);
        void settled.then((r) => {
          clearTimeout(timer);
          socket.off("close", gone);
          resolve(r);
        });
      });
      if (!result) throw timedOut();
    }
    if (result.kind === "hang") {
      // A command that never ends: each Receive is held for OperationTimeout, then TimedOut.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, holdMs);
        function done(): void {
          clearTimeout(timer);
          socket.off("close", done);
          resolve();
        }
        socket.once("close", done);
      });
      throw timedOut();
    }
    if (result.kind === "drop") return "drop";
    if (cmd.delivered) {
      return `<rsp:ReceiveResponse>${this.doneState(cmd.id, result.code)}</rsp:ReceiveResponse>`;
    }
    cmd.delivered = true;
    const streams = (name: string, data: Buffer): string =>
      (data.length > 0 ? `<rsp:Stream Name="${name}" CommandId="${cmd.id}">${data.toString("base64")}</rsp:Stream>` : "") +
      `<rsp:Stream Name="${name}" CommandId="${cmd.id}" End="true"></rsp:Stream>`;
    return `<rsp:ReceiveResponse>${streams("stdout", result.stdout)}${streams("stderr", result.stderr)}${this.doneState(cmd.id, result.code)}</rsp:ReceiveResponse>`;
  }

  private doneState(id: string, code: number): string {
    // Windows reports the DWORD exit code as a signed int: HRESULTs come out negative.
    return `<rsp:CommandState CommandId="${id}" State="http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Done"><rsp:ExitCode>${code | 0}</rsp:ExitCode></rsp:CommandState>`;
  }

  private envelope(messageId: string, action: string, body: string): string {
    return (
      `<s:Envelope xml:lang="en-US" xmlns:s="${NS.s}" xmlns:a="${NS.a}" xmlns:x="${TRANSFER}" xmlns:w="${NS.w}" xmlns:rsp="${NS.rsp}" xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd">` +
      `<s:Header><a:Action>${action}</a:Action><a:MessageID>uuid:${randomUUID().toUpperCase()}</a:MessageID>` +
      `<a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To>` +
      (messageId ? `<a:RelatesTo>${xmlText(messageId)}</a:RelatesTo>` : "") +
      `</s:Header><s:Body>${body}</s:Body></s:Envelope>`
    );
  }

  private ok(messageId: string, action: string, body: string): { status: number; xml: string } {
    return { status: 200, xml: this.envelope(messageId, action, body) };
  }

  private fault(messageId: string, f: Fault): { status: number; xml: string } {
    const body =
      `<s:Fault><s:Code><s:Value>${f.code}</s:Value><s:Subcode><s:Value>${f.subcode}</s:Value></s:Subcode></s:Code>` +
      `<s:Reason><s:Text xml:lang="en-US">${xmlText(f.reason)} </s:Text></s:Reason>` +
      `<s:Detail><f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" Code="${f.wsmanCode}" Machine="${xmlText(this.opts.computerName)}">` +
      `<f:Message>${xmlText(f.reason)} </f:Message></f:WSManFault></s:Detail></s:Fault>`;
    return { status: f.status, xml: this.envelope(messageId, "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault", body) };
  }

  async listen(port = this.port): Promise<void> {
    if (this.listening) return;
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, "127.0.0.1", () => {
        this.server.off("error", reject);
        resolve();
      });
    });
    const addr = this.server.address();
    this.port = typeof addr === "object" && addr ? addr.port : port;
    this.listening = true;
  }

  /** Stops accepting (connection refused) and cuts every open connection. */
  async unlisten(): Promise<void> {
    if (!this.listening) return;
    this.listening = false;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    this.server.closeAllConnections?.();
    await closed;
  }
}

function timedOut(): Fault {
  return new Fault(
    "s:Receiver",
    "w:TimedOut",
    "The WS-Management service cannot complete the operation within the time specified in OperationTimeout.",
    2150858793,
  );
}
