import { describe, expect, it } from "vitest";
import { CertfleetError } from "../../../src/model/errors.js";
import {
  decryptMessage,
  ENCRYPTED_CONTENT_TYPE,
  encryptMessage,
  isEncryptedContentType,
  MULTI_ENCRYPTED_CONTENT_TYPE,
  openMessage,
} from "../../../src/transport/winrm/encryption.js";
import { NtlmError, NtlmSessionSecurity } from "../../../src/transport/winrm/ntlm/index.js";

const KEY = Buffer.alloc(16, 0x55);
const FLAGS = 0xe2888235;
const pair = () => ({
  client: new NtlmSessionSecurity(KEY, FLAGS, "initiator"),
  server: new NtlmSessionSecurity(KEY, FLAGS, "acceptor"),
});

describe("encryptMessage", () => {
  it("frames exactly as pywinrm's winrm/encryption.py (and Windows) do; sealed bytes are MS-NLMP 4.2.4.4's", () => {
    const { body, contentType } = encryptMessage(pair().client, Buffer.from("Plaintext", "utf16le"));
    expect(contentType).toBe(
      'multipart/encrypted;protocol="application/HTTP-SPNEGO-session-encrypted";boundary="Encrypted Boundary"',
    );
    const expected = Buffer.concat([
      Buffer.from(
        "--Encrypted Boundary\r\n" +
          "\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n" +
          "\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=18\r\n" +
          "--Encrypted Boundary\r\n" +
          "\tContent-Type: application/octet-stream\r\n",
      ),
      Buffer.from("10000000", "hex"),
      Buffer.from("010000007fb38ec5c55d497600000000", "hex"),
      Buffer.from("54e50165bf1936dc996020c1811b0f06fb5f", "hex"),
      Buffer.from("--Encrypted Boundary--\r\n"),
    ]);
    expect(body).toEqual(expected);
  });

  it("round trips both ways over many messages, the client sealing with client keys and the server with server keys", () => {
    const { client, server } = pair();
    for (let i = 0; i < 50; i++) {
      const request = Buffer.from(`<s:Envelope>${"r".repeat(i * 101)}</s:Envelope>`);
      const a = encryptMessage(client, request);
      expect(a.body.includes(request)).toBe(false);
      expect(decryptMessage(server, a.body, a.contentType)).toEqual(request);
      const reply = Buffer.from(`<s:Envelope>${"ü".repeat(i * 77)}</s:Envelope>`);
      const b = encryptMessage(server, reply);
      expect(decryptMessage(client, b.body, b.contentType)).toEqual(reply);
    }
  });

  it("cuts into 16 KiB parts as multipart/x-multi-encrypted when asked, and reads them back whole", () => {
    const { client, server } = pair();
    const soap = Buffer.alloc(40_000, "a");
    const { body, contentType } = encryptMessage(client, soap, { chunkSize: 16_384 });
    expect(contentType).toBe(MULTI_ENCRYPTED_CONTENT_TYPE);
    expect(body.toString("latin1").match(/OriginalContent: [^\r]*Length=(\d+)/g)).toEqual([
      "OriginalContent: type=application/soap+xml;charset=UTF-8;Length=16384",
      "OriginalContent: type=application/soap+xml;charset=UTF-8;Length=16384",
      "OriginalContent: type=application/soap+xml;charset=UTF-8;Length=7232",
    ]);
    expect(decryptMessage(server, body, contentType)).toEqual(soap);
    // Small messages stay in one part.
    expect(encryptMessage(client, Buffer.from("small"), { chunkSize: 16_384 }).contentType).toBe(ENCRYPTED_CONTENT_TYPE);
  });
});

describe("decryptMessage", () => {
  it("tolerates a CRLF before the closing boundary and reports the original content type", () => {
    const { client, server } = pair();
    const { body } = encryptMessage(client, Buffer.from("<x/>"));
    const closing = Buffer.from("--Encrypted Boundary--\r\n");
    const withCrlf = Buffer.concat([body.subarray(0, body.length - closing.length), Buffer.from("\r\n"), closing]);
    expect(openMessage(server, withCrlf, ENCRYPTED_CONTENT_TYPE)).toEqual({
      soap: Buffer.from("<x/>"),
      originalType: "application/soap+xml;charset=UTF-8",
    });
  });

  it("accepts a body closed by a plain boundary line, as pywinrm's test_decrypt_message has it", () => {
    const { client, server } = pair();
    const { body } = encryptMessage(client, Buffer.from("<y/>"));
    const closing = Buffer.from("--Encrypted Boundary--\r\n");
    const plainClose = Buffer.concat([body.subarray(0, body.length - closing.length), Buffer.from("--Encrypted Boundary\r\n")]);
    expect(decryptMessage(server, plainClose, ENCRYPTED_CONTENT_TYPE)).toEqual(Buffer.from("<y/>"));
  });

  it("refuses a Length that does not match, a truncated body, a wrong content type, and a tampered byte", () => {
    const msg = Buffer.from("<s:Envelope>secret-ish body</s:Envelope>");
    const lengthLie = () => {
      const { client, server } = pair();
      const body = encryptMessage(client, msg).body.toString("latin1").replace(`Length=${msg.length}`, `Length=${msg.length - 1}`);
      return () => decryptMessage(server, Buffer.from(body, "latin1"), ENCRYPTED_CONTENT_TYPE);
    };
    expect(lengthLie()).toThrow(CertfleetError);

    const { client, server } = pair();
    const { body } = encryptMessage(client, msg);
    expect(() => decryptMessage(server, body.subarray(0, 150), ENCRYPTED_CONTENT_TYPE)).toThrow(/malformed encrypted WinRM message/);
    expect(() => decryptMessage(server, body, "application/soap+xml;charset=UTF-8")).toThrow(/expected multipart\/encrypted/);

    const p = pair();
    const tampered = encryptMessage(p.client, msg).body;
    tampered[tampered.length - 30]! ^= 1;
    let caught: unknown;
    try {
      decryptMessage(p.server, tampered, ENCRYPTED_CONTENT_TYPE);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(NtlmError);
    expect((caught as NtlmError).failure).toBe("integrity");
    expect((caught as Error).message).not.toContain("secret-ish");
  });

  it("recognises the encrypted content types, and nothing else", () => {
    expect(isEncryptedContentType(ENCRYPTED_CONTENT_TYPE)).toBe(true);
    expect(isEncryptedContentType(MULTI_ENCRYPTED_CONTENT_TYPE)).toBe(true);
    expect(isEncryptedContentType('Multipart/Encrypted; protocol="application/http-spnego-session-encrypted"; boundary="Encrypted Boundary"')).toBe(true);
    expect(isEncryptedContentType('multipart/encrypted;protocol="application/HTTP-CredSSP-session-encrypted"')).toBe(false);
    expect(isEncryptedContentType("application/soap+xml;charset=UTF-8")).toBe(false);
  });
});
