/** A CHALLENGE recorded from a Windows WinRM listener (test/fixtures/winrm/windows-ntlm-challenge.md). */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { NtlmAcceptor, NtlmInitiator } from "../../../src/transport/winrm/ntlm/index.js";
import { AvId, decodeAuthenticate, decodeAvPairs, decodeChallenge } from "../../../src/transport/winrm/ntlm/messages.js";

const fixture = readFileSync(new URL("../../fixtures/winrm/windows-ntlm-challenge.md", import.meta.url), "utf8");
const WINDOWS_CHALLENGE = Buffer.from(/^WWW-Authenticate: Negotiate (\S+)$/m.exec(fixture)![1]!, "base64");

describe("a Windows WinRM listener's CHALLENGE", () => {
  const c = decodeChallenge(WINDOWS_CHALLENGE);

  it("decodes: flags, target name, AV pairs with a timestamp", () => {
    expect(c.flags >>> 0).toBe(0xe28a8235);
    expect(c.targetName).toBe("WIN-G0F9BDLFGLG");
    expect(c.targetInfo.map((p) => [p.id, p.id === AvId.TIMESTAMP ? p.value.toString("hex") : p.value.toString("utf16le")])).toEqual([
      [AvId.NB_DOMAIN_NAME, "WIN-G0F9BDLFGLG"],
      [AvId.NB_COMPUTER_NAME, "WIN-G0F9BDLFGLG"],
      [AvId.DNS_DOMAIN_NAME, "DESKTOP-6EFEMBB"],
      [AvId.DNS_COMPUTER_NAME, "DESKTOP-6EFEMBB"],
      [AvId.TIMESTAMP, "6f3e6af82204d601"],
    ]);
  });

  it("the initiator answers it with NTLMv2, the server's timestamp, a MIC, and every sealing flag", () => {
    const initiator = new NtlmInitiator({ username: "Administrator", domain: "", password: "pw" });
    initiator.negotiate();
    const a = decodeAuthenticate(initiator.authenticate(WINDOWS_CHALLENGE));
    expect(a.flags >>> 0).toBe(0xe2888235);
    const blob = a.ntChallengeResponse.subarray(16);
    expect(blob.subarray(8, 16).toString("hex")).toBe("6f3e6af82204d601");
    expect(decodeAvPairs(blob.subarray(28)).find((p) => p.id === AvId.FLAGS)?.value.readUInt32LE(0)).toBe(2);
    expect(a.lmChallengeResponse).toEqual(Buffer.alloc(24));
    expect(a.hasMicField).toBe(true);
    expect(initiator.session.flags >>> 0).toBe(0xe2888235);
  });

  it("the acceptor's CHALLENGE to certfleet's NEGOTIATE has Windows' flags and AV pair layout", () => {
    const ours = decodeChallenge(
      new NtlmAcceptor(() => undefined, { computerName: "WIN-01" }).challenge(new NtlmInitiator({ username: "u", domain: "", password: "p" }).negotiate()),
    );
    expect(ours.flags >>> 0).toBe(c.flags >>> 0);
    expect(ours.targetInfo.map((p) => p.id)).toEqual(c.targetInfo.map((p) => p.id));
    expect(ours.targetInfo.find((p) => p.id === AvId.TIMESTAMP)!.value.length).toBe(8);
  });
});

