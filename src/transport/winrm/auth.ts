/**
 * Logging on to a WinRM listener and sending SOAP over the authenticated connection.
 *
 * An anonymous probe learns which schemes the listener offers (WWW-Authenticate). Then:
 * - Negotiate (NTLMv2) over HTTP: NEGOTIATE / CHALLENGE / AUTHENTICATE on empty POSTs, then every
 *   envelope is sealed and signed (MS-WSMV 2.2.9.1.1, `multipart/encrypted`). If the server will
 *   not grant signing and sealing, no envelope is ever sent.
 * - Negotiate over HTTPS: the same handshake; TLS protects the envelopes.
 * - Basic: over HTTPS only. A listener offering only Basic over plain HTTP is refused before the
 *   password leaves this process.
 */
import { NtlmError, NtlmInitiator, tlsServerEndPointBindings, type NtlmSession } from "./ntlm/index.js";
import { ConnectionFailure, endpointUrl, type HttpConnection, type HttpReply } from "./connection.js";
import { decryptMessage, encryptMessage, isEncryptedContentType } from "./encryption.js";

/** Seals requests and opens replies with the NTLM session (MS-WSMV 2.2.9.1.1). */
interface MessageProtection {
  wrap(soap: Buffer): { body: Buffer; contentType: string };
  unwrap(body: Buffer, contentType: string): Buffer;
}

function protectWith(session: NtlmSession): MessageProtection {
  return {
    wrap: (soap) => encryptMessage(session, soap),
    unwrap: (body, contentType) => decryptMessage(session, body, contentType),
  };
}

export interface WinrmCredentials {
  username: string;
  /** "" for a local account */
  domain: string;
  password: string;
}

/** The server refused to log us on, or we refused to log on to it. Never carries the password. */
export class WinrmAuthError extends Error {
  constructor(
    message: string,
    /** what the server said, when it said anything */
    readonly serverReason?: string,
  ) {
    super(message);
    this.name = "WinrmAuthError";
  }
}

/** An HTTP status the WS-Management protocol does not explain (not 200, not a SOAP fault). */
export class WinrmHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "WinrmHttpError";
  }
}

const SOAP_CONTENT_TYPE = "application/soap+xml;charset=UTF-8";

/** The auth schemes of WWW-Authenticate (one or more headers, each maybe a comma list). */
export function offeredSchemes(header: string | string[] | undefined): string[] {
  const values = Array.isArray(header) ? header : header === undefined ? [] : [header];
  const schemes: string[] = [];
  for (const v of values) {
    // commas outside quoted strings separate challenges and their parameters
    for (const piece of v.match(/(?:[^,"]|"(?:[^"\\]|\\.)*")+/g) ?? []) {
      if (/^\s*[\w-]+\s*=/.test(piece)) continue; // a parameter (realm=...) of the previous scheme
      const scheme = piece.trim().split(/\s+/)[0];
      if (scheme) schemes.push(scheme);
    }
  }
  return schemes;
}

function tokenFor(header: string | string[] | undefined, scheme: string): Buffer | undefined {
  const values = Array.isArray(header) ? header : header === undefined ? [] : [header];
  for (const v of values) {
    for (const part of v.split(",")) {
      const m = new RegExp(`^\\s*${scheme}\\s+([A-Za-z0-9+/]+={0,2})\\s*$`, "i").exec(part);
      if (m) return Buffer.from(m[1]!, "base64");
    }
  }
  return undefined;
}

/** A short, printable version of what the server said with a refusal. */
export function serverReason(reply: HttpReply): string {
  const text = reply.body
    .toString("utf8")
    .replace(/<[^>]*>/g, " ")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, 300);
  return [`HTTP ${reply.status}${reply.statusMessage ? ` ${reply.statusMessage}` : ""}`, text].filter((x) => x !== "").join(": ");
}

export interface AuthenticatedChannel {
  readonly scheme: "negotiate" | "basic";
  readonly encrypted: boolean;
  /** posts one envelope; returns the (decrypted) response text for 200 and for SOAP faults */
  send(soap: string, timeoutMs: number): Promise<string>;
}

export async function logOn(
  conn: HttpConnection,
  creds: WinrmCredentials,
  timeoutMs: number,
): Promise<AuthenticatedChannel> {
  const { https } = conn.endpoint;
  const where = endpointUrl(conn.endpoint);
  const probe = await conn.post(Buffer.alloc(0), { "Content-Type": SOAP_CONTENT_TYPE }, timeoutMs);
  if (probe.status !== 401) {
    throw new WinrmHttpError(probe.status, `the WinRM listener at ${where} accepted an anonymous request (${serverReason(probe)}); certfleet expects it to ask for authentication`);
  }
  const schemes = offeredSchemes(probe.headers["www-authenticate"]).map((s) => s.toLowerCase());
  const ntlmScheme = schemes.includes("negotiate") ? "Negotiate" : schemes.includes("ntlm") ? "NTLM" : undefined;
  if (ntlmScheme !== undefined) return negotiate(conn, creds, ntlmScheme, timeoutMs, where);
  if (schemes.includes("basic")) {
    if (!https) {
      throw new WinrmAuthError(
        `the WinRM listener at ${where} offers only Basic authentication over plain HTTP; certfleet refuses to send a password unencrypted and sent none. ` +
          `Enable Negotiate on the server (the Windows default: winrm set winrm/config/service/auth @{Negotiate="true"}) or use its HTTPS listener (https: true in the inventory).`,
      );
    }
    return basic(conn, creds, timeoutMs, where);
  }
  throw new WinrmAuthError(
    `the WinRM listener at ${where} offers no authentication certfleet speaks (offered: ${schemes.join(", ") || "none"}; certfleet supports Negotiate/NTLM, and Basic over HTTPS)`,
  );
}

async function negotiate(conn: HttpConnection, creds: WinrmCredentials, scheme: string, timeoutMs: number, where: string): Promise<AuthenticatedChannel> {
  const { https } = conn.endpoint;
  // Over HTTPS, bind the logon to the listener's certificate (Extended Protection), as Windows
  // clients and pywinrm do: a listener with CbtHardeningLevel=Strict requires it.
  const der = https ? conn.peerCertificate : undefined;
  const initiator = new NtlmInitiator(
    { username: creds.username, domain: creds.domain, password: creds.password },
    der !== undefined ? { channelBindings: tlsServerEndPointBindings(der) } : {},
  );
  // NTLM authenticates the TCP connection: from NEGOTIATE on, every request must use this socket.
  conn.bindSession();
  const first = await conn.post(Buffer.alloc(0), { "Content-Type": SOAP_CONTENT_TYPE, Authorization: `${scheme} ${initiator.negotiate().toString("base64")}` }, timeoutMs);
  const challenge = first.status === 401 ? tokenFor(first.headers["www-authenticate"], scheme) : undefined;
  if (!challenge) {
    throw new WinrmAuthError(`the WinRM listener at ${where} did not answer the NTLM negotiation with a challenge (${serverReason(first)})`, serverReason(first));
  }
  let authenticate: Buffer;
  let session: NtlmSession;
  try {
    authenticate = initiator.authenticate(challenge);
    session = initiator.session;
  } catch (err) {
    if (err instanceof NtlmError) {
      throw new WinrmAuthError(
        `cannot log on to ${where} with NTLM${https ? "" : " and set up message encryption"}: ${err.message}; nothing was sent`,
      );
    }
    throw err;
  }
  const last = await conn.post(Buffer.alloc(0), { "Content-Type": SOAP_CONTENT_TYPE, Authorization: `${scheme} ${authenticate.toString("base64")}` }, timeoutMs);
  if (last.status === 401 || last.status === 403) {
    const reason = serverReason(last);
    throw new WinrmAuthError(`the WinRM listener at ${where} refused the credentials of ${describeUser(creds)} (${reason})`, reason);
  }
  if (last.status !== 200) {
    throw new WinrmHttpError(last.status, `the WinRM listener at ${where} answered the NTLM logon with ${serverReason(last)}`);
  }
  const protection = https ? undefined : protectWith(session);
  return channel(conn, "negotiate", protection, {}, where);
}

async function basic(conn: HttpConnection, creds: WinrmCredentials, timeoutMs: number, where: string): Promise<AuthenticatedChannel> {
  const user = creds.domain !== "" ? `${creds.domain}\\${creds.username}` : creds.username;
  const header = `Basic ${Buffer.from(`${user}:${creds.password}`, "utf8").toString("base64")}`;
  const check = await conn.post(Buffer.alloc(0), { "Content-Type": SOAP_CONTENT_TYPE, Authorization: header }, timeoutMs);
  if (check.status === 401 || check.status === 403) {
    const reason = serverReason(check);
    throw new WinrmAuthError(`the WinRM listener at ${where} refused the credentials of ${describeUser(creds)} (${reason})`, reason);
  }
  return channel(conn, "basic", undefined, { Authorization: header }, where);
}

export function describeUser(creds: Pick<WinrmCredentials, "username" | "domain">): string {
  return creds.domain !== "" ? `${creds.domain}\\${creds.username}` : creds.username;
}

function channel(
  conn: HttpConnection,
  scheme: "negotiate" | "basic",
  protection: MessageProtection | undefined,
  headers: Record<string, string>,
  where: string,
): AuthenticatedChannel {
  return {
    scheme,
    encrypted: protection !== undefined,
    async send(soap: string, timeoutMs: number): Promise<string> {
      // Before sealing: a dropped session's RC4 state must not advance, nor anything be sent.
      if (conn.lost !== undefined) throw new ConnectionFailure("lost", conn.lost, false);
      const plain = Buffer.from(soap, "utf8");
      const sealed = protection?.wrap(plain);
      const reply = sealed
        ? await conn.post(sealed.body, { ...headers, "Content-Type": sealed.contentType }, timeoutMs)
        : await conn.post(plain, { ...headers, "Content-Type": SOAP_CONTENT_TYPE }, timeoutMs);
      if (reply.status === 401) {
        const reason = serverReason(reply);
        throw new WinrmAuthError(`the WinRM listener at ${where} no longer accepts this session (${reason})`, reason);
      }
      const contentType = reply.headers["content-type"]?.[0] ?? "";
      if (reply.status !== 200 && reply.status !== 500 && reply.status !== 400) {
        throw new WinrmHttpError(reply.status, `the WinRM listener at ${where} answered ${serverReason(reply)}`);
      }
      if (protection) {
        if (!isEncryptedContentType(contentType)) {
          if (reply.body.length === 0) throw new WinrmHttpError(reply.status, `the WinRM listener at ${where} answered ${serverReason(reply)} with no body`);
          // An unencrypted reply on an encrypted session: trust nothing in it.
          throw new WinrmHttpError(reply.status, `the WinRM listener at ${where} sent an unencrypted reply on an encrypted session (${serverReason(reply)})`);
        }
        try {
          return protection.unwrap(reply.body, contentType).toString("utf8");
        } catch (err) {
          // The RC4 streams may be out of step: this session can never be trusted again.
          conn.abandon("a reply failed its integrity check");
          throw new ConnectionFailure("lost", `the server's encrypted reply could not be opened (${(err as Error).message}); the session was dropped`, true, { cause: err });
        }
      }
      if (reply.body.length === 0) throw new WinrmHttpError(reply.status, `the WinRM listener at ${where} answered ${serverReason(reply)} with no body`);
      return reply.body.toString("utf8");
    },
  };
}

export { ConnectionFailure };
