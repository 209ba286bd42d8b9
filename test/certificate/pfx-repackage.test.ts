import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import forge from "node-forge";
import { afterAll, describe, expect, it } from "vitest";
import { readPfx } from "../../src/certificate/pfx-read.js";
import { oneTimePassword, pfxFormatFor, repackagePfx, type PfxFormat } from "../../src/certificate/pfx-repackage.js";
import { Secret } from "../../src/model/secret.js";

const DIR = "test/fixtures/pfx";
const password = new Secret("fixture-Pfx-Pass-7Qz");
const notBefore = Date.parse(/notBefore=(.*)/.exec(readFileSync(`${DIR}/thumbprints.txt`, "utf8"))![1]!);
const VALID = new Date(notBefore + 86_400_000);
const source = readPfx("rsa-chain-aes.pfx", readFileSync(`${DIR}/rsa-chain-aes.pfx`), password, VALID);
const ecSource = readPfx("ec-p256.pfx", readFileSync(`${DIR}/ec-p256.pfx`), password, VALID);

const OID = {
  pbeWithSHAAnd3KeyTripleDESCBC: "1.2.840.113549.1.12.1.3",
  pbes2: "1.2.840.113549.1.5.13",
  pbkdf2: "1.2.840.113549.1.5.12",
  hmacWithSHA256: "1.2.840.113549.2.9",
  aes256CBC: "2.16.840.1.101.3.4.1.42",
  sha1: "1.3.14.3.2.26",
  sha256: "2.16.840.1.101.3.4.2.1",
};

/** Every OID in a DER structure, in order, descending into OCTET STRINGs that hold DER. */
function oids(der: string): string[] {
  const out: string[] = [];
  const walk = (node: forge.asn1.Asn1) => {
    if (node.type === forge.asn1.Type.OID && typeof node.value === "string") out.push(forge.asn1.derToOid(node.value));
    if (Array.isArray(node.value)) node.value.forEach(walk);
    else if (node.type === forge.asn1.Type.OCTETSTRING && typeof node.value === "string") {
      try {
        walk(forge.asn1.fromDer(node.value));
      } catch {
        /* raw bytes, not DER */
      }
    }
  };
  walk(forge.asn1.fromDer(der));
  return out;
}

describe("pfxFormatFor: legacy for builds older than 17763", () => {
  it.each([
    [9600, "legacy-3des-sha1"],
    [14393, "legacy-3des-sha1"],
    [17762, "legacy-3des-sha1"],
    [17763, "aes256-sha256"],
    [20348, "aes256-sha256"],
    [26100, "aes256-sha256"],
  ])("build %i -> %s", (build, format) => {
    expect(pfxFormatFor(build)).toBe(format);
  });
});

describe("oneTimePassword", () => {
  it("32 letters and digits, fresh each time", () => {
    const a = oneTimePassword().reveal();
    const b = oneTimePassword().reveal();
    expect(a).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(b).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(a).not.toBe(b);
  });

  it("rejects bytes 248..255 so that every character is equally likely", () => {
    let call = 0;
    const random = (n: number) => Buffer.alloc(n, call++ === 0 ? 255 : 63); // first batch all rejected; 63 % 62 = 1 -> "B"
    expect(oneTimePassword(random).reveal()).toBe("B".repeat(32));
    expect(call).toBe(2);
  });
});

describe("repackagePfx", () => {
  const otp = oneTimePassword();
  const cases: Array<[PfxFormat, string[], string[]]> = [
    ["legacy-3des-sha1", [OID.pbeWithSHAAnd3KeyTripleDESCBC, OID.sha1], [OID.pbes2, OID.aes256CBC, OID.sha256]],
    ["aes256-sha256", [OID.pbes2, OID.pbkdf2, OID.hmacWithSHA256, OID.aes256CBC, OID.sha256], [OID.pbeWithSHAAnd3KeyTripleDESCBC, OID.sha1]],
  ];

  for (const [format, present, absent] of cases) {
    it(`${format}: reads back with the one-time password (same leaf, same key, no chain)`, () => {
      const bytes = repackagePfx(source, format, otp).reveal();
      const back = readPfx("host.pfx", bytes, otp, VALID);
      expect(back.leaf.certificate.thumbprint).toBe(source.leaf.certificate.thumbprint);
      expect(back.key.reveal().equals(source.key.reveal())).toBe(true);
      expect(back.intermediates).toEqual([]);
      expect(back.ignored).toEqual([]);
      expect(() => readPfx("host.pfx", bytes, password, VALID)).toThrow(/wrong password/);
    });

    it(`${format}: the algorithm identifiers Windows expects`, () => {
      const found = oids(repackagePfx(source, format, otp).reveal().toString("binary"));
      for (const id of present) expect(found).toContain(id);
      for (const id of absent) expect(found).not.toContain(id);
    });
  }

  it("an EC key re-packages and reads back in both formats", () => {
    for (const format of ["legacy-3des-sha1", "aes256-sha256"] as const) {
      const back = readPfx("ec.pfx", repackagePfx(ecSource, format, otp).reveal(), otp, VALID);
      expect(back.keyDescription).toEqual({ algorithm: "ec", curve: "prime256v1" });
      expect(back.key.reveal().equals(ecSource.key.reveal())).toBe(true);
    }
  });

  it("two packages of the same certificate differ (fresh salts), and neither holds the password", () => {
    const a = repackagePfx(source, "aes256-sha256", otp).reveal();
    const b = repackagePfx(source, "aes256-sha256", otp).reveal();
    expect(a.equals(b)).toBe(false);
    for (const bytes of [a, b]) {
      expect(bytes.includes(Buffer.from(otp.reveal()))).toBe(false);
      expect(bytes.includes(Buffer.from(otp.reveal(), "utf16le"))).toBe(false);
    }
  });

  const openssl = spawnSync("openssl", ["version"]).status === 0;
  const work = mkdtempSync(join(tmpdir(), "cf-pfx-"));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it.skipIf(!openssl)("OpenSSL reads both formats and names the algorithms", () => {
    const info = (format: PfxFormat) => {
      const file = join(work, `${format}.pfx`);
      writeFileSync(file, repackagePfx(source, format, otp).reveal());
      const args = ["pkcs12", "-info", "-noout", "-in", file, "-passin", "env:CF_OTP"];
      if (format === "legacy-3des-sha1") args.push("-legacy");
      // -info prints the algorithms on stderr
      const r = spawnSync("openssl", args, { env: { ...process.env, CF_OTP: otp.reveal() }, encoding: "utf8" });
      expect(r.status).toBe(0);
      return r.stdout + r.stderr;
    };
    const legacy = spawnSync("openssl", ["pkcs12", "-help"], { encoding: "utf8" });
    expect(legacy.stderr + legacy.stdout).toContain("-legacy");
    expect(info("legacy-3des-sha1")).toMatch(/MAC: sha1[\s\S]*Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC/);
    expect(info("aes256-sha256")).toMatch(/MAC: sha256[\s\S]*Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration 2048, PRF hmacWithSHA256/);
  });
});
