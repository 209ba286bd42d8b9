/**
 * The real PFX password, the PFX bytes and the private key appear in nothing the controller-side
 * PFX code produces for people or files: refusal messages, JSON, util.inspect, String() of every
 * value it returns, and the classified host answers. Searched as text, base64, hex and UTF-16.
 */
import { readFileSync } from "node:fs";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { readPfx } from "../../src/certificate/pfx-read.js";
import { oneTimePassword, repackagePfx } from "../../src/certificate/pfx-repackage.js";
import { Secret } from "../../src/model/secret.js";
import { classifyImportPfx } from "../../src/windows/importpfx-result.js";

const DIR = "test/fixtures/pfx";
const PASS = "fixture-Pfx-Pass-7Qz";
const WRONG = "Wrong-Okapi-4410-vellum";
const notBefore = Date.parse(/notBefore=(.*)/.exec(readFileSync(`${DIR}/thumbprints.txt`, "utf8"))![1]!);
const VALID = new Date(notBefore + 86_400_000);

function forms(secret: Buffer): string[] {
  const slices = [secret.subarray(0, Math.min(secret.length, 24)), secret.subarray(Math.max(0, secret.length - 24))];
  return slices.flatMap((b) => [
    b.toString("latin1"),
    b.toString("base64").slice(0, 24),
    b.toString("base64url").slice(0, 24),
    b.toString("hex"),
    b.toString("hex").toUpperCase(),
  ]);
}
const textForms = (s: string): string[] => [s, ...forms(Buffer.from(s, "utf8")), Buffer.from(s, "utf16le").toString("latin1")];

function expectClean(output: string, secrets: string[]): void {
  for (const f of secrets) expect(output.includes(f), `found a secret form ${JSON.stringify(f.slice(0, 8))}…`).toBe(false);
}

const FILES = ["rsa-chain-aes.pfx", "rsa-chain-legacy.pfx", "no-key.pfx", "two-leaves.pfx", "ca-certificate.pfx", "rsa-1024.pfx", "ec-p521.pfx", "ed25519.pfx", "ec-p256.pfx"];

describe("no secret in any output of the PFX code", () => {
  it("refusals and successful reads, with the right and a wrong password", () => {
    for (const name of FILES) {
      const bytes = readFileSync(`${DIR}/${name}`);
      const secrets = [...textForms(PASS), ...textForms(WRONG), ...forms(bytes.subarray(200, 400))];
      for (const pass of [PASS, WRONG]) {
        let output: string;
        try {
          const pfx = readPfx(name, bytes, new Secret(pass), VALID);
          secrets.push(...forms(pfx.key.reveal()));
          output = [JSON.stringify(pfx), inspect(pfx, { depth: 20 }), String(pfx.key)].join("\n");
        } catch (err) {
          output = [String(err), JSON.stringify(err), inspect(err, { depth: 20 })].join("\n");
        }
        expectClean(output, secrets);
      }
    }
  });

  it("re-packaged bytes and one-time passwords print as [secret]", () => {
    const pfx = readPfx("a.pfx", readFileSync(`${DIR}/rsa-chain-aes.pfx`), new Secret(PASS), VALID);
    const otp = oneTimePassword();
    const bytes = repackagePfx(pfx, "legacy-3des-sha1", otp);
    const output = [JSON.stringify({ bytes, otp }), inspect({ bytes, otp }), `${bytes} ${otp}`].join("\n");
    expect(output).toContain("[secret]");
    expectClean(output, [...textForms(otp.reveal()), ...forms(bytes.reveal().subarray(100, 300)), ...forms(pfx.key.reveal())]);
  });

  it("a classified host answer carries no one-time password, whatever the host echoed", () => {
    const otp = oneTimePassword();
    const echoed = `+ certutil -f -p ${otp.reveal()} -importpfx My C:\\ProgramData\\certfleet\\r\\certificate.pfx\r\nCertUtil: -importPFX command FAILED: 0x80070056 (WIN32: 86 ERROR_INVALID_PASSWORD)`;
    const r = classifyImportPfx(echoed, 1, { format: "legacy-3des-sha1", build: 14393, password: otp });
    expectClean(JSON.stringify(r), [otp.reveal()]);
  });
});
