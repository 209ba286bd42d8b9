import { describe, expect, it } from "vitest";
import { isSendable } from "../../src/windows/commands.js";
import {
  WINRM_ENUMERATE,
  keyAclReadCommand,
  keyGrantReadCommand,
  keyLocationCommand,
  keyRemoveGrantCommand,
  ownerCommands,
  regDeleteValueCommand,
  regQueryCommand,
  regSetHashCommand,
  winrmSetThumbprintCommand,
} from "../../src/windows/consumer-commands.js";

const T = "4b42446edee4a5ad0509b53e0c409675cd4cf186";
const KEY = { uniqueName: "46f11b4056ad38609b08d1dea6880023_7989b711-2e3f-4107-9aae-fb8df2e3b958", storage: "csp" as const };
const RDP = '"HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp"';

describe("consumer command builders", () => {
  it("winrm set: the hashtable is one quoted argument under PowerShell, bare under cmd", () => {
    expect(winrmSetThumbprintCommand("cmd", "*", T)).toBe(
      'winrm set winrm/config/Listener?Address=*+Transport=HTTPS @{CertificateThumbprint="4B42446EDEE4A5AD0509B53E0C409675CD4CF186"}',
    );
    expect(winrmSetThumbprintCommand("powershell", "*", T)).toBe(
      "winrm set winrm/config/Listener?Address=*+Transport=HTTPS '@{CertificateThumbprint=\"4B42446EDEE4A5AD0509B53E0C409675CD4CF186\"}'",
    );
    expect(winrmSetThumbprintCommand("cmd", "IP:10.0.0.5", T)).toContain("Address=IP:10.0.0.5+Transport=HTTPS");
  });

  it("reg query/add/delete: the key quoted for each shell, the value name fixed, hex upper-case", () => {
    expect(regQueryCommand("cmd", "rdp")).toBe(`reg query ${RDP} /v SSLCertificateSHA1Hash`);
    expect(regQueryCommand("powershell", "wmsvc")).toBe("reg query 'HKLM\\SOFTWARE\\Microsoft\\WebManagement\\Server' /v SslCertificateHash");
    expect(regSetHashCommand("cmd", "rdp", T)).toBe(`reg add ${RDP} /v SSLCertificateSHA1Hash /t REG_BINARY /d 4B42446EDEE4A5AD0509B53E0C409675CD4CF186 /f`);
    expect(regDeleteValueCommand("powershell", "rdp")).toBe(`reg delete ${RDP.replace(/"/g, "'")} /v SSLCertificateSHA1Hash /f`);
  });

  it("icacls grants and removes by SID, never by name", () => {
    const file = `C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys\\${KEY.uniqueName}`;
    expect(keyGrantReadCommand("cmd", KEY, "S-1-5-20")).toBe(`icacls ${file} /grant *S-1-5-20:R`);
    expect(keyRemoveGrantCommand("powershell", KEY, "S-1-5-20")).toBe(`icacls ${file} /remove:g *S-1-5-20`);
    expect(() => keyGrantReadCommand("cmd", KEY, "NETWORK SERVICE")).toThrow(/strict pattern for sid/);
    expect(() => keyGrantReadCommand("cmd", KEY, "NT AUTHORITY\\NETWORK SERVICE")).toThrow(/strict pattern/);
    expect(() => keyGrantReadCommand("cmd", { ...KEY, uniqueName: "..\\..\\Windows\\win.ini" }, "S-1-5-20")).toThrow(/keyUniqueName/);
  });

  it("the ACL read saves, prints and removes one temporary file under each shell", () => {
    expect(keyAclReadCommand("cmd", KEY)).toBe(
      `icacls C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys\\${KEY.uniqueName} /save C:\\Windows\\Temp\\certfleet-46f11b4056ad38609b08d1dea6880023.acl /q & type C:\\Windows\\Temp\\certfleet-46f11b4056ad38609b08d1dea6880023.acl & del /q C:\\Windows\\Temp\\certfleet-46f11b4056ad38609b08d1dea6880023.acl`,
    );
    expect(keyAclReadCommand("powershell", { ...KEY, storage: "cng" })).toMatch(/^icacls C:\\ProgramData\\Microsoft\\Crypto\\Keys\\\S+ \/save (\S+) \/q; cmd \/c type \1; cmd \/c del \/q \1$/);
  });

  it("every builder's output passes the session's gate for its own shell only", () => {
    for (const shell of ["cmd", "powershell"] as const) {
      const other = shell === "cmd" ? "powershell" : "cmd";
      const lines = [
        winrmSetThumbprintCommand(shell, "*", T),
        regQueryCommand(shell, "rdp"),
        regQueryCommand(shell, "wmsvc"),
        regSetHashCommand(shell, "wmsvc", T),
        regDeleteValueCommand(shell, "rdp"),
        keyAclReadCommand(shell, KEY),
        keyGrantReadCommand(shell, KEY, "S-1-5-21-1004336348-1177238915-682003330-1013"),
        keyRemoveGrantCommand(shell, { ...KEY, storage: "cng" }, "S-1-5-20"),
      ];
      for (const line of lines) {
        expect(isSendable(shell, line), line).toBe(true);
        // Lines that quote differently per shell must not pass under the other shell.
        if (/['"]/.test(line) || /; |& /.test(line)) expect(isSendable(other, line), `${other}: ${line}`).toBe(false);
      }
      expect(isSendable(shell, WINRM_ENUMERATE)).toBe(true);
      expect(isSendable(shell, keyLocationCommand(T))).toBe(true);
    }
  });

  it("refuses anything next to the grammar: another value name, a name instead of a SID, a chained command", () => {
    for (const line of [
      `reg add ${RDP} /v Shell /t REG_SZ /d calc /f`,
      `reg query ${RDP} /v SSLCertificateSHA1Hash & calc`,
      "icacls C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys\\46f11b4056ad38609b08d1dea6880023_7989b711-2e3f-4107-9aae-fb8df2e3b958 /grant NETZWERKDIENST:R",
      "icacls C:\\Windows\\System32\\config\\SAM /grant *S-1-5-20:R",
      'winrm set winrm/config/Listener?Address=*+Transport=HTTPS @{CertificateThumbprint="X"}',
      'winrm set winrm/config/service @{AllowUnencrypted="true"}',
      "certutil -delstore My 4b42446edee4a5ad0509b53e0c409675cd4cf186",
    ]) {
      expect(isSendable("cmd", line), line).toBe(false);
    }
  });

  it("owner commands name the new thumbprint for the operator to run", () => {
    expect(ownerCommands("adfs", T)[0]).toBe("Set-AdfsSslCertificate -Thumbprint 4B42446EDEE4A5AD0509B53E0C409675CD4CF186   # on every AD FS node");
    expect(ownerCommands("wap", T)).toEqual(["Set-WebApplicationProxySslCertificate -Thumbprint 4B42446EDEE4A5AD0509B53E0C409675CD4CF186"]);
    expect(() => ownerCommands("sstp", "& calc")).toThrow(/certhash/);
  });
});
