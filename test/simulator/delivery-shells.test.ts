import { describe, expect, it } from "vitest";
import { normalizeWindowsPath, SimFileSystem } from "../../src/simulator/files.js";
import { parseCmdIf, parsePsIf, unwrapGroup } from "../../src/simulator/shell-blocks.js";
import { sftpPathOfWindows, windowsPathOfSftp } from "../../src/simulator/sftp.js";

describe("cmd.exe and PowerShell conditionals (simulator parsing)", () => {
  it("cmd groups and if exist", () => {
    expect(unwrapGroup(" (echo a) ")).toBe("echo a");
    expect(unwrapGroup("(echo a) & (echo b)")).toBeNull();
    expect(parseCmdIf(" not exist C:\\x mkdir C:\\x")).toEqual({ negate: true, path: "C:\\x", then: "mkdir C:\\x" });
    expect(parseCmdIf(' exist "C:\\a b" (echo yes) else (echo no)')).toEqual({ negate: false, path: "C:\\a b", then: "echo yes", otherwise: "echo no" });
    expect(parseCmdIf(" exist C:\\x (echo yes) junk")).toBeNull();
    expect(parseCmdIf(" errorlevel 1 echo x")).toBeNull();
  });

  it("PowerShell if/else with braces inside quotes", () => {
    expect(parsePsIf("if (Test-Path -LiteralPath 'C:\\x') { 'A}' } else { 'B' }")).toEqual({ condition: "Test-Path -LiteralPath 'C:\\x'", then: "'A}'", otherwise: "'B'" });
    expect(parsePsIf("if (x) { 'A' }")).toEqual({ condition: "x", then: "'A'" });
    expect(parsePsIf("iff (x) { }")).toBeNull();
    expect(parsePsIf("if (x) { 'A' } else { 'B' } extra")).toBeNull();
  });
});

describe("paths", () => {
  it("Windows OpenSSH's SFTP forms", () => {
    expect(windowsPathOfSftp("/C:/ProgramData/certfleet/r/a.pfx", "C:\\Users\\u")).toBe("C:\\ProgramData\\certfleet\\r\\a.pfx");
    expect(windowsPathOfSftp("c:/x", "C:\\Users\\u")).toBe("C:\\x");
    expect(windowsPathOfSftp("a.txt", "C:\\Users\\u")).toBe("C:\\Users\\u\\a.txt");
    expect(windowsPathOfSftp("/etc/passwd", "C:\\Users\\u")).toBeNull();
    expect(windowsPathOfSftp("/C:/x/../../Windows", "C:\\Users\\u")).toBeNull();
    expect(sftpPathOfWindows("C:\\Users\\u")).toBe("/C:/Users/u");
    expect(normalizeWindowsPath("C:")).toBe("C:\\");
  });

  it("a folder below a locked one inherits the lock; a grant to anyone else breaks it", () => {
    const fs = new SimFileSystem(["C:\\ProgramData"]);
    fs.mkdir("C:\\ProgramData\\certfleet\\r1");
    expect(fs.adminOnly("C:\\ProgramData\\certfleet\\r1")).toBe(false);
    fs.setAcl("C:\\ProgramData\\certfleet", () => ({ protected: true, grants: ["S-1-5-32-544", "S-1-5-18"], owner: "S-1-5-32-544" }));
    expect(fs.adminOnly("C:\\ProgramData\\certfleet\\r1\\a.pfx")).toBe(true);
    fs.setAcl("C:\\ProgramData\\certfleet", (a) => ({ ...a, grants: [...a.grants, "S-1-5-32-545"] }));
    expect(fs.adminOnly("C:\\ProgramData\\certfleet\\r1")).toBe(false);
  });
});

describe("independence", () => {
  it("no simulator file imports certfleet's parsers, builders or PFX code", async () => {
    const { readdirSync, readFileSync } = await import("node:fs");
    const offenders = readdirSync("src/simulator")
      .filter((f) => f.endsWith(".ts"))
      .filter((f) => /from "\.\.\/(windows|certificate|target)\//.test(readFileSync(`src/simulator/${f}`, "utf8")));
    expect(offenders).toEqual([]);
  });
});
