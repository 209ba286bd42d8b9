import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { CertfleetError } from "../../../src/model/errors.js";
import { NtlmAcceptor, NtlmError, NtlmInitiator, NtlmSessionSecurity, splitUserName, type NtlmSession } from "../../../src/transport/winrm/ntlm/index.js";
import { NegotiateFlag } from "../../../src/transport/winrm/ntlm/flags.js";
import { ntHash, ntowfv2 } from "../../../src/transport/winrm/ntlm/keys.js";
import {
  AvId,
  decodeAuthenticate,
  decodeAvPairs,
  decodeChallenge,
  decodeNegotiate,
  encodeChallenge,
  encodeNegotiate,
  MIC_OFFSET,
} from "../../../src/transport/winrm/ntlm/messages.js";

const PASSWORD = "S3cret-Pässword!";
const USERS = new Map([["administrator", PASSWORD]]);
const lookup = (user: string): string | undefined => USERS.get(user.toLowerCase());

/** A deterministic byte source, so failures reproduce. */
function counterRandom(seed: number): (n: number) => Buffer {
  let state = seed;
  return (n) => {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) {
      state = (state * 1103515245 + 12345) >>> 0;
      out[i] = state >>> 24;
    }
    return out;
  };
}

const NOW = () => new Date(Date.UTC(2026, 10, 28, 3, 0, 0));

function handshake(password = PASSWORD, domain = "WIN-01") {
  const initiator = new NtlmInitiator({ username: "Administrator", domain, password }, { random: counterRandom(1), now: NOW, workstation: "CERTFLEET" });
  const acceptor = new NtlmAcceptor(lookup, { computerName: "WIN-01", random: counterRandom(2), now: NOW });
  const negotiate = initiator.negotiate();
  const challenge = acceptor.challenge(negotiate);
  const authenticate = initiator.authenticate(challenge);
  return { initiator, acceptor, negotiate, challenge, authenticate };
}

describe("NTLM client <-> server", () => {
  it("negotiates NTLMv2 with the flags Windows needs for sealing", () => {
    const { negotiate, challenge, authenticate } = handshake();
    expect(decodeNegotiate(negotiate).flags >>> 0).toBe(0xe2888235);
    const c = decodeChallenge(challenge);
    expect(c.targetName).toBe("WIN-01");
    expect(c.targetInfo.map((p) => p.id)).toEqual([
      AvId.NB_DOMAIN_NAME,
      AvId.NB_COMPUTER_NAME,
      AvId.DNS_DOMAIN_NAME,
      AvId.DNS_COMPUTER_NAME,
      AvId.TIMESTAMP,
    ]);
    const a = decodeAuthenticate(authenticate);
    expect([a.user, a.domain, a.workstation]).toEqual(["Administrator", "WIN-01", "CERTFLEET"]);
    // A server timestamp: LM response zeroed, the blob carries the server's time and MIC flag.
    expect(a.lmChallengeResponse).toEqual(Buffer.alloc(24));
    const blob = a.ntChallengeResponse.subarray(16);
    expect(blob.subarray(8, 16)).toEqual(c.targetInfo.find((p) => p.id === AvId.TIMESTAMP)!.value);
    const pairs = decodeAvPairs(blob.subarray(28));
    expect(pairs.find((p) => p.id === AvId.FLAGS)!.value.readUInt32LE(0)).toBe(2);
    expect(pairs.find((p) => p.id === AvId.CHANNEL_BINDINGS)!.value).toEqual(Buffer.alloc(16));
    expect(authenticate.subarray(MIC_OFFSET, MIC_OFFSET + 16)).not.toEqual(Buffer.alloc(16));
  });

  it("both sides agree on the keys: 200 messages each way, interleaved unevenly, all opened and verified", () => {
    const { initiator, acceptor, authenticate } = handshake();
    const server = acceptor.accept(authenticate);
    const client = initiator.session;
    expect(acceptor.user).toEqual({ username: "Administrator", domain: "WIN-01" });
    const random = counterRandom(3);
    for (let i = 0; i < 200; i++) {
      const request = random(1 + (i * 37) % 3000);
      const a = client.seal(request);
      expect(a.sealed).not.toEqual(request);
      expect(server.unseal(a.sealed, a.signature)).toEqual(request);
      // Sometimes two replies in a row, sometimes a signed-only one.
      for (let k = 0; k < 1 + (i % 3 === 0 ? 1 : 0); k++) {
        const reply = random(1 + (i * 53) % 5000);
        const b = server.seal(reply);
        expect(client.unseal(b.sealed, b.signature)).toEqual(reply);
      }
      if (i % 10 === 0) {
        const note = Buffer.from(`signed only ${i}`);
        client.verify(note, server.sign(note));
      }
    }
  });

  it("a sequence number carries in every signature and advances per direction", () => {
    const { initiator, acceptor, authenticate } = handshake();
    const server = acceptor.accept(authenticate);
    const seqs = [0, 1, 2].map(() => initiator.session.seal(Buffer.from("x")).signature.readUInt32LE(12));
    expect(seqs).toEqual([0, 1, 2]);
    expect(server.seal(Buffer.from("y")).signature.readUInt32LE(12)).toBe(0);
  });

  it("a tampered sealed message, a tampered signature, a replayed or a skipped message are integrity failures", () => {
    const fresh = () => {
      const h = handshake();
      return { client: h.initiator.session, server: h.acceptor.accept(h.authenticate) };
    };
    const msg = Buffer.from("<s:Envelope>hello</s:Envelope>");

    let { client, server } = fresh();
    let m = client.seal(msg);
    const flipped = Buffer.from(m.sealed);
    flipped[3]! ^= 1;
    expect(() => server.unseal(flipped, m.signature)).toThrow(expect.objectContaining({ failure: "integrity" }));

    ({ client, server } = fresh());
    m = client.seal(msg);
    const badSig = Buffer.from(m.signature);
    badSig[5]! ^= 0x80;
    expect(() => server.unseal(m.sealed, badSig)).toThrow(NtlmError);

    ({ client, server } = fresh());
    m = client.seal(msg);
    expect(server.unseal(m.sealed, m.signature)).toEqual(msg);
    expect(() => server.unseal(m.sealed, m.signature)).toThrow(expect.objectContaining({ failure: "integrity" }));

    // After a failed check the session refuses all further use, in both directions.
    expect(() => server.seal(msg)).toThrow(expect.objectContaining({ failure: "state" }));
    expect(() => server.unseal(m.sealed, m.signature)).toThrow(expect.objectContaining({ failure: "state" }));

    ({ client, server } = fresh());
    client.seal(msg); // lost on the way
    m = client.seal(msg);
    expect(() => server.unseal(m.sealed, m.signature)).toThrow(expect.objectContaining({ failure: "integrity" }));
  });

  it("a wrong password is refused with a typed auth error", () => {
    const { acceptor, authenticate } = handshake("wrong-password");
    let caught: unknown;
    try {
      acceptor.accept(authenticate);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(NtlmError);
    expect(caught).toBeInstanceOf(CertfleetError);
    expect(caught).toMatchObject({ failure: "refused", kind: "auth" });
    expect(acceptor.user).toBeUndefined();
  });

  it("an unknown user gets the same answer as a wrong password", () => {
    const initiator = new NtlmInitiator({ username: "nobody", domain: "", password: PASSWORD });
    const acceptor = new NtlmAcceptor(lookup);
    const authenticate = initiator.authenticate(acceptor.challenge(initiator.negotiate()));
    const wrong = handshake("wrong-password");
    const messageOf = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        return (e as Error).message;
      }
      return "no error";
    };
    expect(messageOf(() => acceptor.accept(authenticate))).toBe(messageOf(() => wrong.acceptor.accept(wrong.authenticate)));
  });

  it("a MIC that does not cover the messages exchanged is refused (a changed flag in NEGOTIATE)", () => {
    const initiator = new NtlmInitiator({ username: "Administrator", domain: "", password: PASSWORD });
    const acceptor = new NtlmAcceptor(lookup);
    const negotiate = initiator.negotiate();
    // An attacker strips a flag from the NEGOTIATE the server sees.
    const altered = encodeNegotiate((decodeNegotiate(negotiate).flags & ~NegotiateFlag.VERSION) >>> 0);
    const authenticate = initiator.authenticate(acceptor.challenge(altered));
    expect(() => acceptor.accept(authenticate)).toThrow(expect.objectContaining({ failure: "integrity" }));
  });

  it("a changed MIC or a changed AUTHENTICATE field is refused", () => {
    const h1 = handshake();
    const badMic = Buffer.from(h1.authenticate);
    badMic[MIC_OFFSET]! ^= 1;
    expect(() => h1.acceptor.accept(badMic)).toThrow(expect.objectContaining({ failure: "integrity" }));
    // ALWAYS_SIGN changes no key, so only the MIC can notice it was flipped on the way.
    const h2 = handshake();
    const badFlags = Buffer.from(h2.authenticate);
    badFlags.writeUInt32LE((badFlags.readUInt32LE(60) ^ NegotiateFlag.ALWAYS_SIGN) >>> 0, 60);
    expect(() => h2.acceptor.accept(badFlags)).toThrow(expect.objectContaining({ failure: "integrity" }));
  });

  it("without a server timestamp the client uses its clock and an LMv2 response, and no MIC", () => {
    const initiator = new NtlmInitiator({ username: "Administrator", domain: "", password: PASSWORD }, { now: NOW, random: counterRandom(4) });
    initiator.negotiate();
    const challenge = encodeChallenge({
      flags: 0xe28a8235,
      serverChallenge: Buffer.alloc(8, 9),
      targetName: "SRV",
      targetInfo: [{ id: AvId.NB_COMPUTER_NAME, value: Buffer.from("SRV", "utf16le") }],
    });
    const a = decodeAuthenticate(initiator.authenticate(challenge));
    expect(a.lmChallengeResponse.length).toBe(24);
    expect(a.lmChallengeResponse).not.toEqual(Buffer.alloc(24));
    const blob = a.ntChallengeResponse.subarray(16);
    expect(blob.readBigUInt64LE(8)).toBe((BigInt(NOW().getTime()) + 11_644_473_600_000n) * 10_000n);
    expect(decodeAvPairs(blob.subarray(28)).some((p) => p.id === AvId.FLAGS)).toBe(false);
  });

  it("the client refuses a server that will not seal, sign, use 128-bit keys or key exchange", () => {
    for (const flag of [NegotiateFlag.SEAL, NegotiateFlag.SIGN, NegotiateFlag.KEY_128, NegotiateFlag.KEY_EXCH, NegotiateFlag.EXTENDED_SESSIONSECURITY]) {
      const initiator = new NtlmInitiator({ username: "u", domain: "", password: PASSWORD });
      initiator.negotiate();
      const challenge = encodeChallenge({
        flags: (0xe28a8235 & ~flag) >>> 0,
        serverChallenge: Buffer.alloc(8, 1),
        targetName: "SRV",
        targetInfo: [{ id: AvId.NB_COMPUTER_NAME, value: Buffer.from("SRV", "utf16le") }],
      });
      expect(() => initiator.authenticate(challenge)).toThrow(expect.objectContaining({ failure: "unsupported", kind: "auth" }));
    }
  });

  it("the server refuses a client that does not ask for sealing, and NTLMv1 or anonymous responses", () => {
    expect(() => new NtlmAcceptor(lookup).challenge(encodeNegotiate((0xe2888235 & ~NegotiateFlag.SEAL) >>> 0))).toThrow(
      expect.objectContaining({ failure: "unsupported" }),
    );
    const { acceptor, authenticate } = handshake();
    const a = decodeAuthenticate(authenticate);
    // Rebuild with a 24-byte (NTLMv1-sized) NT response.
    const v1 = Buffer.from(authenticate);
    v1.writeUInt16LE(24, 20);
    v1.writeUInt16LE(24, 22);
    expect(a.ntChallengeResponse.length).toBeGreaterThan(24);
    expect(() => acceptor.accept(v1)).toThrow(expect.objectContaining({ failure: "refused" }));
  });

  it("calls out of order are state errors; garbage is malformed", () => {
    const initiator = new NtlmInitiator({ username: "u", domain: "", password: PASSWORD });
    expect(() => initiator.authenticate(Buffer.alloc(64))).toThrow(expect.objectContaining({ failure: "state" }));
    expect(() => initiator.session).toThrow(expect.objectContaining({ failure: "state" }));
    initiator.negotiate();
    expect(() => initiator.negotiate()).toThrow(expect.objectContaining({ failure: "state" }));
    expect(() => initiator.authenticate(Buffer.from("not ntlm at all, not even close, nope nope nope nope nope"))).toThrow(
      expect.objectContaining({ failure: "malformed" }),
    );
    const acceptor = new NtlmAcceptor(lookup);
    expect(() => acceptor.accept(Buffer.alloc(100))).toThrow(expect.objectContaining({ failure: "state" }));
    expect(() => acceptor.challenge(Buffer.alloc(10))).toThrow(expect.objectContaining({ failure: "malformed" }));
    const h = handshake();
    h.acceptor.accept(h.authenticate);
    expect(() => h.acceptor.accept(h.authenticate)).toThrow(expect.objectContaining({ failure: "state" }));
  });

  it("splits DOMAIN\\user; a bare name or a UPN has an empty domain", () => {
    expect(splitUserName("CORP\\svc-cert")).toEqual({ domain: "CORP", username: "svc-cert" });
    expect(splitUserName("Administrator")).toEqual({ domain: "", username: "Administrator" });
    expect(splitUserName("svc@corp.example")).toEqual({ domain: "", username: "svc@corp.example" });
  });
});

describe("no secret leaves in an error or a dump", () => {
  /** Every encoding in which a secret might show. */
  function forms(secret: Buffer | string): string[] {
    const b = typeof secret === "string" ? Buffer.from(secret, "utf8") : secret;
    const out = [b.toString("hex"), b.toString("hex").toUpperCase(), b.toString("base64")];
    if (typeof secret === "string") out.push(secret, Buffer.from(secret, "utf16le").toString("hex"), Buffer.from(secret, "utf16le").toString("base64"));
    return out.filter((s) => s.length >= 8);
  }

  it("neither the password, the NT hash, NTOWFv2 nor the session keys appear in any failure's text or JSON", () => {
    const texts: string[] = [];
    const collect = (f: () => unknown): void => {
      try {
        f();
      } catch (e) {
        texts.push(String(e), (e as Error).stack ?? "", JSON.stringify(e), inspect(e, { depth: 5 }));
      }
    };
    const wrong = handshake("not-" + PASSWORD);
    collect(() => wrong.acceptor.accept(wrong.authenticate));
    const ok = handshake();
    const server: NtlmSession = ok.acceptor.accept(ok.authenticate);
    // The recomputed key is the real one: a session built on it opens what the server sealed.
    const reply = server.seal(Buffer.from("reply"));
    const probe = new NtlmSessionSecurity(sessionKeyOf(), decodeAuthenticate(ok.authenticate).flags, "initiator");
    expect(probe.unseal(reply.sealed, reply.signature)).toEqual(Buffer.from("reply"));
    const m = ok.initiator.session.seal(Buffer.from("payload"));
    const bad = Buffer.from(m.signature);
    bad[6]! ^= 1;
    collect(() => server.unseal(m.sealed, bad));
    const badMic = handshake();
    const mic = Buffer.from(badMic.authenticate);
    mic[MIC_OFFSET + 3]! ^= 1;
    collect(() => badMic.acceptor.accept(mic));
    expect(texts.length).toBe(12);

    // Dumps of the live objects too.
    texts.push(inspect(ok.initiator, { depth: 10, showHidden: true }), inspect(server, { depth: 10, showHidden: true }));
    texts.push(JSON.stringify(ok.initiator), JSON.stringify(server), inspect(ok.acceptor, { depth: 10, showHidden: true }));

    const secrets = [
      ...forms(PASSWORD),
      ...forms("not-" + PASSWORD),
      ...forms(ntHash(PASSWORD)),
      ...forms(ntowfv2(PASSWORD, "Administrator", "WIN-01")),
      // The exported session key: the initiator's second 16-byte draw from its random source.
      ...forms(sessionKeyOf()),
    ];
    for (const text of texts) for (const s of secrets) expect(text).not.toContain(s);
  });
});

/** Recomputes the exported session key `handshake()`'s initiator drew (client challenge first, then the key). */
function sessionKeyOf(): Buffer {
  const r = counterRandom(1);
  r(8);
  return r(16);
}
