/**
 * Bytes from the network are hostile: whatever a peer sends, the NTLM decoders, the acceptor and
 * the WinRM decryption fail only with their typed errors (never a RangeError from a read past the
 * end, never a TypeError), and never accept.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CertfleetError } from "../../../src/model/errors.js";
import { decryptMessage, ENCRYPTED_CONTENT_TYPE, encryptMessage } from "../../../src/transport/winrm/encryption.js";
import { NtlmAcceptor, NtlmError, NtlmInitiator, NtlmSessionSecurity } from "../../../src/transport/winrm/ntlm/index.js";
import { decodeAuthenticate, decodeAvPairs, decodeChallenge, decodeNegotiate } from "../../../src/transport/winrm/ntlm/messages.js";

const PASSWORD = "Fuzz-Pa55";

function typedFailure(f: () => unknown, type: new (...args: never[]) => Error): boolean {
  try {
    f();
    return true;
  } catch (e) {
    if (e instanceof type) return true;
    throw e;
  }
}

/** A valid message with some bytes overwritten, or cut short, or both. */
const mutated = (valid: Buffer) =>
  fc
    .record({
      edits: fc.array(fc.tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
      cut: fc.option(fc.nat({ max: valid.length }), { nil: undefined }),
    })
    .map(({ edits, cut }) => {
      const b = Buffer.from(valid);
      for (const [at, v] of edits) b[at] = v;
      return cut === undefined ? b : b.subarray(0, cut);
    });

const withHeader = (type: number) =>
  fc.uint8Array({ minLength: 0, maxLength: 200 }).map((rest) => {
    const head = Buffer.alloc(12);
    head.write("NTLMSSP\0", "latin1");
    head.writeUInt32LE(type, 8);
    return Buffer.concat([head, Buffer.from(rest)]);
  });

describe("hostile NTLM bytes", () => {
  it("the decoders throw only NtlmError on any input", () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)), withHeader(1), withHeader(2), withHeader(3)), (buf) => {
        for (const decode of [decodeNegotiate, decodeChallenge, decodeAuthenticate, decodeAvPairs]) {
          expect(typedFailure(() => decode(buf), NtlmError)).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("the acceptor refuses every altered AUTHENTICATE with an NtlmError; the client meets altered CHALLENGEs with NtlmError or an answer", () => {
    const initiator = new NtlmInitiator({ username: "admin", domain: "", password: PASSWORD }, { random: (n) => Buffer.alloc(n, 3) });
    const fixedRandom = (n: number) => Buffer.alloc(n, 4);
    const negotiate = initiator.negotiate();
    const challenge = new NtlmAcceptor(() => PASSWORD, { random: fixedRandom, now: () => new Date(0) }).challenge(negotiate);
    const authenticate = initiator.authenticate(challenge);

    fc.assert(
      fc.property(mutated(authenticate), (bad) => {
        fc.pre(!bad.equals(authenticate));
        const acceptor = new NtlmAcceptor(() => PASSWORD, { random: fixedRandom, now: () => new Date(0) });
        acceptor.challenge(negotiate);
        let accepted = false;
        expect(
          typedFailure(() => {
            acceptor.accept(bad);
            accepted = true;
          }, NtlmError),
        ).toBe(true);
        // The MIC covers every byte of the message, so no alteration at all gets through.
        expect(accepted).toBe(false);
      }),
      { numRuns: 400 },
    );

    fc.assert(
      fc.property(mutated(challenge), (bad) => {
        const client = new NtlmInitiator({ username: "admin", domain: "", password: PASSWORD });
        client.negotiate();
        expect(typedFailure(() => client.authenticate(bad), NtlmError)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("decryption fails only with typed errors on altered bodies, and never returns altered plaintext", () => {
    const key = Buffer.alloc(16, 0x42);
    const soap = Buffer.from("<s:Envelope><s:Body>reply</s:Body></s:Envelope>");
    const { body } = encryptMessage(new NtlmSessionSecurity(key, 0xe2888235, "acceptor"), soap);
    fc.assert(
      fc.property(mutated(body), (bad) => {
        const client = new NtlmSessionSecurity(key, 0xe2888235, "initiator");
        let out: Buffer | undefined;
        expect(typedFailure(() => (out = decryptMessage(client, bad, ENCRYPTED_CONTENT_TYPE)), CertfleetError)).toBe(true);
        if (out !== undefined) expect(out).toEqual(soap);
      }),
      { numRuns: 500 },
    );
  });
});
