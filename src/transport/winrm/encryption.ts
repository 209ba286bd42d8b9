/**
 * WS-Management message encryption over HTTP (MS-WSMV 2.2.9.1, "HTTP-SPNEGO-session-encrypted"):
 * each SOAP body is sealed with the NTLM session and framed as a two-part MIME body. The framing
 * is byte-for-byte what Windows and pywinrm (`winrm/encryption.py`) write:
 *
 *   --Encrypted Boundary\r\n
 *   \tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n
 *   \tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=<plaintext length>\r\n
 *   --Encrypted Boundary\r\n
 *   \tContent-Type: application/octet-stream\r\n
 *   <signature length, u32 LE><signature><sealed message>--Encrypted Boundary--\r\n
 *
 * `multipart/x-multi-encrypted` repeats the two parts once per chunk before the closing boundary.
 * Pure: the session is the only state (its RC4 streams and sequence numbers advance per part).
 */
import { CertfleetError } from "../../model/errors.js";
import type { SealedMessage } from "./ntlm/session.js";

export const SPNEGO_ENCRYPTED = "application/HTTP-SPNEGO-session-encrypted";
const BOUNDARY = "Encrypted Boundary";
const SOAP_TYPE = "application/soap+xml;charset=UTF-8";

/** Content-Type of an encrypted request or response in one part. */
export const ENCRYPTED_CONTENT_TYPE = `multipart/encrypted;protocol="${SPNEGO_ENCRYPTED}";boundary="${BOUNDARY}"`;
/** Content-Type of an encrypted body cut into chunks. */
export const MULTI_ENCRYPTED_CONTENT_TYPE = `multipart/x-multi-encrypted;protocol="${SPNEGO_ENCRYPTED}";boundary="${BOUNDARY}"`;

/** What the framing needs from an authenticated session (`NtlmSession` has it). */
export interface MessageSealer {
  seal(message: Buffer): SealedMessage;
  unseal(sealed: Buffer, signature: Buffer): Buffer;
}

export interface EncryptOptions {
  /**
   * Cut the message into parts of at most this many bytes (multipart/x-multi-encrypted) when it is
   * longer. Default: never (one part), which is what Windows and pywinrm do with NTLM.
   */
  readonly chunkSize?: number;
}

function malformed(what: string): CertfleetError {
  return new CertfleetError("parse", `malformed encrypted WinRM message: ${what}`);
}

export function encryptMessage(
  session: MessageSealer,
  soap: Buffer,
  opts: EncryptOptions = {},
): { body: Buffer; contentType: string } {
  const chunkSize = opts.chunkSize;
  const chunked = chunkSize !== undefined && soap.length > chunkSize;
  if (chunked && !(Number.isInteger(chunkSize) && chunkSize > 0)) throw new RangeError("chunkSize must be a positive integer");
  const chunks: Buffer[] = [];
  if (chunked) for (let at = 0; at < soap.length; at += chunkSize) chunks.push(soap.subarray(at, at + chunkSize));
  else chunks.push(soap);

  const parts: Buffer[] = [];
  for (const chunk of chunks) {
    const { signature, sealed } = session.seal(chunk);
    const signatureLength = Buffer.alloc(4);
    signatureLength.writeUInt32LE(signature.length);
    parts.push(
      Buffer.from(
        `--${BOUNDARY}\r\n` +
          `\tContent-Type: ${SPNEGO_ENCRYPTED}\r\n` +
          `\tOriginalContent: type=${SOAP_TYPE};Length=${chunk.length}\r\n` +
          `--${BOUNDARY}\r\n` +
          `\tContent-Type: application/octet-stream\r\n`,
        "latin1",
      ),
      signatureLength,
      signature,
      sealed,
    );
  }
  parts.push(Buffer.from(`--${BOUNDARY}--\r\n`, "latin1"));
  return { body: Buffer.concat(parts), contentType: chunked ? MULTI_ENCRYPTED_CONTENT_TYPE : ENCRYPTED_CONTENT_TYPE };
}

/** True when a Content-Type says the body is SPNEGO session-encrypted (one part or chunked). */
export function isEncryptedContentType(contentType: string): boolean {
  const { type, params } = parseContentType(contentType);
  return (
    (type === "multipart/encrypted" || type === "multipart/x-multi-encrypted") &&
    params.get("protocol")?.toLowerCase() === SPNEGO_ENCRYPTED.toLowerCase()
  );
}

/** The SOAP message inside an encrypted body; every part is unsealed and its length checked. */
export function decryptMessage(session: MessageSealer, body: Buffer, contentType: string): Buffer {
  return openMessage(session, body, contentType).soap;
}

/** As `decryptMessage`, with the original content type (its charset) of the first part. */
export function openMessage(
  session: MessageSealer,
  body: Buffer,
  contentType: string,
): { soap: Buffer; originalType: string } {
  if (!isEncryptedContentType(contentType)) {
    throw malformed(`expected multipart/encrypted with protocol ${SPNEGO_ENCRYPTED}, got Content-Type "${printable(contentType)}"`);
  }
  const boundary = parseContentType(contentType).params.get("boundary") ?? BOUNDARY;
  const reader = new BodyReader(body);
  const delimiter = `--${boundary}`;
  const pieces: Buffer[] = [];
  let originalType: string | undefined;

  reader.expectLine(delimiter);
  for (;;) {
    // First part: the description of the plaintext.
    const headers = reader.headersUntil(delimiter);
    if (headers.get("content-type")?.toLowerCase() !== SPNEGO_ENCRYPTED.toLowerCase()) {
      throw malformed("the first part's Content-Type is not " + SPNEGO_ENCRYPTED);
    }
    const original = headers.get("originalcontent");
    const length = /(?:^|;)\s*Length=(\d+)\s*$/i.exec(original ?? "")?.[1];
    if (!original || length === undefined) throw malformed("the OriginalContent header has no Length");
    originalType ??= original.replace(/;\s*Length=\d+\s*$/i, "").replace(/^type=/i, "");
    reader.expectLine(delimiter);

    // Second part: one header line, then the signature and the sealed bytes.
    const dataHeader = reader.line();
    if (!/^\s*Content-Type:\s*application\/octet-stream\s*$/i.test(dataHeader)) {
      throw malformed("the second part's Content-Type is not application/octet-stream");
    }
    const signatureLength = reader.u32();
    if (signatureLength === 0 || signatureLength > 1024) throw malformed(`signature length ${signatureLength}`);
    const signature = reader.bytes(signatureLength, "signature");
    // RC4 keeps lengths: the sealed message is exactly as long as the plaintext.
    const sealed = reader.bytes(Number(length), "sealed message");
    const plain = session.unseal(sealed, signature);
    if (plain.length !== Number(length)) throw malformed("decrypted length differs from OriginalContent Length");
    pieces.push(plain);

    reader.skipCrlf();
    const next = reader.line();
    if (next.trimEnd() === `${delimiter}--`) break;
    if (next.trimEnd() !== delimiter) throw malformed("a part is not followed by a boundary");
    // Some senders close with a plain boundary line instead of "--boundary--" (pywinrm accepts it too).
    if (reader.atEnd()) break;
  }
  return { soap: Buffer.concat(pieces), originalType: originalType ?? SOAP_TYPE };
}

function parseContentType(value: string): { type: string; params: Map<string, string> } {
  const [type = "", ...rest] = value.split(";");
  const params = new Map<string, string>();
  for (const param of rest) {
    const eq = param.indexOf("=");
    if (eq < 0) continue;
    const name = param.slice(0, eq).trim().toLowerCase();
    let v = param.slice(eq + 1).trim();
    if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) v = v.slice(1, -1);
    params.set(name, v);
  }
  return { type: type.trim().toLowerCase(), params };
}

/** A header value in an error: printable ASCII, capped. */
function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, "?").slice(0, 200);
}

class BodyReader {
  #at = 0;
  constructor(private readonly body: Buffer) {}

  /** The next CRLF-terminated line (without the CRLF); the rest of the body when none. */
  line(): string {
    if (this.#at >= this.body.length) throw malformed("the body ends early");
    const end = this.body.indexOf("\r\n", this.#at, "latin1");
    const stop = end < 0 ? this.body.length : end;
    const text = this.body.toString("latin1", this.#at, stop);
    this.#at = end < 0 ? this.body.length : end + 2;
    return text;
  }

  expectLine(expected: string): void {
    if (this.line().trimEnd() !== expected) throw malformed(`expected the boundary line "${printable(expected)}"`);
  }

  /** Header lines up to (not including) the line `delimiter`; names lower-cased. */
  headersUntil(delimiter: string): Map<string, string> {
    const headers = new Map<string, string>();
    for (let n = 0; n < 16; n++) {
      const save = this.#at;
      const text = this.line();
      if (text.trimEnd() === delimiter) {
        this.#at = save;
        return headers;
      }
      const colon = text.indexOf(":");
      if (colon < 0) throw malformed("a part header line has no colon");
      headers.set(text.slice(0, colon).trim().toLowerCase(), text.slice(colon + 1).trim());
    }
    throw malformed("too many part header lines");
  }

  u32(): number {
    if (this.#at + 4 > this.body.length) throw malformed("the body ends inside the signature length");
    const v = this.body.readUInt32LE(this.#at);
    this.#at += 4;
    return v;
  }

  bytes(n: number, what: string): Buffer {
    if (this.#at + n > this.body.length) throw malformed(`the body ends inside the ${what}`);
    const out = Buffer.from(this.body.subarray(this.#at, this.#at + n));
    this.#at += n;
    return out;
  }

  atEnd(): boolean {
    return this.#at >= this.body.length;
  }

  skipCrlf(): void {
    if (this.body[this.#at] === 0x0d && this.body[this.#at + 1] === 0x0a) this.#at += 2;
  }
}
