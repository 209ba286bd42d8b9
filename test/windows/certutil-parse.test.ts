import { describe, expect, it } from "vitest";
import { Certificate } from "../../src/model/certificate.js";
import { parseCertutilDate, parseCertutilStore } from "../../src/windows/certutil-parse.js";
import { constructed, sample, variants } from "./helpers.js";

function check(
  text: string,
  expected: { certificates: Certificate[]; warnings: string[] },
  opts: { oem?: boolean } = {},
): void {
  for (const [form, input] of variants(text, opts)) {
    const result = parseCertutilStore(input);
    try {
      expect(result).toEqual(expected);
      for (const c of result.certificates) expect(Certificate.parse(c)).toEqual(c);
    } catch (err) {
      throw new Error(`${form}: ${(err as Error).message}`, { cause: err });
    }
  }
}

describe("parseCertutilStore on the real samples", () => {
  it("Missing stored keyset on every certificate, Archived!, en-US AM/PM dates (htb)", () => {
    check(sample("certutil-store-my-missing-keyset-archived-htb.txt"), {
      certificates: [
        {
          thumbprint: "82ad1e0c20a332c8d6adac3e5ea243204b85d3a7",
          subject: "CN=certificate-DC01-CA, DC=certificate, DC=htb",
          issuer: "CN=certificate-DC01-CA, DC=certificate, DC=htb",
          serial: "472cb6148184a9894f6d4d2587b1b165",
          notBefore: "2024-11-03T15:30:00Z",
          notAfter: "2029-11-03T15:40:00Z",
          hasPrivateKey: false,
        },
        {
          thumbprint: "779a97b1d8e492b5bafebc02338845ffdff76ad2",
          subject: "CN=DC01.certificate.htb",
          issuer: "CN=Certificate-LTD-CA, DC=certificate, DC=htb",
          serial: "5800000002ca70ea4e42f218a6000000000002",
          notBefore: "2024-11-03T20:14:00Z",
          notAfter: "2025-11-03T20:14:00Z",
          hasPrivateKey: false,
          template: "DomainController, Domain Controller",
        },
        {
          thumbprint: "2f02901dcff083ed3dbb6cb0a15bbfee6002b1a8",
          subject: "CN=Certificate-LTD-CA, DC=certificate, DC=htb",
          issuer: "CN=Certificate-LTD-CA, DC=certificate, DC=htb",
          serial: "75b2f4bbf31f108945147b466131bdca",
          notBefore: "2024-11-03T15:55:00Z",
          notAfter: "2034-11-03T16:05:00Z",
          hasPrivateKey: false,
          template: "CA, Root Certification Authority",
        },
      ],
      warnings: [],
    });
  });

  it("NOT exportable still means a key is present; templates; AM dates (pki lab)", () => {
    const admin = {
      subject: "CN=PKI Admin, OU=PKI Admins, DC=corp, DC=cvilab, DC=local",
      issuer: "CN=CVI Issuing CA 1, DC=corp, DC=cvilab, DC=local",
      notAfter: "2027-04-25T19:36:00Z",
      hasPrivateKey: true,
    };
    check(sample("certutil-store-my-not-exportable-template-pki-lab.txt"), {
      certificates: [
        {
          ...admin,
          thumbprint: "b5dda40e3b765bdedf01097556f48d3b8a68a194",
          serial: "4400000007863dfe0d5e577c07000000000007",
          notBefore: "2026-06-15T20:29:00Z",
          template: "CVI-CodeSigning, CVI Code Signing",
        },
        {
          ...admin,
          thumbprint: "43a58496d237b3e0e1e463172f4d64e87b59dad7",
          serial: "44000000037e0d3eab46eb59db000000000003",
          notBefore: "2026-06-10T02:33:00Z",
          template: "User",
        },
      ],
      warnings: [],
    });
  });

  it("French labels, spaced hash, D/M dates, no key provider (salt docstring)", () => {
    check(
      sample("certutil-store-root-fr-FR-spaced-hash-salt-docstring.txt"),
      {
        certificates: [
          {
            thumbprint: "cdd4eeae6000ac7f40c3802c171e30148030c072",
            subject: "CN=Microsoft Root Certificate Authority, DC=microsoft, DC=com",
            issuer: "CN=Microsoft Root Certificate Authority, DC=microsoft, DC=com",
            serial: "79ad16a14aa0a5ad4c7358f407132e65",
            notBefore: "2001-05-10T00:19:00Z",
            notAfter: "2021-05-10T00:28:00Z",
            hasPrivateKey: false,
          },
          {
            thumbprint: "be36a4562fb2ee05dbb3d32323adf445084ed656",
            subject: "CN=Thawte Timestamping CA, OU=Thawte Certification, O=Thawte, L=Durbanville, S=Western Cape, C=ZA",
            issuer: "CN=Thawte Timestamping CA, OU=Thawte Certification, O=Thawte, L=Durbanville, S=Western Cape, C=ZA",
            serial: "00",
            notBefore: "1997-01-01T01:00:00Z",
            notAfter: "2021-01-01T00:59:00Z",
            hasPrivateKey: false,
          },
        ],
        warnings: [],
      },
      { oem: true },
    );
  });

  it("findstr-filtered output: subject and spaced hash only, key state unknown", () => {
    check(sample("certutil-store-my-findstr-filtered-spaced-hash.txt"), {
      certificates: [
        {
          thumbprint: "1234567890123456789012345678901234567890",
          subject: "CN=*.my-domain.com, OU=PositiveSSL Wildcard, OU=Domain Control Validated",
          hasPrivateKey: "unknown",
        },
      ],
      warnings: [],
    });
  });

  it("custom store header, empty Template:, container name hard-wrapped at column 80 (fyicenter)", () => {
    check(sample("certutil-store-user-teststore-spaced-hash-console-wrap-fyicenter.txt"), {
      certificates: [
        {
          thumbprint: "32c6b7330f306441f916950dd565a7309c50b9c2",
          subject: "CN=FYIcenter Root CA",
          issuer: "CN=FYIcenter Root CA",
          serial: "b3f33360411e2b8045cd75cf9588a23d",
          notBefore: "2012-07-01T22:34:00Z",
          notAfter: "2039-12-31T18:59:00Z",
          hasPrivateKey: true,
        },
      ],
      warnings: [],
    });
  });

  it("German labels and DD.MM.YYYY dates (constructed)", () => {
    check(
      constructed("certutil-store-my-de-DE-constructed.txt"),
      {
        certificates: [
          {
            thumbprint: "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d",
            subject: "CN=www.beispiel.de",
            issuer: "CN=Beispiel Issuing CA, DC=beispiel, DC=de",
            serial: "3300000012ab34cd56ef7800000000000012",
            notBefore: "2024-04-16T11:04:00Z",
            notAfter: "2026-04-16T11:14:00Z",
            hasPrivateKey: true,
            template: "WebServer, Webserver",
          },
        ],
        warnings: [],
      },
      { oem: true },
    );
  });
});

const EN_BLOCK = (n: number, hash: string, notBefore: string, notAfter: string, extra = ""): string =>
  [
    `================ Certificate ${n} ================`,
    `Serial Number: 0${n}`,
    "Issuer: CN=Example CA",
    ` NotBefore: ${notBefore}`,
    ` NotAfter: ${notAfter}`,
    `Subject: CN=host${n}.example.com`,
    `Cert Hash(sha1): ${hash}`,
    ...(extra ? [extra] : []),
    "",
  ].join("\n");

describe("parseCertutilStore edge cases", () => {
  it("French key test line (constructed): read as a key present; an unread verdict line stays unknown", () => {
    const block = (verdict: string) =>
      [
        'My "Personnel"',
        "================ Certificat 0 ================",
        "Numéro de série : 1a2b",
        "Émetteur: CN=Example CA",
        "Objet: CN=www.example.com",
        "Certificat non racine",
        "Hach. cert. (sha1) : 0123456789abcdef0123456789abcdef01234567",
        "  Conteneur de clé = 5f0e",
        "  Fournisseur = Microsoft Software Key Storage Provider",
        verdict,
        "CertUtil: -store La commande s'est terminée correctement.",
        "",
      ].join("\r\n");
    expect(parseCertutilStore(block("Test de chiffrement réussi")).certificates[0]?.hasPrivateKey).toBe(true);
    expect(parseCertutilStore(block("Un verdict que le parseur ne connaît pas")).certificates[0]?.hasPrivateKey).toBe("unknown");
  });

  it("CertUtil: -store command FAILED gives a warning and no certificates", () => {
    const text = 'CertUtil: -store command FAILED: 0x80092004 (-2146885628 CRYPT_E_NOT_FOUND)\nCertUtil: Cannot find object or property.\n';
    check(text, {
      certificates: [],
      warnings: ['certutil reported a failure: "CertUtil: -store command FAILED: 0x80092004 (-2146885628 CRYPT_E_NOT_FOUND)"'],
    });
  });

  it("a listing that starts at a certificate's first field (no ==== Certificate N ==== line) is read, with a warning", () => {
    // The pki-lab sample cut after its header lines, as `more +2` or a copy from the middle gives it.
    const full = sample("certutil-store-my-not-exportable-template-pki-lab.txt");
    const cut = full.slice(full.indexOf("Serial Number:"));
    const all = parseCertutilStore(full);
    const r = parseCertutilStore(cut);
    expect(r.certificates).toEqual(all.certificates);
    expect(r.certificates.map((c) => c.thumbprint)).toEqual(["b5dda40e3b765bdedf01097556f48d3b8a68a194", "43a58496d237b3e0e1e463172f4d64e87b59dad7"]);
    expect(r.warnings).toEqual(['certutil output starts without a "==== Certificate N ====" line (a cut or filtered listing?); read from its first field']);
  });

  it("findstr output without the header line still gives the certificate (subject and hash)", () => {
    const text = "Subject: CN=*.my-domain.com, OU=PositiveSSL Wildcard\r\nCert Hash(sha1): 12 34 56 78 90 12 34 56 78 90 12 34 56 78 90 12 34 56 78 90\r\n";
    const r = parseCertutilStore(text);
    expect(r.certificates).toEqual([{ thumbprint: "1234567890123456789012345678901234567890", subject: "CN=*.my-domain.com, OU=PositiveSSL Wildcard", hasPrivateKey: "unknown" }]);
    expect(r.warnings).toHaveLength(1);
  });

  it("a listing cut after a certificate's hash warns about that certificate instead of dropping it silently", () => {
    const text = " NotAfter: 4/25/2027 7:36 PM\r\nSubject: CN=PKI Admin\r\nNon-root Certificate\r\n";
    const r = parseCertutilStore(text);
    expect(r.certificates).toEqual([]);
    expect(r.warnings).toEqual([
      'certutil output starts without a "==== Certificate N ====" line (a cut or filtered listing?); read from its first field',
      "certutil certificate without a header (CN=PKI Admin): no certificate hash; certificate skipped",
    ]);
  });

  it("a store name line before the first header is not a certificate", () => {
    expect(parseCertutilStore('My "Personal"\r\nCertUtil: -store command completed successfully.\r\n')).toEqual({ certificates: [], warnings: [] });
  });

  it("an empty store is zero certificates", () => {
    check('My "Personal"\nCertUtil: -store command completed successfully.\n', { certificates: [], warnings: [] });
  });

  it("en-GB dates with both parts <= 12 are ambiguous unless another date in the output decides", () => {
    const ambiguous = EN_BLOCK(0, "a".repeat(40), "05/04/2024 10:00", "05/04/2025 10:00");
    const result = parseCertutilStore(`my\n${ambiguous}`);
    expect(result.certificates[0]).toEqual({
      thumbprint: "a".repeat(40),
      subject: "CN=host0.example.com",
      issuer: "CN=Example CA",
      serial: "00",
      hasPrivateKey: "unknown",
    });
    expect(result.warnings).toEqual([
      'certutil Certificate 0 (CN=host0.example.com): notBefore "05/04/2024 10:00" is not a date in a known regional format (or day and month are ambiguous); left out',
      'certutil Certificate 0 (CN=host0.example.com): notAfter "05/04/2025 10:00" is not a date in a known regional format (or day and month are ambiguous); left out',
    ]);
    const decided = parseCertutilStore(`my\n${ambiguous}${EN_BLOCK(1, "b".repeat(40), "25/12/2023 08:00", "25/12/2024 08:00")}`);
    expect(decided.warnings).toEqual([]);
    expect(decided.certificates.map((c) => [c.notBefore, c.notAfter])).toEqual([
      ["2024-04-05T10:00:00Z", "2025-04-05T10:00:00Z"],
      ["2023-12-25T08:00:00Z", "2024-12-25T08:00:00Z"],
    ]);
  });

  it("Chinese labels, contiguous hash, YYYY/M/D dates and the zh-CN completion line", () => {
    const text = [
      "my",
      "================ 证书 0 ================",
      "序列号: 1f00000002a1b2c3d4",
      "颁发者: CN=Contoso CA",
      " NotBefore: 2022/11/4 15:05",
      " NotAfter: 2024-11-04 15:15",
      "使用者: CN=www.contoso.cn",
      "证书哈希(sha1): 0123456789ABCDEF0123456789ABCDEF01234567",
      "  密钥容器 = 3f2a",
      "  提供程序 = Microsoft RSA SChannel Cryptographic Provider",
      "CertUtil: -store 命令成功完成。",
    ].join("\n");
    check(text, {
      certificates: [
        {
          thumbprint: "0123456789abcdef0123456789abcdef01234567",
          subject: "CN=www.contoso.cn",
          issuer: "CN=Contoso CA",
          serial: "1f00000002a1b2c3d4",
          notBefore: "2022-11-04T15:05:00Z",
          notAfter: "2024-11-04T15:15:00Z",
          hasPrivateKey: true,
        },
      ],
      warnings: [],
    });
  });

  it("an unknown hash label is read by value shape, with a warning", () => {
    const text = EN_BLOCK(3, "x", "1/2/2024 1:00 AM", "1/2/2025 1:00 AM").replace(
      "Cert Hash(sha1): x",
      "Huella digital: 01 23 45 67 89 ab cd ef 01 23 45 67 89 ab cd ef 01 23 45 67",
    );
    const result = parseCertutilStore(text);
    expect(result.certificates.map((c) => c.thumbprint)).toEqual(["0123456789abcdef0123456789abcdef01234567"]);
    expect(result.warnings).toEqual([
      'certutil Certificate 3 (CN=host3.example.com): hash label "Huella digital" not recognised; took its 40-hex value as the thumbprint',
    ]);
  });

  it("a certificate without a readable hash is reported, never invented", () => {
    const text = EN_BLOCK(0, "<thumbprint>", "1/2/2024 1:00 AM", "1/2/2025 1:00 AM") + EN_BLOCK(1, "c".repeat(40), "1/2/2024 12:00 PM", "1/2/2025 12:30 AM");
    const result = parseCertutilStore(text);
    expect(result.certificates.map((c) => [c.thumbprint, c.notBefore, c.notAfter])).toEqual([
      ["c".repeat(40), "2024-01-02T12:00:00Z", "2025-01-02T00:30:00Z"],
    ]);
    expect(result.warnings).toEqual([
      'certutil Certificate 0 (CN=host0.example.com): hash "<thumbprint>" is not a SHA-1 thumbprint; certificate skipped',
    ]);
  });

  it("private-key states: FAILED test, plain-text-only not exportable, no key lines", () => {
    const d = ["1/2/2024 1:00 AM", "1/2/2025 1:00 AM"] as const;
    const text =
      EN_BLOCK(0, "a".repeat(40), ...d, "  Key Container = k0\nEncryption test FAILED") +
      EN_BLOCK(1, "b".repeat(40), ...d, "Private key is NOT plain text exportable") +
      EN_BLOCK(2, "c".repeat(40), ...d, "Cannot find the certificate and private key for decryption.") +
      EN_BLOCK(3, "d".repeat(40), ...d);
    expect(parseCertutilStore(text).certificates.map((c) => c.hasPrivateKey)).toEqual([false, true, false, "unknown"]);
  });

  it("joins an 80-column wrapped subject but not a full-width line followed by a status line", () => {
    const longSubject = "CN=a-very-long-host-name.internal.example.com, OU=Web Servers, O=Example Ltd, L=Ber";
    const first = `Subject: ${longSubject}`.slice(0, 80);
    const rest = `Subject: ${longSubject}lin, C=DE`.slice(80);
    expect(first).toHaveLength(80);
    const wrapped = EN_BLOCK(0, "a".repeat(40), "1/2/2024 1:00 AM", "1/2/2025 1:00 AM").replace(
      "Subject: CN=host0.example.com",
      `${first}\n${rest}\nNon-root Certificate`,
    );
    expect(parseCertutilStore(wrapped).certificates[0]?.subject).toBe(`${longSubject}lin, C=DE`);

    const exact = `Subject: ${"CN=" + "x".repeat(68)}`;
    expect(exact).toHaveLength(80);
    const notWrapped = EN_BLOCK(0, "a".repeat(40), "1/2/2024 1:00 AM", "1/2/2025 1:00 AM").replace(
      "Subject: CN=host0.example.com",
      `${exact}\nNon-root Certificate`,
    );
    expect(parseCertutilStore(notWrapped).certificates[0]?.subject).toBe(`CN=${"x".repeat(68)}`);
  });
});

describe("parseCertutilDate", () => {
  it.each([
    ["11/3/2024 3:30 PM", undefined, "2024-11-03T15:30:00Z"],
    ["11/3/2024 12:05 AM", undefined, "2024-11-03T00:05:00Z"],
    ["11/3/2024 12:05 PM", undefined, "2024-11-03T12:05:00Z"],
    ["10/05/2001 00:19", "dmy", "2001-05-10T00:19:00Z"],
    ["10/05/2001 00:19", "mdy", "2001-10-05T00:19:00Z"],
    ["25/12/2023 08:00", undefined, "2023-12-25T08:00:00Z"],
    ["12/25/2023 08:00", undefined, "2023-12-25T08:00:00Z"],
    ["16.04.2009 11:04", undefined, "2009-04-16T11:04:00Z"],
    ["16.04.2009. 11:04", undefined, "2009-04-16T11:04:00Z"],
    ["2022-11-04 15:05", undefined, "2022-11-04T15:05:00Z"],
    ["2022-11-04 15:05:09", undefined, "2022-11-04T15:05:09Z"],
  ] as const)("%s (%s) -> %s", (text, order, iso) => {
    expect(parseCertutilDate(text, order)).toBe(iso);
  });

  it.each(["10/05/2001 00:19", "31.02.2024 10:00", "13/13/2024 10:00", "2024-01-01 25:00", "11/3/2024 13:00 PM", "soon"])(
    "%s -> undefined",
    (text) => {
      expect(parseCertutilDate(text)).toBeUndefined();
    },
  );
});
