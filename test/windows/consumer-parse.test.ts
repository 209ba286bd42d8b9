import iconv from "iconv-lite";
import { describe, expect, it } from "vitest";
import { classifyBinding } from "../../src/windows/binding-owner.js";
import { decodeWindowsOutput } from "../../src/windows/decode.js";
import { extraReaders, keyFilePath, parseIcaclsSave, parseKeyLocation, sidsWithRead } from "../../src/windows/key-acl-parse.js";
import { parseRegBinaryHash } from "../../src/windows/reg-parse.js";
import { httpsListeners, parseWinrmListeners } from "../../src/windows/winrm-listener-parse.js";
import { constructed, sample, variants } from "./helpers.js";

describe("parseWinrmListeners on real samples", () => {
  it("HTTP and HTTPS listeners with a Hostname, trailing spaces, a placeholder thumbprint (harness)", () => {
    for (const [form, text] of variants(sample("consumers/winrm-enumerate-listener-http-https-hostname-harness.txt"))) {
      const r = parseWinrmListeners(text);
      expect(r.listeners.map((l) => [l.address, l.transport, l.port, l.hostname, l.enabled, l.urlPrefix]), form).toEqual([
        ["*", "HTTP", 5985, "", true, "wsman"],
        ["*", "HTTPS", 5986, "EC2AMAZ-Q0MO0AP", true, "wsman"],
      ]);
      expect(r.listeners[0]!.certificateThumbprint).toBeNull();
      // 21 digits typed by the author: kept as text, flagged, never taken for a thumbprint.
      expect(r.listeners[1]!.certificateThumbprint).toBeNull();
      expect(r.listeners[1]!.certificateThumbprintText).toBe("1A1A1A1A1A1A1A1A1A1A1");
      expect(r.warnings).toEqual([expect.stringContaining("is not a SHA-1 thumbprint")]);
    }
  });

  it("ListeningOn wrapped at the console width inside an IPv6 address (ko)", () => {
    for (const [form, text] of variants(sample("consumers/winrm-enumerate-listener-https-wrapped-ko.txt"))) {
      const r = parseWinrmListeners(text);
      expect(r.warnings, form).toEqual([]);
      const [https] = httpsListeners(r.listeners);
      expect(https!.certificateThumbprint).toBe("4b42446edee4a5ad0509b53e0c409675cd4cf186");
      expect(https!.hostname).toBe("");
      expect(https!.listeningOn).toEqual([
        "127.0.0.1",
        "192.168.1.10",
        "::1",
        "2001:0:2851:782c:1851:28be:3f57:fef5",
        "fe80::5efe:192.168.1.10%7",
        "fe80::1851:28be:3f57:fef5%8",
        "fe80::3118:cca:c9a4:5d8%2",
      ]);
    }
  });

  it("a single HTTPS listener (zh host)", () => {
    const r = parseWinrmListeners(sample("consumers/winrm-enumerate-listener-https-zh.txt").replace(/\n/g, "\r\n"));
    expect(r.listeners).toHaveLength(1);
    expect(r.listeners[0]!.certificateThumbprint).toBe("7b6d54831b5e8c2121b2070f342ed4a07f5e9f79");
  });

  it("no listener and a WSManFault: no listeners, the fault as a warning", () => {
    const r = parseWinrmListeners("WSManFault\r\n    Message = The client cannot connect to the destination specified in the request.\r\n\r\nError number:  -2144108526 0x80338012\r\n");
    expect(r.listeners).toEqual([]);
    expect(r.warnings.length).toBeGreaterThan(0);
  });
});

describe("parseRegBinaryHash", () => {
  it("reads a REG_BINARY row in reg.exe's layout (seclogon sample), not a neighbouring value", () => {
    const text = sample("consumers/reg-query-key-regbinary-seclogon-htb.txt");
    for (const [form, t] of variants(text)) {
      // FailureActions is 44 bytes: present, but not a SHA-1 hash.
      expect(parseRegBinaryHash(t, "FailureActions"), form).toEqual({ state: "unreadable", reason: expect.stringContaining("not a 20-byte") });
      expect(parseRegBinaryHash(t, "Start"), form).toEqual({ state: "unreadable", reason: "Start is REG_DWORD, not REG_BINARY" });
    }
  });

  it("reads the RDP hash row in the same layout", () => {
    const text = "\r\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp\r\n    SSLCertificateSHA1Hash    REG_BINARY    4B42446EDEE4A5AD0509B53E0C409675CD4CF186\r\n\r\n";
    expect(parseRegBinaryHash(text, "SSLCertificateSHA1Hash")).toEqual({ state: "present", thumbprint: "4b42446edee4a5ad0509b53e0c409675cd4cf186", type: "REG_BINARY" });
  });

  it("the not-found message in en, fr, de (also through OEM 850 bytes) means absent", () => {
    const lines = sample("consumers/reg-query-not-found-messages-en-fr-de.txt").trim().split("\n");
    expect(lines).toHaveLength(3);
    for (const line of lines) {
      for (const [form, t] of variants(`${line}\n`, { oem: true })) {
        expect(parseRegBinaryHash(t, "SSLCertificateSHA1Hash"), `${form}: ${line}`).toEqual({ state: "absent", message: expect.any(String) });
      }
    }
    const de = parseRegBinaryHash(sample("consumers/reg-query-de-DE-not-found-then-found-cygwin.txt"), "LongPathsEnabled");
    expect(de).toEqual({ state: "unreadable", reason: "LongPathsEnabled is REG_DWORD, not REG_BINARY" });
  });

  it("anything else is unreadable, never absent", () => {
    expect(parseRegBinaryHash("Access is denied.\r\n", "SslCertificateHash").state).toBe("unreadable");
    expect(parseRegBinaryHash("", "SslCertificateHash").state).toBe("unreadable");
  });
});

describe("parseKeyLocation", () => {
  it("CSP key whose Key Container is the unique name (htb sample, SChannel provider)", () => {
    const text = sample("certutil-store-my-missing-keyset-archived-htb.txt");
    const block = text.split(/={10,} Certificate \d+ ={10,}/)[2]!;
    const r = parseKeyLocation(block);
    expect(r).toEqual({ ok: true, location: { uniqueName: "46f11b4056ad38609b08d1dea6880023_7989b711-2e3f-4107-9aae-fb8df2e3b958", provider: "Microsoft RSA SChannel Cryptographic Provider", storage: "csp" } });
    if (r.ok) expect(keyFilePath(r.location)).toBe("C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys\\46f11b4056ad38609b08d1dea6880023_7989b711-2e3f-4107-9aae-fb8df2e3b958");
  });

  it("a Unique container name cut at 80 columns is joined (fyicenter sample)", () => {
    const r = parseKeyLocation(sample("certutil-store-user-teststore-spaced-hash-console-wrap-fyicenter.txt").replace(/\n/g, "\r\n"));
    expect(r).toEqual({ ok: true, location: { uniqueName: "7b90a71bfc56f2582e916a51aed6df9a_e4c0ab3c-2930-4330-b979-2488d6d8e2d2", provider: "Microsoft Strong Cryptographic Provider", storage: "csp" } });
  });

  it("a KSP key named only by its friendly container: refused with the reason (htb sample)", () => {
    const block = sample("certutil-store-my-missing-keyset-archived-htb.txt").split(/={10,} Certificate \d+ ={10,}/)[1]!;
    const r = parseKeyLocation(block);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain("certificate-DC01-CA");
  });

  it("German labels (constructed sample)", () => {
    const r = parseKeyLocation(constructed("certutil-store-my-de-DE-constructed.txt"));
    expect(r.ok && r.location.storage).toBe("csp");
  });

  it("no provider line: no private key", () => {
    const r = parseKeyLocation(sample("certutil-store-root-fr-FR-spaced-hash-salt-docstring.txt"));
    expect(r.ok).toBe(false);
  });

  it("a CNG key storage provider maps to Crypto\\Keys", () => {
    const r = parseKeyLocation("  Unique container name: 0bcd5a1f9e2c4d6b8a7f3e2d1c0b9a8f_7989b711-2e3f-4107-9aae-fb8df2e3b958\r\n  Provider = Microsoft Software Key Storage Provider\r\n");
    expect(r.ok && keyFilePath(r.location)).toBe("C:\\ProgramData\\Microsoft\\Crypto\\Keys\\0bcd5a1f9e2c4d6b8a7f3e2d1c0b9a8f_7989b711-2e3f-4107-9aae-fb8df2e3b958");
  });
});

describe("parseIcaclsSave", () => {
  const text = constructed("icacls-save-machinekey-network-service-constructed.txt");
  const forms: Array<[string, string]> = [
    ["UTF-8 LF", text],
    // The ACL file is UTF-16LE; `type` copies its bytes to an OEM console: NULs between characters.
    ["UTF-16LE through cp437", decodeWindowsOutput(iconv.encode(text.replace(/\n/g, "\r\n"), "utf16le"))],
    ["UTF-16LE with BOM through cp850", iconv.decode(Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode(text.replace(/\n/g, "\r\n"), "utf16le")]), "cp850")],
  ];
  for (const [form, input] of forms) {
    it(`SIDs and aliases, language-independent (${form})`, () => {
      const r = parseIcaclsSave(input);
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      expect(r.acl.object).toBe("0bcd5a1f9e2c4d6b8a7f3e2d1c0b9a8f_7989b711-2e3f-4107-9aae-fb8df2e3b958");
      expect(sidsWithRead(r.acl)).toEqual(["S-1-5-18", "S-1-5-32-544", "S-1-5-20", "S-1-5-21-1004336348-1177238915-682003330-1013"]);
      expect(extraReaders(r.acl)).toEqual(["S-1-5-20", "S-1-5-21-1004336348-1177238915-682003330-1013"]);
    });
  }

  it("a deny for read wins over an allow; rights without read do not count", () => {
    const r = parseIcaclsSave("x\r\nD:(A;;FA;;;SY)(A;;FR;;;NS)(D;;FR;;;NS)(A;;0x100000;;;LS)\r\n");
    expect(r.ok && sidsWithRead(r.acl)).toEqual(["S-1-5-18"]);
  });

  it("no SDDL (icacls failed): unreadable", () => {
    expect(parseIcaclsSave("C:\\x: Access is denied.\r\nSuccessfully processed 0 files; Failed processing 1 files\r\n").ok).toBe(false);
  });
});

describe("classifyBinding", () => {
  const b = (endpoint: string, appId: string | null, settings: Record<string, string> = {}) => ({ kind: "ipport" as const, endpoint, appId, settings });
  it.each([
    [b("0.0.0.0:443", "{4dc3e181-e14b-4a21-b022-59fc669b0914}"), "iis", "netsh"],
    [b("0.0.0.0:5986", "{afebb9ad-9b97-4a91-9ab5-daf4d59122f6}"), "winrm-https", "with-owner-setting"],
    [b("0.0.0.0:5986", "{00000000-0000-0000-0000-000000000000}"), "winrm-https", "with-owner-setting"],
    [b("0.0.0.0:8172", "{00000000-0000-0000-0000-000000000000}"), "wmsvc", "with-owner-setting"],
    [b("0.0.0.0:443", "{5d89a20c-beab-4389-9447-324788eb944a}"), "adfs", "owner-managed"],
    [b("0.0.0.0:49443", "{12345678-1234-1234-1234-123456789012}", { sslctlstorename: "AdfsTrustedDevices" }), "adfs", "owner-managed"],
    [b("0.0.0.0:443", "{f955c070-e044-456c-ac00-e9e4275b3f04}"), "wap", "owner-managed"],
    [b("[::]:443", "{ba195980-cd49-458b-9e23-c84ee0adcd75}"), "sstp", "owner-managed"],
    [b("0.0.0.0:444", "{4dc3e181-e14b-4a21-b022-59fc669b0914}"), "exchange", "owner-managed"],
    [b("0.0.0.0:8443", "{214124cd-d05b-4309-9af9-9caa44b2b74a}"), "none", "netsh"],
  ])("%o is %s (%s)", (binding, owner, handling) => {
    const c = classifyBinding(binding);
    expect([c.owner, c.handling]).toEqual([owner, handling]);
    expect(c.evidence.length).toBeGreaterThan(0);
  });
});
