/**
 * Interoperability with an independent implementation: pywinrm 0.3's NTLM (ntlm-auth, through
 * requests-ntlm's calls) and its message encryption (`winrm/encryption.py`), from Debian's
 * python3-winrm, against certfleet's acceptor and framing. The peer script is
 * test/fixtures/winrm/ntlm_auth_peer.py. Skipped (and said so) when no Python has pywinrm.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createHash, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { createInterface, type Interface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { decryptMessage, encryptMessage, ENCRYPTED_CONTENT_TYPE } from "../../../src/transport/winrm/encryption.js";
import { certificateBindingHash, NtlmAcceptor, tlsServerEndPointBindings } from "../../../src/transport/winrm/ntlm/index.js";
import { decodeAuthenticate, decodeNegotiate, MIC_OFFSET } from "../../../src/transport/winrm/ntlm/messages.js";

const PEER = fileURLToPath(new URL("../../fixtures/winrm/ntlm_auth_peer.py", import.meta.url));
// ntlm-auth hashes with hashlib's MD4, which OpenSSL 3 keeps in its legacy provider.
const ENV = { ...process.env, OPENSSL_CONF: fileURLToPath(new URL("../../fixtures/winrm/openssl-legacy.cnf", import.meta.url)) };
const PYTHON = ["/usr/bin/python3", "python3"].find(
  (py) => spawnSync(py, ["-c", "import ntlm_auth, winrm.encryption"], { stdio: "ignore", env: ENV }).status === 0,
);

class Peer {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #lines: Interface;
  readonly #waiting: ((line: string) => void)[] = [];
  #stderr = "";

  constructor() {
    this.#child = spawn(PYTHON!, [PEER], { env: ENV });
    this.#child.stderr.on("data", (chunk: Buffer) => (this.#stderr += chunk.toString()));
    this.#lines = createInterface({ input: this.#child.stdout });
    this.#lines.on("line", (line) => this.#waiting.shift()?.(line));
  }

  async ask(message: object): Promise<Record<string, string>> {
    const answer = new Promise<string>((resolve, reject) => {
      this.#waiting.push(resolve);
      this.#child.once("exit", (code) => reject(new Error(`peer exited ${code}: ${this.#stderr}`)));
    });
    this.#child.stdin.write(JSON.stringify(message) + "\n");
    return JSON.parse(await answer) as Record<string, string>;
  }

  close(): void {
    this.#child.stdin.end();
    this.#lines.close();
  }
}

const b64 = (s: string): Buffer => Buffer.from(s, "base64");
const PASSWORD = "Intero9-Pass";

let peer: Peer | undefined;
afterEach(() => peer?.close());

async function logOn(password: string, opts: { certificateHash?: string; channelBindings?: Buffer } = {}) {
  peer = new Peer();
  const acceptor = new NtlmAcceptor((u, d) => (u === "svc-cert" && d === "WIN-01" ? PASSWORD : undefined), {
    computerName: "WIN-01",
    ...(opts.channelBindings ? { channelBindings: opts.channelBindings } : {}),
  });
  const negotiate = b64((await peer.ask({ user: "svc-cert", password, domain: "WIN-01", certificate_hash: opts.certificateHash })).negotiate!);
  const challenge = acceptor.challenge(negotiate);
  const authenticate = b64((await peer.ask({ challenge: challenge.toString("base64") })).authenticate!);
  return { peer, acceptor, negotiate, authenticate };
}

describe.skipIf(PYTHON === undefined)("pywinrm 0.3 (ntlm-auth) as the client", () => {
  it("logs on to the acceptor (OEM-only NEGOTIATE, MIC verified) and both directions of encryption interoperate", async () => {
    const { peer, acceptor, negotiate, authenticate } = await logOn(PASSWORD);
    expect(decodeNegotiate(negotiate).flags & 1).toBe(0); // ntlm-auth's NEGOTIATE is OEM-only
    expect(authenticate.subarray(MIC_OFFSET, MIC_OFFSET + 16)).not.toEqual(Buffer.alloc(16));
    const server = acceptor.accept(authenticate);
    expect(acceptor.user).toEqual({ username: "svc-cert", domain: "WIN-01" });
    expect(decodeAuthenticate(authenticate).flags & 0x20).toBe(0x20);

    for (let i = 0; i < 25; i++) {
      const request = Buffer.from(`<s:Envelope n="${i}">${"é".repeat(i * 97)}</s:Envelope>`);
      const fromPeer = b64((await peer.ask({ op: "encrypt", data: request.toString("base64") })).body!);
      expect(decryptMessage(server, fromPeer, ENCRYPTED_CONTENT_TYPE)).toEqual(request);

      const reply = Buffer.from(`<s:Envelope reply="${i}">${"x".repeat(i * 331)}</s:Envelope>`);
      const { body } = encryptMessage(server, reply);
      const answer = await peer.ask({ op: "decrypt", body: body.toString("base64") });
      expect(answer.error).toBeUndefined();
      expect(b64(answer.data!)).toEqual(reply);
    }
  });

  it("a tampered body from the server is rejected by pywinrm's side", async () => {
    const { peer, acceptor, authenticate } = await logOn(PASSWORD);
    const server = acceptor.accept(authenticate);
    const { body } = encryptMessage(server, Buffer.from("<s:Envelope>ok</s:Envelope>"));
    body[body.length - 30]! ^= 1;
    const answer = await peer.ask({ op: "decrypt", body: body.toString("base64") });
    expect(answer.error).toMatch(/signature|checksum/i);
  });

  it("channel binding over HTTPS: pywinrm's binding for the server's certificate is accepted, for another refused", async () => {
    const der = (name: string): Buffer => new X509Certificate(readFileSync(new URL(`../../fixtures/winrm/cbt/${name}`, import.meta.url))).raw;
    const mine = der("rsa-sha384.pem");
    const certificateHash = createHash(certificateBindingHash(mine)).update(mine).digest("hex").toUpperCase();

    const good = await logOn(PASSWORD, { certificateHash, channelBindings: tlsServerEndPointBindings(mine) });
    expect(() => good.acceptor.accept(good.authenticate)).not.toThrow();
    good.peer.close();

    const relayed = await logOn(PASSWORD, { certificateHash, channelBindings: tlsServerEndPointBindings(der("rsa-sha256.pem")) });
    expect(() => relayed.acceptor.accept(relayed.authenticate)).toThrow(expect.objectContaining({ failure: "refused" }));
  });

  it("a wrong password is refused", async () => {
    const { acceptor, authenticate } = await logOn("not-the-password");
    expect(() => acceptor.accept(authenticate)).toThrow(expect.objectContaining({ failure: "refused", kind: "auth" }));
  });
});
