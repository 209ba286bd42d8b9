import iconv from "iconv-lite";
import { describe, expect, it } from "vitest";
import { Secret } from "../../src/model/secret.js";
import { decodeWindowsOutput } from "../../src/windows/decode.js";
import { classifyImportPfx, REDACTED, redactPassword, type ImportContext } from "../../src/windows/importpfx-result.js";
import { constructed, sample } from "./helpers.js";

const OTP = "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z";
const password = new Secret(OTP);
const on = (build: number | undefined, format: ImportContext["format"]): ImportContext => ({ build, format, password });

const INVALID_PASSWORD: Array<[string, string]> = [
  ["de-DE real (Server 2016)", sample("delivery/certutil-importpfx-invalid-password-de-DE-adfs2016-msqa.txt")],
  ["ko-KR real", sample("delivery/certutil-importpfx-invalid-password-ko-KR-gitbook.txt")],
  ["en constructed", constructed("certutil-importpfx-invalid-password-en-constructed.txt")],
  ["fr-FR constructed", constructed("certutil-importpfx-invalid-password-fr-FR-constructed.txt")],
];

describe("classifyImportPfx", () => {
  it("success: certutil's completion text and exit 0", () => {
    const r = classifyImportPfx(sample("delivery/certutil-importpfx-success-en-k6ncrypt.txt"), 0, on(20348, "aes256-sha256"));
    expect(r).toEqual({ outcome: "imported", text: 'Certificate "localhost" added to store.\n\nCertUtil: -importPFX command completed successfully.' });
  });

  for (const [name, text] of INVALID_PASSWORD) {
    for (const [label, bytes] of [
      ["CRLF", Buffer.from(text.replace(/\n/g, "\r\n"), "utf8")],
      ["cp850", iconv.encode(text.replace(/\n/g, "\r\n"), "cp850")],
    ] as const) {
      if (name.startsWith("ko") && label === "cp850") continue; // Korean hosts use cp949
      it(`0x80070056 (${name}, ${label}): the AES refusal on 2016, a wrong password elsewhere`, () => {
        const decoded = decodeWindowsOutput(bytes, label === "cp850" ? 850 : undefined);
        const exit = 0x80070056; // cmd.exe hands certutil's HRESULT back as the exit status
        expect(classifyImportPfx(decoded, exit, on(14393, "aes256-sha256"))).toMatchObject({ outcome: "format-refused", code: "0x80070056" });
        expect(classifyImportPfx(decoded, exit, on(9600, "aes256-sha256")).outcome).toBe("format-refused");
        expect(classifyImportPfx(decoded, exit, on(undefined, "aes256-sha256")).outcome).toBe("format-refused");
        expect(classifyImportPfx(decoded, exit, on(14393, "legacy-3des-sha1"))).toMatchObject({ outcome: "wrong-password", code: "0x80070056" });
        expect(classifyImportPfx(decoded, 1, on(20348, "aes256-sha256")).outcome).toBe("wrong-password");
      });
    }
  }

  it("the HRESULT from the exit status alone (an unknown language that prints no code)", () => {
    expect(classifyImportPfx("CertUtil: ???", 0x80070056, on(14393, "aes256-sha256"))).toMatchObject({ outcome: "format-refused", code: "0x80070056" });
    expect(classifyImportPfx("", -2147024891, on(20348, "aes256-sha256"))).toMatchObject({ outcome: "access-denied", code: "0x80070005" });
  });

  it("access denied", () => {
    const r = classifyImportPfx(constructed("certutil-importpfx-access-denied-en-constructed.txt"), 1, on(20348, "aes256-sha256"));
    expect(r).toMatchObject({ outcome: "access-denied", code: "0x80070005" });
    expect(r.remedy).toMatch(/elevated/);
    expect(classifyImportPfx(sample("delivery/certutil-decode-access-denied-en-writeup.txt"), 1, on(20348, "aes256-sha256")).outcome).toBe("access-denied");
  });

  it("another HRESULT is failed with its code; no code and exit 1 is unknown", () => {
    const tpm = "CertUtil: -importPFX command FAILED: 0x80090027 (-2146893785 NTE_INVALID_PARAMETER)\r\nCertUtil: The parameter is incorrect.\r\n";
    expect(classifyImportPfx(tpm, 1, on(20348, "aes256-sha256"))).toMatchObject({ outcome: "failed", code: "0x80090027" });
    expect(classifyImportPfx("something", 1, on(20348, "aes256-sha256")).outcome).toBe("unknown");
  });

  it("the one-time password never survives in the returned text (PowerShell echoes the command line)", () => {
    const ps = [
      `certutil : CertUtil: -importPFX command FAILED: 0x80070056 (WIN32: 86 ERROR_INVALID_PASSWORD)`,
      `At line:1 char:1`,
      `+ certutil -f -p ${OTP} -importpfx My C:\\ProgramData\\certfleet\\r1\\certificate.pfx NoExport`,
      `+ ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~`,
    ].join("\r\n");
    const r = classifyImportPfx(ps, 1, on(20348, "aes256-sha256"));
    expect(r.text).not.toContain(OTP);
    expect(r.text).toContain(`-p ${REDACTED} -importpfx`);
    expect(JSON.stringify(r)).not.toContain(OTP);
  });

  it("redactPassword also catches a password cut by a console line wrap", () => {
    for (let cut = 1; cut < OTP.length; cut++) {
      const wrapped = `x -p ${OTP.slice(0, cut)}\r\n${OTP.slice(cut)} y`;
      expect(redactPassword(wrapped, password)).toBe(`x -p ${REDACTED} y`);
    }
  });
});
