import { X509Certificate, createHash, createPrivateKey } from "node:crypto";
import { mkdtemp, readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import forge from "node-forge";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { createCa, createCertificate, demoCertificates, demoFleetSpecs, startFleet, toCerFile, toPfx } from "../../src/simulator/index.js";
import { closeConnections, run } from "./helpers.js";

describe("pki", () => {
  it("creates real certificates whose thumbprint is the SHA-1 of the DER", () => {
    const ca = createCa("CN=Unit CA");
    const cert = createCertificate({
      subject: "CN=a.example.com, O=Unit",
      dnsNames: ["a.example.com", "b.example.com"],
      notBefore: new Date("2026-01-01T00:00:00Z"),
      notAfter: new Date("2027-01-01T00:00:00Z"),
      issuer: ca,
      serial: "0abc12",
    });
    const x = new X509Certificate(cert.der);
    expect(cert.thumbprint).toBe(createHash("sha1").update(cert.der).digest("hex"));
    expect(cert.thumbprint).toMatch(/^[0-9a-f]{40}$/);
    expect(x.subjectAltName).toBe("DNS:a.example.com, DNS:b.example.com");
    expect(x.verify(new X509Certificate(ca.cert.der).publicKey)).toBe(true);
    expect(x.checkPrivateKey(createPrivateKey(cert.keyPem))).toBe(true);
    expect(x.validTo).toBe("Jan  1 00:00:00 2027 GMT");
    expect(cert.issuer).toBe("CN=Unit CA");
    expect(cert.serial).toBe("0abc12");
    expect(toCerFile(cert).equals(cert.der)).toBe(true);
  });

  it("exports a PKCS#12 that opens with the password", () => {
    const ca = createCa("CN=Unit CA 2");
    const cert = createCertificate({ subject: "x.example.com", dnsNames: ["x.example.com"], notBefore: new Date(), notAfter: new Date(Date.now() + 86_400_000), issuer: ca });
    const pfx = toPfx(cert, "s3cret", [ca.cert]);
    const p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(pfx.toString("binary")), "s3cret");
    const certBag = forge.pki.oids.certBag as string;
    const bags = p12.getBags({ bagType: certBag })[certBag] ?? [];
    expect(bags).toHaveLength(2);
    expect(() => forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(pfx.toString("binary")), "wrong")).toThrow();
  });
});

describe("demo fleet", () => {
  it("mixes OS, languages, shells, binding kinds and faults, sharing one old and one new certificate", () => {
    const specs = demoFleetSpecs();
    const { oldCert, newCert } = demoCertificates();
    expect(specs).toHaveLength(24);
    expect(new Set(specs.map((s) => s.profile?.os))).toEqual(new Set(["2012r2", "2016", "2022", "2025"]));
    expect(new Set(specs.map((s) => s.profile?.language))).toEqual(new Set(["en", "fr", "de"]));
    expect(new Set(specs.map((s) => s.profile?.shell))).toEqual(new Set(["cmd", "powershell"]));
    const endpoints = specs.flatMap((s) => s.bindings ?? []).map((b) => b.endpoint);
    for (const e of ["www.example.com:443", "api.example.com:443", "[::]:443", "0.0.0.0:444", "sts.example.com:443", "0.0.0.0:8443"]) {
      expect(endpoints).toContain(e);
    }
    expect(specs.every((s) => s.certificates?.some((c) => c.cert.thumbprint === newCert.thumbprint))).toBe(true);
    expect(specs.some((s) => s.certificates?.some((c) => c.cert === newCert && c.hasPrivateKey === false))).toBe(true);
    expect(specs.some((s) => s.faults?.unreachable)).toBe(true);
    expect(specs.some((s) => s.faults?.notElevated)).toBe(true);
    expect(oldCert.notAfter.getTime()).toBeLessThan(newCert.notAfter.getTime());
    expect(oldCert.dnsNames).toEqual(newCert.dnsNames);
  });

  it("starts, answers over SSH and writes a usable inventory", async () => {
    const fleet = await startFleet(demoFleetSpecs(6));
    try {
      const web02 = fleet.host("web02");
      const r = await run(fleet, web02, "netsh http show sslcert");
      expect(r.stdout.toString()).toContain(demoCertificates().oldCert.thumbprint);
      const dir = await mkdtemp(join(tmpdir(), "certfleet-sim-"));
      const files = await fleet.writeFiles(dir);
      const inv = parse(await readFile(files.inventory, "utf8")) as { defaults: Record<string, unknown>; hosts: Record<string, { port: number }> };
      expect(inv.defaults).toMatchObject({ user: "certadmin", identityFile: files.identityFile, knownHostsFile: files.knownHostsFile, shell: "auto" });
      expect(inv.hosts.web02?.port).toBe(web02.sshPort);
      expect(((await stat(files.identityFile)).mode & 0o777).toString(8)).toBe("600");
      expect(await readFile(files.knownHostsFile, "utf8")).toContain(`[127.0.0.1]:${web02.sshPort} ssh-ed25519 `);
    } finally {
      await closeConnections();
      await fleet.stop();
    }
  });
});
