/**
 * MS-NLMP 4.2.4 "NTLMv2 Authentication" worked example: user "User", domain "Domain", password
 * "Password", server challenge 0123456789abcdef, client challenge aa..aa, time 0, random session
 * key 55..55, AV pairs MsvAvNbDomainName "Domain" / MsvAvNbComputerName "Server".
 * Source: [MS-NLMP] sections 4.2.4.1 (keys), 4.2.4.2 (results), 4.2.4.3 (messages) and 4.2.4.4
 * (GSS_WrapEx of "Plaintext"), the same hex as carried by the public test suites of several NTLM
 * implementations. The server-to-client direction is not in the specification; its bytes come
 * from the ntlm-auth Python library (1.4.0, the one pywinrm uses:
 * `SessionSecurity(0xe2888235, b"\x55"*16, source="server").wrap("Plaintext")`).
 */
import { describe, expect, it } from "vitest";
import { NtlmAcceptor } from "../../../src/transport/winrm/ntlm/acceptor.js";
import { NegotiateFlag } from "../../../src/transport/winrm/ntlm/flags.js";
import {
  fileTime,
  lmv2Response,
  ntlmv2Blob,
  ntlmv2Response,
  ntowfv2,
  sealKey,
  signKey,
  windowsUpperCase,
} from "../../../src/transport/winrm/ntlm/keys.js";
import {
  AvId,
  avText,
  decodeAuthenticate,
  decodeChallenge,
  encodeAuthenticate,
  encodeAvPairs,
  encodeChallenge,
  encodeNegotiate,
} from "../../../src/transport/winrm/ntlm/messages.js";
import { rc4k } from "../../../src/transport/winrm/ntlm/rc4.js";
import { NtlmSessionSecurity } from "../../../src/transport/winrm/ntlm/session.js";

const hex = (h: string): Buffer => Buffer.from(h.replace(/\s+/g, ""), "hex");

const SERVER_CHALLENGE = hex("0123456789abcdef");
const CLIENT_CHALLENGE = hex("aaaaaaaaaaaaaaaa");
const RANDOM_SESSION_KEY = Buffer.alloc(16, 0x55);
const TIME_ZERO = Buffer.alloc(8);
const TARGET_INFO = hex("02000c0044006f006d00610069006e0001000c0053006500720076006500720000000000");
const SPEC_FLAGS = 0xe2888235;

// 4.2.4.3
const SPEC_CHALLENGE = hex(`
  4e544c4d53535000020000000c000c003800000033828ae20123456789abcdef
  00000000000000002400240044000000060070170000000f5300650072007600
  6500720002000c0044006f006d00610069006e0001000c005300650072007600
  6500720000000000`);
const SPEC_AUTHENTICATE = hex(`
  4e544c4d5353500003000000180018006c00000054005400840000000c000c00
  480000000800080054000000100010005c00000010001000d8000000358288e2
  0501280a0000000f44006f006d00610069006e00550073006500720043004f00
  4d005000550054004500520086c35097ac9cec102554764a57cccc19aaaaaaaa
  aaaaaaaa68cd0ab851e51c96aabc927bebef6a1c010100000000000000000000
  00000000aaaaaaaaaaaaaaaa0000000002000c0044006f006d00610069006e00
  01000c005300650072007600650072000000000000000000c5dad2544fc97990
  94ce1ce90bc9d03e`);
const PLAINTEXT = Buffer.from("Plaintext", "utf16le");

describe("MS-NLMP 4.2.4 NTLMv2 computations", () => {
  const responseKey = ntowfv2("Password", "User", "Domain");
  const blob = ntlmv2Blob(TIME_ZERO, CLIENT_CHALLENGE, TARGET_INFO);
  const nt = ntlmv2Response(responseKey, SERVER_CHALLENGE, blob);

  it("4.2.4.1.1 NTOWFv2", () => {
    expect(responseKey.toString("hex")).toBe("0c868a403bfd7a93a3001ef22ef02e3f");
  });

  it("4.2.4.2.1 LMv2 response", () => {
    expect(lmv2Response(responseKey, SERVER_CHALLENGE, CLIENT_CHALLENGE).toString("hex")).toBe(
      "86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa",
    );
  });

  it("4.2.4.2.2 NTLMv2 response (NTProofStr and the temp blob)", () => {
    expect(nt.ntProofStr.toString("hex")).toBe("68cd0ab851e51c96aabc927bebef6a1c");
    expect(blob.toString("hex")).toBe(
      "01010000000000000000000000000000aaaaaaaaaaaaaaaa00000000" +
        "02000c0044006f006d00610069006e0001000c005300650072007600650072000000000000000000",
    );
  });

  it("4.2.4.1.2 session base key, and key exchange (4.2.4.2.3 encrypted session key)", () => {
    expect(nt.sessionBaseKey.toString("hex")).toBe("8de40ccadbc14a82f15cb0ad0de95ca3");
    expect(rc4k(nt.sessionBaseKey, RANDOM_SESSION_KEY).toString("hex")).toBe("c5dad2544fc9799094ce1ce90bc9d03e");
  });

  it("4.2.4.4 client signing and sealing keys", () => {
    expect(signKey(RANDOM_SESSION_KEY, "client-to-server").toString("hex")).toBe("4788dc861b4782f35d43fd98fe1a2d39");
    expect(sealKey(RANDOM_SESSION_KEY, SPEC_FLAGS, "client-to-server").toString("hex")).toBe(
      "59f600973cc4960a25480a7c196e4c58",
    );
  });

  it("upper-cases the user name one UTF-16 unit at a time, as Windows does", () => {
    expect(windowsUpperCase("straße-ǆ-é")).toBe("STRAßE-Ǆ-É");
    expect(ntowfv2("Password", "user", "Domain")).toEqual(responseKey);
  });

  it("time zero in the example is FILETIME 0 (1601-01-01)", () => {
    expect(fileTime(new Date(Date.UTC(1601, 0, 1)))).toEqual(TIME_ZERO);
  });
});

describe("MS-NLMP 4.2.4.3 messages", () => {
  it("decodes the CHALLENGE and encodes the same fields back to the same bytes", () => {
    const c = decodeChallenge(SPEC_CHALLENGE);
    expect(c.flags >>> 0).toBe(0xe28a8233);
    expect(c.serverChallenge).toEqual(SERVER_CHALLENGE);
    expect(c.targetName).toBe("Server");
    expect(c.targetInfo).toEqual([
      { id: AvId.NB_DOMAIN_NAME, value: avText("Domain") },
      { id: AvId.NB_COMPUTER_NAME, value: avText("Server") },
    ]);
    expect(encodeAvPairs(c.targetInfo)).toEqual(TARGET_INFO);
    expect(encodeChallenge(c, hex("060070170000000f"))).toEqual(SPEC_CHALLENGE);
  });

  it("decodes the AUTHENTICATE and encodes the same fields back to the same bytes", () => {
    const a = decodeAuthenticate(SPEC_AUTHENTICATE);
    expect(a.flags >>> 0).toBe(SPEC_FLAGS);
    expect([a.domain, a.user, a.workstation]).toEqual(["Domain", "User", "COMPUTER"]);
    expect(a.hasMicField).toBe(false);
    expect(a.encryptedRandomSessionKey.toString("hex")).toBe("c5dad2544fc9799094ce1ce90bc9d03e");
    expect(encodeAuthenticate(a, hex("0501280a0000000f"))).toEqual(SPEC_AUTHENTICATE);
  });

  it("the acceptor accepts the specification's AUTHENTICATE and recovers the random session key", () => {
    const acceptor = new NtlmAcceptor((user, domain) => (user === "User" && domain === "Domain" ? "Password" : undefined), {
      random: (n) => (n === 8 ? SERVER_CHALLENGE : Buffer.alloc(n)),
    });
    acceptor.challenge(encodeNegotiate(SPEC_FLAGS));
    const server = acceptor.accept(SPEC_AUTHENTICATE);
    expect(acceptor.user).toEqual({ username: "User", domain: "Domain" });
    // The client's sealed "Plaintext" of 4.2.4.4 opens with the keys the acceptor derived.
    expect(server.unseal(hex("54e50165bf1936dc996020c1811b0f06fb5f"), hex("010000007fb38ec5c55d497600000000"))).toEqual(
      PLAINTEXT,
    );
    // And the acceptor's answer is what ntlm-auth's server side produces.
    const reply = server.seal(PLAINTEXT);
    expect(reply.sealed.toString("hex")).toBe("160871b730ba74e946c453d7465b54278dd0");
    expect(reply.signature.toString("hex")).toBe("01000000b298b847ce7c580700000000");
  });

  it("the same AUTHENTICATE is refused with another password, or against another server challenge", () => {
    const wrongPassword = new NtlmAcceptor(() => "password", { random: (n) => (n === 8 ? SERVER_CHALLENGE : Buffer.alloc(n)) });
    wrongPassword.challenge(encodeNegotiate(SPEC_FLAGS));
    expect(() => wrongPassword.accept(SPEC_AUTHENTICATE)).toThrow(expect.objectContaining({ failure: "refused" }));
    const replayed = new NtlmAcceptor(() => "Password", { random: (n) => Buffer.alloc(n, 7) });
    replayed.challenge(encodeNegotiate(SPEC_FLAGS));
    expect(() => replayed.accept(SPEC_AUTHENTICATE)).toThrow(expect.objectContaining({ failure: "refused" }));
  });
});

describe("MS-NLMP 4.2.4.4 GSS_WrapEx of \"Plaintext\"", () => {
  it("client side: the sealed bytes and signature of the specification", () => {
    const client = new NtlmSessionSecurity(RANDOM_SESSION_KEY, SPEC_FLAGS, "initiator");
    const { sealed, signature } = client.seal(PLAINTEXT);
    expect(sealed.toString("hex")).toBe("54e50165bf1936dc996020c1811b0f06fb5f");
    expect(signature.toString("hex")).toBe("010000007fb38ec5c55d497600000000");
  });

  it("server side, two messages: ntlm-auth's bytes, the second with sequence number 1", () => {
    const server = new NtlmSessionSecurity(RANDOM_SESSION_KEY, SPEC_FLAGS, "acceptor");
    const first = server.seal(PLAINTEXT);
    expect(first.sealed.toString("hex")).toBe("160871b730ba74e946c453d7465b54278dd0");
    expect(first.signature.toString("hex")).toBe("01000000b298b847ce7c580700000000");
    const second = server.seal(PLAINTEXT);
    expect(second.sealed.toString("hex")).toBe("3db8ae180836dceebba76946aab5e969c977");
    expect(second.signature.toString("hex")).toBe("010000001c358b931a2feeb201000000");
  });

  it("without key exchange the checksum is not RC4-encrypted (and so differs)", () => {
    const noKeyExch = (SPEC_FLAGS & ~NegotiateFlag.KEY_EXCH) >>> 0;
    const a = new NtlmSessionSecurity(RANDOM_SESSION_KEY, noKeyExch, "initiator").seal(PLAINTEXT);
    expect(a.sealed.toString("hex")).toBe("54e50165bf1936dc996020c1811b0f06fb5f");
    expect(a.signature.subarray(4, 12).toString("hex")).not.toBe("7fb38ec5c55d4976");
    const b = new NtlmSessionSecurity(RANDOM_SESSION_KEY, noKeyExch, "acceptor");
    expect(b.unseal(a.sealed, a.signature)).toEqual(PLAINTEXT);
  });
});
