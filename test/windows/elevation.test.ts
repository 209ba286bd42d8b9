import { describe, expect, it } from "vitest";
import { CertfleetError } from "../../src/model/errors.js";
import { parseElevation, parseShellProbe } from "../../src/windows/elevation.js";

const groups = (label: string, sid: string): string =>
  [
    "",
    "GROUP INFORMATION",
    "-----------------",
    "",
    "Group Name                                 Type             SID          Attributes",
    "========================================== ================ ============ ==================================================",
    "Everyone                                   Well-known group S-1-1-0      Mandatory group, Enabled by default, Enabled group",
    "BUILTIN\\Administrators                     Alias            S-1-5-32-544 Mandatory group, Enabled by default, Enabled group, Group owner",
    `${label.padEnd(42)} Label            ${sid}`,
    "",
  ].join("\r\n");

describe("parseElevation", () => {
  it.each([
    ["Mandatory Label\\High Mandatory Level", "S-1-16-12288", true],
    ["Verbindliche Beschriftung\\Hohe Verbindlichkeitsstufe", "S-1-16-12288", true],
    ["Étiquette obligatoire\\Niveau obligatoire élevé", "S-1-16-12288", true],
    ["Mandatory Label\\System Mandatory Level", "S-1-16-16384", true],
    ["Mandatory Label\\Medium Mandatory Level", "S-1-16-8192", false],
    ["Mandatory Label\\Medium Plus Mandatory Level", "S-1-16-8448", false],
    ["Not a real level", "S-1-16-122880", false],
  ])("%s %s -> %s", (label, sid, elevated) => {
    expect(parseElevation(groups(label, sid))).toBe(elevated);
  });

  it("is false for empty output", () => {
    expect(parseElevation("")).toBe(false);
  });
});

describe("parseShellProbe", () => {
  it("cmd.exe expands %COMSPEC%", () => {
    expect(parseShellProbe("CFSHELL=C:\\Windows\\system32\\cmd.exe \r\n")).toBe("cmd");
  });
  it("PowerShell prints it literally", () => {
    expect(parseShellProbe("CFSHELL=%COMSPEC%\r\n")).toBe("powershell");
  });
  it("a banner before the line does not matter", () => {
    expect(parseShellProbe("Welcome to web01\nCFSHELL=%COMSPEC%\n")).toBe("powershell");
  });
  it("no CFSHELL line is a parse error carrying the remote text", () => {
    try {
      parseShellProbe("'echo' is not recognized\r\n", "web01");
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(CertfleetError);
      expect(err).toMatchObject({ kind: "parse", host: "web01", remote: "'echo' is not recognized" });
    }
  });
});
