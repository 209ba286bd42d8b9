/** Channel binding (Extended Protection) for NTLM over HTTPS; expected values: test/fixtures/winrm/cbt/README.md. */
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  certificateBindingHash,
  NtlmAcceptor,
  NtlmInitiator,
  tlsServerEndPointBindings,
} from "../../../src/transport/winrm/ntlm/index.js";
import { AvId, decodeAuthenticate, decodeAvPairs } from "../../../src/transport/winrm/ntlm/messages.js";

const der = (name: string): Buffer => new X509Certificate(readFileSync(new URL(`../../fixtures/winrm/cbt/${name}`, import.meta.url))).raw;

const CASES: [string, string, string][] = [
  ["rsa-sha256.pem", "sha256", "0839acf96ec1297866518ae1bf1f25de"],
  ["rsa-sha384.pem", "sha384", "797e82f1cd5393adbc7b0b75057375a3"],
  ["ecdsa-sha512.pem", "sha512", "cdf72750afabf57029ac0a6e654050c7"],
  ["rsa-sha1.pem", "sha256", "42cbad0580c2327f6c4ded4ddb9f32bf"],
];

function logOn(clientBindings: Buffer | undefined, serverBindings: Buffer | undefined) {
  const initiator = new NtlmInitiator({ username: "admin", domain: "", password: "pw" }, clientBindings ? { channelBindings: clientBindings } : {});
  const acceptor = new NtlmAcceptor(() => "pw", serverBindings ? { channelBindings: serverBindings } : {});
  const authenticate = initiator.authenticate(acceptor.challenge(initiator.negotiate()));
  return { authenticate, accept: () => acceptor.accept(authenticate) };
}

describe("tls-server-end-point channel bindings", () => {
  it.each(CASES)("%s: hash %s, MsvAvChannelBindings as pywinrm computes it", (file, hash, expected) => {
    expect(certificateBindingHash(der(file))).toBe(hash);
    expect(tlsServerEndPointBindings(der(file)).toString("hex")).toBe(expected);
  });

  it("the client puts the bindings in its NTLMv2 blob; a server with the same certificate accepts", () => {
    const cbt = tlsServerEndPointBindings(der("rsa-sha256.pem"));
    const { authenticate, accept } = logOn(cbt, cbt);
    const pairs = decodeAvPairs(decodeAuthenticate(authenticate).ntChallengeResponse.subarray(16 + 28));
    expect(pairs.find((p) => p.id === AvId.CHANNEL_BINDINGS)?.value).toEqual(cbt);
    expect(() => accept()).not.toThrow();
  });

  it("a server behind another certificate refuses (a relayed or proxied logon)", () => {
    const { accept } = logOn(tlsServerEndPointBindings(der("rsa-sha256.pem")), tlsServerEndPointBindings(der("rsa-sha384.pem")));
    expect(accept).toThrow(expect.objectContaining({ failure: "refused", message: expect.stringMatching(/channel binding/) }));
  });

  it("a client without bindings is still accepted (Relaxed, Windows' WinRM default); a server without expectations accepts any", () => {
    expect(logOn(undefined, tlsServerEndPointBindings(der("rsa-sha1.pem"))).accept).not.toThrow();
    expect(logOn(tlsServerEndPointBindings(der("rsa-sha1.pem")), undefined).accept).not.toThrow();
  });

  it("refuses bindings that are not a 16-byte MD5", () => {
    expect(() => new NtlmInitiator({ username: "a", domain: "", password: "p" }, { channelBindings: Buffer.alloc(32) })).toThrow(RangeError);
    expect(() => new NtlmAcceptor(() => "p", { channelBindings: Buffer.alloc(15) })).toThrow(RangeError);
  });
});
