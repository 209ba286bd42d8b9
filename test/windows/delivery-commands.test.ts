import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  addIntermediateCommand,
  cleanupStagingCommand,
  importPfxCommand,
  isSendableDelivery,
  osBuildCommand,
  parseCleanupProof,
  parseOsBuild,
  prepareStagingCommand,
  probeCertificateCommand,
  redactCommand,
  removeCertificateCommand,
  sftpPath,
  stagedPaths,
  stageThroughStdinCommand,
  stdinForStaging,
} from "../../src/windows/delivery-commands.js";
import { isSendable } from "../../src/windows/commands.js";
import { constructed, sample } from "./helpers.js";

const RUN = "20261128T0300Z-3f9a1c";
const OTP = "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z";
const THUMB = "7bc0efb6a9258305e8e1b8cbe9df5a458f21accc";
const SHELLS = ["cmd", "powershell"] as const;

describe("delivery command builders", () => {
  it("staged paths: Windows form under C:\\ProgramData\\certfleet\\<runId>, SFTP form /C:/...", () => {
    expect(stagedPaths(RUN, "certificate.pfx")).toEqual({
      folder: `C:\\ProgramData\\certfleet\\${RUN}`,
      file: `C:\\ProgramData\\certfleet\\${RUN}\\certificate.pfx`,
      sftp: `/C:/ProgramData/certfleet/${RUN}/certificate.pfx`,
    });
    expect(sftpPath("C:\\a\\b.cer")).toBe("/C:/a/b.cer");
    expect(() => sftpPath("a\\b")).toThrow(/not an absolute Windows path/);
  });

  it("exact text per shell", () => {
    expect(osBuildCommand("cmd")).toBe("ver");
    expect(osBuildCommand("powershell")).toBe("cmd /c ver");
    expect(prepareStagingCommand("cmd", RUN)).toBe(
      `(if not exist C:\\ProgramData\\certfleet\\${RUN} mkdir C:\\ProgramData\\certfleet\\${RUN}) && ` +
        "icacls C:\\ProgramData\\certfleet /inheritance:r /grant:r *S-1-5-32-544:(OI)(CI)F *S-1-5-18:(OI)(CI)F /T /C /Q && " +
        "icacls C:\\ProgramData\\certfleet /setowner *S-1-5-32-544 /T /C /Q",
    );
    expect(prepareStagingCommand("powershell", RUN)).toBe(
      `New-Item -ItemType Directory -Force -Path 'C:\\ProgramData\\certfleet\\${RUN}' | Out-Null; ` +
        "icacls 'C:\\ProgramData\\certfleet' /inheritance:r /grant:r '*S-1-5-32-544:(OI)(CI)F' '*S-1-5-18:(OI)(CI)F' /T /C /Q; " +
        "icacls 'C:\\ProgramData\\certfleet' /setowner '*S-1-5-32-544' /T /C /Q",
    );
    for (const shell of SHELLS) {
      expect(importPfxCommand(shell, RUN, "certificate.pfx", OTP)).toBe(`certutil -f -p ${OTP} -importpfx My C:\\ProgramData\\certfleet\\${RUN}\\certificate.pfx NoExport`);
      expect(importPfxCommand(shell, RUN, "certificate.pfx", OTP, { exportable: true })).toBe(`certutil -f -p ${OTP} -importpfx My C:\\ProgramData\\certfleet\\${RUN}\\certificate.pfx`);
      expect(addIntermediateCommand(shell, RUN, "chain-1.cer")).toBe(`certutil -f -addstore CA C:\\ProgramData\\certfleet\\${RUN}\\chain-1.cer`);
      expect(probeCertificateCommand(shell, THUMB)).toBe(`certutil -store My ${THUMB}`);
      expect(removeCertificateCommand(shell, THUMB)).toBe(`certutil -delstore My ${THUMB}`);
    }
    expect(cleanupStagingCommand("cmd", RUN)).toBe(
      `(if exist C:\\ProgramData\\certfleet\\${RUN} rmdir /s /q C:\\ProgramData\\certfleet\\${RUN}) & ` +
        `(if exist C:\\ProgramData\\certfleet\\${RUN} (echo CF-STAGED:present) else (echo CF-STAGED:gone))`,
    );
    expect(cleanupStagingCommand("powershell", RUN)).toBe(
      `Remove-Item -LiteralPath 'C:\\ProgramData\\certfleet\\${RUN}' -Recurse -Force -ErrorAction SilentlyContinue; ` +
        `if (Test-Path -LiteralPath 'C:\\ProgramData\\certfleet\\${RUN}') { 'CF-STAGED:present' } else { 'CF-STAGED:gone' }`,
    );
  });

  it("never Root: intermediates go to CA and only as .cer files", () => {
    expect(() => addIntermediateCommand("cmd", RUN, "chain-1.pfx")).toThrow(/must be staged as a \.cer file/);
  });

  it("refuses unsafe values before building anything; a refused password is never echoed", () => {
    expect(() => stagedPaths("x & calc", "a.pfx")).toThrow(/refused to send runId value "x & calc"/);
    expect(() => stagedPaths(RUN, "..\\..\\windows\\a.pfx")).toThrow(/stagedFile/);
    expect(() => stagedPaths(RUN, "a.exe")).toThrow(/stagedFile/);
    expect(() => probeCertificateCommand("cmd", "ABC")).toThrow(/thumbprint/);
    const bad = `${OTP.slice(0, 31)}&`;
    try {
      importPfxCommand("cmd", RUN, "certificate.pfx", bad);
      throw new Error("accepted");
    } catch (err) {
      expect((err as Error).message).toMatch(/not a certfleet one-time password/);
      expect((err as Error).message).not.toContain(OTP.slice(0, 31));
    }
  });

  it("the delivery gate lets through every builder's output under its own shell only, and nothing the netsh gate would not", () => {
    for (const shell of SHELLS) {
      const other = shell === "cmd" ? "powershell" : "cmd";
      const built = [
        osBuildCommand(shell),
        prepareStagingCommand(shell, RUN),
        importPfxCommand(shell, RUN, "certificate.pfx", OTP),
        importPfxCommand(shell, RUN, "certificate.pfx", OTP, { exportable: true }),
        addIntermediateCommand(shell, RUN, "chain-1.cer"),
        probeCertificateCommand(shell, THUMB),
        removeCertificateCommand(shell, THUMB),
        cleanupStagingCommand(shell, RUN),
      ];
      for (const c of built) {
        expect(isSendableDelivery(shell, c), c).toBe(true);
        // The probe (`certutil -store My <thumb>`) is also the consumers' key-location read, which the
        // session's gate accepts already; every other delivery shape is new to it.
        if (c !== probeCertificateCommand(shell, THUMB)) expect(isSendable(shell, c), c).toBe(false);
      }
      for (const c of [osBuildCommand(shell), prepareStagingCommand(shell, RUN), cleanupStagingCommand(shell, RUN)]) {
        expect(isSendableDelivery(other, c), c).toBe(false);
      }
    }
    // the two folders of the cleanup must be the same folder
    const mixed = cleanupStagingCommand("cmd", RUN).replace(/(rmdir \/s \/q C:\\ProgramData\\certfleet\\)\S+\)/, "$1other)");
    expect(isSendableDelivery("cmd", mixed)).toBe(false);
    expect(isSendableDelivery(undefined, "ver")).toBe(false);
  });

  it("staging through stdin (WinRM): one cmd shape, strict values, the gate accepts exactly it", () => {
    const cmd = stageThroughStdinCommand("cmd", RUN, "certificate.pfx");
    const file = `C:\\ProgramData\\certfleet\\${RUN}\\certificate.pfx`;
    expect(cmd).toBe(`findstr /r "^" > ${file}.b64 && certutil -f -decode ${file}.b64 ${file}`);
    expect(isSendableDelivery("cmd", cmd)).toBe(true);
    expect(isSendableDelivery("cmd", stageThroughStdinCommand("cmd", RUN, "chain-1.cer"))).toBe(true);
    expect(isSendable("cmd", cmd)).toBe(false);
    expect(isSendableDelivery("powershell", cmd)).toBe(false);
    // the decoded file must be the one findstr wrote, in the same folder
    expect(isSendableDelivery("cmd", cmd.replace(/ C:\\ProgramData\\certfleet\\[^\\]+\\certificate\.pfx$/, " C:\\ProgramData\\certfleet\\other\\certificate.pfx"))).toBe(false);
    expect(isSendableDelivery("cmd", cmd.replace(/\.b64 C:/, ".txt C:"))).toBe(false);
    expect(isSendableDelivery("cmd", `${cmd} & whoami`)).toBe(false);
    expect(() => stageThroughStdinCommand("powershell", RUN, "certificate.pfx")).toThrow(/cmd\.exe/);
    expect(() => stageThroughStdinCommand("cmd", RUN, "x.pfx & whoami")).toThrow(/strict pattern/);
    expect(() => stageThroughStdinCommand("cmd", "../x", "certificate.pfx")).toThrow(/strict pattern/);
  });

  it("stdin for staging: base64 in 64-character CRLF lines that decode to the bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 400 }), (raw) => {
        const text = stdinForStaging(Buffer.from(raw)).toString("latin1");
        expect(text).toMatch(/^(?:[A-Za-z0-9+/=]{1,64}\r\n)+$/);
        expect(Buffer.from(text.replace(/\r\n/g, ""), "base64").equals(Buffer.from(raw))).toBe(true);
      }),
    );
  });

  it("property: a hostile suffix on any delivery command is refused by the gate", () => {
    fc.assert(
      fc.property(fc.constantFrom(...SHELLS), fc.string({ minLength: 1, maxLength: 12 }), (shell, junk) => {
        const base = importPfxCommand(shell, RUN, "certificate.pfx", OTP);
        fc.pre(!/^ NoExport$/.test(junk) && junk !== "");
        expect(isSendableDelivery(shell, `${base}${junk}`)).toBe(false);
      }),
    );
  });
});

describe("redactCommand", () => {
  it("hides the password of any certutil -p, leaves everything else as it was", () => {
    for (const shell of SHELLS) {
      const c = importPfxCommand(shell, RUN, "certificate.pfx", OTP);
      expect(redactCommand(c)).toBe(`certutil -f -p [one-time password] -importpfx My C:\\ProgramData\\certfleet\\${RUN}\\certificate.pfx NoExport`);
      expect(redactCommand(c)).not.toContain(OTP);
      expect(redactCommand(prepareStagingCommand(shell, RUN))).toBe(prepareStagingCommand(shell, RUN));
    }
    expect(redactCommand(`CERTUTIL.exe -p "a b c" -importpfx x.pfx`)).toBe("CERTUTIL.exe -p [one-time password] -importpfx x.pfx");
    expect(redactCommand("netsh http show sslcert ipport=0.0.0.0:443")).toBe("netsh http show sslcert ipport=0.0.0.0:443");
  });
});

describe("parsers", () => {
  it("parseOsBuild: real ver lines, localized word, with and without the revision", () => {
    expect(parseOsBuild(sample("delivery/ver-banner-2012r2-en-htb.txt"))).toBe(9600);
    expect(parseOsBuild(sample("delivery/ver-cmd-c-over-psremoting-en-docs.txt"))).toBe(10586);
    expect(parseOsBuild("\r\nMicrosoft Windows [Version 10.0.14393]\r\n")).toBe(14393);
    expect(parseOsBuild("\r\nMicrosoft Windows [version 10.0.20348.2113]\r\n")).toBe(20348);
    expect(parseOsBuild("Microsoft Windows [Versión 10.0.26100.1742]")).toBe(26100);
    expect(parseOsBuild("'ver' is not recognized as the name of a cmdlet")).toBeUndefined();
  });

  it("parseCleanupProof", () => {
    expect(parseCleanupProof("CF-STAGED:gone\r\n")).toBe("gone");
    expect(parseCleanupProof("The process cannot access the file\r\nCF-STAGED:present\r\n")).toBe("present");
    expect(parseCleanupProof("")).toBe("unknown");
    expect(parseCleanupProof("CF-STAGED:gone-ish")).toBe("unknown");
  });

  it("fixtures used by the result tests exist", () => {
    expect(constructed("certutil-importpfx-invalid-password-en-constructed.txt")).toContain("0x80070056");
  });
});
