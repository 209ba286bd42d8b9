/**
 * Logon decisions against small hand-written listeners: what the server offers decides the
 * scheme; what it refuses to grant stops the logon before anything secret or any command leaves.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { logOn, offeredSchemes, WinrmAuthError } from "../../../src/transport/winrm/auth.js";
import { ConnectionFailure, HttpConnection } from "../../../src/transport/winrm/connection.js";
import { encryptMessage } from "../../../src/transport/winrm/encryption.js";
import type { NtlmSession } from "../../../src/transport/winrm/ntlm/index.js";
import { NtlmAcceptor } from "../../../src/transport/winrm/ntlm/index.js";
import { NegotiateFlag } from "../../../src/transport/winrm/ntlm/flags.js";
import { decodeChallenge, encodeChallenge } from "../../../src/transport/winrm/ntlm/messages.js";

const creds = { username: "certadmin", domain: "", password: "Sup3r-Secret!" };
let server: Server | undefined;
const seen: Array<{ authorization?: string; body: number }> = [];

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<HttpConnection> {
  seen.length = 0;
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      seen.push({ ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}), body: Buffer.concat(chunks).length });
      handler(req, res);
    });
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return new HttpConnection({ address: "127.0.0.1", port, https: false, connectTimeoutMs: 5_000 });
}

afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server?.closeAllConnections();
  server = undefined;
});

async function refusal(conn: HttpConnection): Promise<WinrmAuthError> {
  try {
    await logOn(conn, creds, 5_000);
  } catch (err) {
    expect(err).toBeInstanceOf(WinrmAuthError);
    return err as WinrmAuthError;
  } finally {
    conn.close();
  }
  throw new Error("expected a refusal");
}

describe("offeredSchemes", () => {
  it("reads several headers and comma lists, skipping parameters", () => {
    expect(offeredSchemes(["Negotiate", "Kerberos", 'Basic realm="WSMAN, the, realm"', "CredSSP"])).toEqual(["Negotiate", "Kerberos", "Basic", "CredSSP"]);
    expect(offeredSchemes('Negotiate, Basic realm="WSMAN", charset="UTF-8"')).toEqual(["Negotiate", "Basic"]);
    expect(offeredSchemes("Negotiate TlRMTVNTUAACAAAAAA==")).toEqual(["Negotiate"]);
    expect(offeredSchemes(undefined)).toEqual([]);
  });
});

describe("logOn refusals", () => {
  it("Basic only over plain HTTP: refused, no Authorization header was ever sent", async () => {
    const conn = await listen((_req, res) => res.writeHead(401, { "WWW-Authenticate": 'Basic realm="WSMAN"' }).end());
    const err = await refusal(conn);
    expect(err.message).toMatch(/offers only Basic authentication over plain HTTP/);
    expect(seen).toEqual([{ body: 0 }]);
  });

  it("a server that will not grant sealing over HTTP: refused after its challenge, no AUTHENTICATE sent", async () => {
    const acceptor = new NtlmAcceptor(() => creds.password);
    const conn = await listen((req, res) => {
      const auth = req.headers.authorization;
      if (!auth) {
        res.writeHead(401, { "WWW-Authenticate": "Negotiate" }).end();
        return;
      }
      const challenge = decodeChallenge(acceptor.challenge(Buffer.from(auth.split(" ")[1]!, "base64")));
      const weakened = encodeChallenge({ ...challenge, flags: (challenge.flags & ~NegotiateFlag.SEAL) >>> 0 });
      res.writeHead(401, { "WWW-Authenticate": `Negotiate ${weakened.toString("base64")}` }).end();
    });
    const err = await refusal(conn);
    expect(err.message).toMatch(/set up message encryption: .*SEAL.*nothing was sent/);
    expect(seen.length).toBe(2);
    expect(seen.every((s) => s.body === 0)).toBe(true);
  });

  it("a listener that offers nothing certfleet speaks", async () => {
    const conn = await listen((_req, res) => res.writeHead(401, { "WWW-Authenticate": ["Kerberos", "CredSSP"] }).end());
    expect((await refusal(conn)).message).toMatch(/offers no authentication certfleet speaks \(offered: kerberos, credssp/);
  });

  it("wrong credentials carry the server's words", async () => {
    const acceptor = new NtlmAcceptor(() => "another password");
    const conn = await listen((req, res) => {
      const auth = req.headers.authorization;
      if (!auth) return void res.writeHead(401, { "WWW-Authenticate": "Negotiate" }).end();
      const token = Buffer.from(auth.split(" ")[1]!, "base64");
      if (token.readUInt32LE(8) === 1) {
        return void res.writeHead(401, { "WWW-Authenticate": `Negotiate ${acceptor.challenge(token).toString("base64")}` }).end();
      }
      res.writeHead(401, "Unauthorized", { "WWW-Authenticate": "Negotiate", "Content-Type": "text/html" }).end("<html><body>Logon failure: unknown user name or bad password.</body></html>");
    });
    const err = await refusal(conn);
    expect(err.message).toMatch(/refused the credentials of certadmin/);
    expect(err.serverReason).toBe("HTTP 401 Unauthorized: Logon failure: unknown user name or bad password.");
    expect(err.message).not.toContain(creds.password);
  });
});

describe("an encrypted reply that fails its integrity check", () => {
  it("drops the session: that request and every later one fail as a lost connection", async () => {
    const acceptor = new NtlmAcceptor(() => creds.password);
    let session: NtlmSession | undefined;
    const conn = await listen((req, res) => {
      const auth = req.headers.authorization;
      if (!auth && !session) return void res.writeHead(401, { "WWW-Authenticate": "Negotiate" }).end();
      if (auth) {
        const token = Buffer.from(auth.split(" ")[1]!, "base64");
        if (token.readUInt32LE(8) === 1) {
          return void res.writeHead(401, { "WWW-Authenticate": `Negotiate ${acceptor.challenge(token).toString("base64")}` }).end();
        }
        session = acceptor.accept(token);
        return void res.writeHead(200, { "Content-Length": 0 }).end();
      }
      // a SOAP request: answer with a sealed body whose last byte was flipped on the way
      const sealed = encryptMessage(session!, Buffer.from("<s:Envelope/>"));
      const body = Buffer.from(sealed.body);
      const at = body.indexOf("--Encrypted Boundary--") - 1;
      body[at] = body[at]! ^ 0xff;
      res.writeHead(200, { "Content-Type": sealed.contentType, "Content-Length": body.length }).end(body);
    });
    try {
      const channel = await logOn(conn, creds, 5_000);
      expect(channel.encrypted).toBe(true);
      const first = await channel.send("<s:Envelope/>", 5_000).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(first).toBeInstanceOf(ConnectionFailure);
      expect((first as ConnectionFailure).reason).toBe("lost");
      expect(conn.lost).toBe("a reply failed its integrity check");
      await expect(channel.send("<s:Envelope/>", 5_000)).rejects.toBeInstanceOf(ConnectionFailure);
    } finally {
      conn.close();
    }
  });
});

describe("sockets", () => {
  it("a server that closes the connection after the anonymous 401: NTLM goes on a new one and stays on it", async () => {
    const acceptor = new NtlmAcceptor(() => creds.password);
    const ports: number[] = [];
    const conn = await listen((req, res) => {
      ports.push(req.socket.remotePort ?? 0);
      const auth = req.headers.authorization;
      if (!auth) return void res.writeHead(401, { "WWW-Authenticate": "Negotiate", Connection: "close" }).end();
      const token = Buffer.from(auth.split(" ")[1]!, "base64");
      if (token.readUInt32LE(8) === 1) {
        return void res.writeHead(401, { "WWW-Authenticate": `Negotiate ${acceptor.challenge(token).toString("base64")}` }).end();
      }
      acceptor.accept(token);
      res.writeHead(200, { "Content-Length": 0 }).end();
    });
    try {
      const channel = await logOn(conn, creds, 5_000);
      expect(channel.scheme).toBe("negotiate");
      expect(ports).toHaveLength(3);
      expect(ports[1]).not.toBe(ports[0]);
      expect(ports[2]).toBe(ports[1]);
      expect(conn.lost).toBeUndefined();
    } finally {
      conn.close();
    }
  });
});
