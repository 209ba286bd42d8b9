import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { readPfx, readPfxFile, pfxPasswordFromEnv } from "../../src/certificate/pfx-read.js";
import { repackagePfx } from "../../src/certificate/pfx-repackage.js";
import { Secret } from "../../src/model/secret.js";
import { InputError } from "../../src/model/errors.js";

const DIR = "test/fixtures/pfx";
const PASS = "fixture-Pfx-Pass-7Qz";
const password = new Secret(PASS);
const thumbs = Object.fromEntries(
  readFileSync(`${DIR}/thumbprints.txt`, "utf8")
    .split("\n")
    .filter((l) => /^\w+ [0-9a-f]{40}$/.test(l))
    .map((l) => l.split(" ") as [string, string]),
);
const notBefore = Date.parse(/notBefore=(.*)/.exec(readFileSync(`${DIR}/thumbprints.txt`, "utf8"))![1]!);
const notAfter = Date.parse(/notAfter=(.*)/.exec(readFileSync(`${DIR}/thumbprints.txt`, "utf8"))![1]!);
const VALID = new Date(notBefore + 86_400_000);

const bytesOf = (name: string) => readFileSync(`${DIR}/${name}`);

/** The refusal for `name`, checked to be an exit-2 InputError naming the file and holding no secret. */
function refusal(name: string, opts: { pass?: string; now?: Date } = {}): string {
  const file = `${DIR}/${name}`;
  try {
    readPfx(file, bytesOf(name), new Secret(opts.pass ?? PASS), opts.now ?? VALID);
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    const e = err as InputError;
    expect(e.file).toBe(file);
    expect(e.message.startsWith(`${file}: `)).toBe(true);
    expect(e.message).not.toContain(PASS);
    if (opts.pass) expect(e.message).not.toContain(opts.pass);
    expect(JSON.stringify(e)).not.toContain(PASS);
    return e.message;
  }
  throw new Error(`${name} was accepted`);
}

describe("readPfx: what a good PFX yields", () => {
  for (const name of ["rsa-chain-aes.pfx", "rsa-chain-legacy.pfx"]) {
    it(`${name}: the leaf, its key, the intermediate; the root is left out`, () => {
      const pfx = readPfx(name, bytesOf(name), password, VALID);
      expect(pfx.leaf.certificate.thumbprint).toBe(thumbs.rsa);
      expect(pfx.leaf.certificate.dnsNames).toEqual(["shop.example.test", "www.shop.example.test"]);
      expect(pfx.keyDescription).toEqual({ algorithm: "rsa", bits: 2048 });
      expect(pfx.intermediates.map((c) => c.thumbprint)).toEqual([thumbs.int]);
      expect(pfx.ignored.map((c) => [c.thumbprint, c.reason])).toEqual([[thumbs.root, expect.stringContaining("never installs into Root")]]);
    });
  }

  it("an EC P-256 key is accepted", () => {
    const pfx = readPfx("ec-p256.pfx", bytesOf("ec-p256.pfx"), password, VALID);
    expect(pfx.keyDescription).toEqual({ algorithm: "ec", curve: "prime256v1" });
    expect(pfx.leaf.certificate.thumbprint).toBe(thumbs.p256);
  });

  it("the key and the password print as [secret] in JSON, strings and inspect", () => {
    const pfx = readPfx("rsa-chain-aes.pfx", bytesOf("rsa-chain-aes.pfx"), password, VALID);
    const keyB64 = pfx.key.reveal().toString("base64");
    for (const text of [JSON.stringify(pfx), inspect(pfx, { depth: 10 }), String(pfx.key), JSON.stringify(password), inspect(password)]) {
      expect(text).not.toContain(keyB64.slice(20, 60));
      expect(text).not.toContain(PASS);
    }
    expect(JSON.stringify({ k: pfx.key })).toBe('{"k":"[secret]"}');
  });

  it("readPfxFile reads from disk; a missing file is an InputError naming it", () => {
    expect(readPfxFile(`${DIR}/rsa-chain-aes.pfx`, password, VALID).leaf.certificate.thumbprint).toBe(thumbs.rsa);
    expect(() => readPfxFile(`${DIR}/absent.pfx`, password, VALID)).toThrow(/absent\.pfx: cannot read the file \(ENOENT\)/);
  });
});

describe("readPfx: every refusal is an InputError (exit 2) naming the file and the problem", () => {
  it("wrong password", () => {
    expect(refusal("rsa-chain-aes.pfx", { pass: "Wrong-Secret-Value-991" })).toMatch(/wrong password/);
    expect(refusal("rsa-chain-legacy.pfx", { pass: "Wrong-Secret-Value-991" })).toMatch(/wrong password/);
  });

  it("not a PFX at all", () => {
    const file = `${DIR}/README.md`;
    expect(() => readPfx(file, readFileSync(file), password, VALID)).toThrow(/README\.md: not a PKCS#12/);
  });

  it("no private key", () => {
    expect(refusal("no-key.pfx")).toMatch(/holds no private key/);
  });

  it("more than one leaf", () => {
    expect(refusal("two-leaves.pfx")).toMatch(/holds 2 end-entity certificates \([0-9a-f]{40}, [0-9a-f]{40}\); certfleet delivers exactly one/);
  });

  it("expired, and not yet valid", () => {
    expect(refusal("rsa-chain-aes.pfx", { now: new Date(notAfter + 1000) })).toMatch(new RegExp(`${thumbs.rsa} expired on 20`));
    expect(refusal("rsa-chain-aes.pfx", { now: new Date(notBefore - 1000) })).toMatch(/is not valid before 20/);
  });

  it("a CA certificate", () => {
    expect(refusal("ca-certificate.pfx")).toMatch(/is a CA certificate/);
  });

  it("key types the target builds cannot use: RSA 1024, EC P-521, Ed25519", () => {
    expect(refusal("rsa-1024.pfx")).toMatch(/RSA 1024-bit; certfleet needs at least 2048 bits/);
    expect(refusal("ec-p521.pfx")).toMatch(/EC curve secp521r1.*use P-256 or P-384/);
    expect(refusal("ed25519.pfx")).toMatch(/key type \(ed25519\)/);
  });

  it("a key that belongs to none of the certificates", () => {
    const good = readPfx("a.pfx", bytesOf("rsa-chain-aes.pfx"), password, VALID);
    const ec = readPfx("b.pfx", bytesOf("ec-p256.pfx"), password, VALID);
    const mismatched = repackagePfx({ leaf: good.leaf, key: ec.key }, "aes256-sha256", password);
    expect(() => readPfx("m.pfx", mismatched.reveal(), password, VALID)).toThrow(/m\.pfx: its private key belongs to none of its certificates/);
  });

  it("--pfx-password-env names a variable that is not set; a set one becomes a Secret", () => {
    expect(() => pfxPasswordFromEnv("CF_TEST_NOT_SET", {})).toThrow(/CF_TEST_NOT_SET is not set/);
    const s = pfxPasswordFromEnv("CF_PFX", { CF_PFX: PASS });
    expect(s.reveal()).toBe(PASS);
    expect(`${s}`).toBe("[secret]");
  });
});

describe("readPfx: a non-ASCII password", () => {
  const openssl = spawnSync("openssl", ["version"]).status === 0;
  it.skipIf(!openssl)("opens OpenSSL's AES (UTF-8 for PBES2, BMPString for the MAC) and legacy files; a near miss is a wrong password", () => {
    const dir = mkdtempSync(join(tmpdir(), "cf-pfx-utf8-"));
    try {
      const env = { ...process.env, CF_PW: "Pässwörd-Ω7" };
      const sh = (args: string[]) => expect(spawnSync("openssl", args, { cwd: dir, env, encoding: "utf8" }).status).toBe(0);
      sh(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "k.pem", "-out", "c.pem", "-days", "30", "-subj", "/CN=utf8.example.test", "-addext", "basicConstraints=critical,CA:FALSE"]);
      sh(["pkcs12", "-export", "-inkey", "k.pem", "-in", "c.pem", "-passout", "env:CF_PW", "-out", "aes.pfx"]);
      sh(["pkcs12", "-export", "-legacy", "-inkey", "k.pem", "-in", "c.pem", "-passout", "env:CF_PW", "-out", "legacy.pfx"]);
      for (const name of ["aes.pfx", "legacy.pfx"]) {
        const bytes = readFileSync(join(dir, name));
        expect(readPfx(name, bytes, new Secret("Pässwörd-Ω7"), new Date()).keyDescription).toEqual({ algorithm: "rsa", bits: 2048 });
        expect(() => readPfx(name, bytes, new Secret("Passwörd-Ω7"), new Date())).toThrow(/wrong password/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
