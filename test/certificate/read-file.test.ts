import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { InputError } from "../../src/model/errors.js";
import { resolveNewCertificate } from "../../src/certificate/read-file.js";
import { createCa, createCertificate, toCerFile, toPem, toPfx } from "../../src/simulator/pki.js";

const dir = mkdtempSync(join(tmpdir(), "certfleet-newcert-"));
const ca = createCa("CN=Test Issuing CA, O=Test");
const cert = createCertificate({
  subject: "CN=*.example.com, O=Example Corp, C=US",
  dnsNames: ["*.example.com", "example.com"],
  notBefore: new Date("2026-11-01T00:00:00Z"),
  notAfter: new Date("2027-12-01T00:00:00Z"),
  issuer: ca,
});

describe("--new", () => {
  it("takes a thumbprint as users paste it: spaces, colons, upper case, the U+200E mark", () => {
    const spaced = cert.thumbprint.toUpperCase().match(/../g)!.join(" ");
    expect(resolveNewCertificate(`\u200e${spaced}`)).toEqual({ thumbprint: cert.thumbprint, source: "thumbprint" });
    expect(resolveNewCertificate(cert.thumbprint.match(/../g)!.join(":")).thumbprint).toBe(cert.thumbprint);
  });

  it("reads thumbprint, subject in Windows order, SANs and validity from .cer (DER) and .pem", () => {
    const der = join(dir, "new.cer");
    const pem = join(dir, "new.pem");
    writeFileSync(der, toCerFile(cert));
    writeFileSync(pem, toPem(cert));
    for (const file of [der, pem]) {
      const c = resolveNewCertificate(file);
      expect(c).toMatchObject({
        thumbprint: cert.thumbprint,
        source: "file",
        dnsNames: ["*.example.com", "example.com"],
        notBefore: "2026-11-01T00:00:00.000Z",
        notAfter: "2027-12-01T00:00:00.000Z",
      });
      expect(c.subject).toMatch(/^CN=\*\.example\.com, O=Example Corp, C=US$/);
    }
  });

  it("opens a .pfx with the password from the named environment variable and picks the leaf, not the CA", () => {
    const file = join(dir, "new.pfx");
    writeFileSync(file, toPfx(cert, "s3cret-pfx", [ca.cert]));
    const c = resolveNewCertificate(file, { pfxPasswordEnv: "PFX_PW", env: { PFX_PW: "s3cret-pfx" } });
    expect(c.thumbprint).toBe(cert.thumbprint);
  });

  it("refuses a wrong PFX password, an unset variable and a non-certificate without echoing the secret", () => {
    const file = join(dir, "wrong.pfx");
    writeFileSync(file, toPfx(cert, "right-one"));
    let err: unknown;
    try {
      resolveNewCertificate(file, { pfxPasswordEnv: "PFX_PW", env: { PFX_PW: "wrong-one" } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect(String((err as Error).message)).not.toContain("wrong-one");
    expect(() => resolveNewCertificate(file, { pfxPasswordEnv: "UNSET_VAR", env: {} })).toThrow(/UNSET_VAR is not set/);
    const junk = join(dir, "junk.cer");
    writeFileSync(junk, "not a certificate");
    expect(() => resolveNewCertificate(junk)).toThrow(InputError);
    expect(() => resolveNewCertificate("12345")).toThrow(/neither a SHA-1 thumbprint/);
  });
});
