import { describe, expect, it } from "vitest";
import { normalizeWindowsPath, SimFileSystem } from "../../src/simulator/files.js";
import { runCertutilDelivery } from "../../src/simulator/pfx-import.js";
import { runCmdLine, type ShellHost } from "../../src/simulator/shell-cmd.js";
import { runPowerShellLine } from "../../src/simulator/shell-powershell.js";
import { sftpPathOfWindows, windowsPathOfSftp } from "../../src/simulator/sftp.js";

describe("cmd.exe and PowerShell conditionals (simulator parsing)", () => {
  it("cmd groups and if [not] exist, with and without else, nested in blocks", () => {
    const run = (line: string, existing: string[]) => {
      let out = "";
      const ran: string[] = [];
      const sh: ShellHost = {
        language: "en",
        env: {},
        out: (t) => (out += t),
        err: (t) => (out += t),
        program: (name, argv) => (ran.push([name, ...argv].join(" ")), { stdout: "", stderr: "", code: 0 }),
        runOther: () => 1,
        exists: (p) => existing.includes(p),
      };
      return { code: runCmdLine(line, sh), out, ran };
    };
    const proof = "(if exist C:\\x rmdir /s /q C:\\x) & (if exist C:\\x (echo present) else (echo gone))";
    expect(run(proof, ["C:\\x"])).toEqual({ code: 0, out: "present\r\n", ran: ["rmdir /s /q C:\\x"] });
    expect(run(proof, [])).toEqual({ code: 0, out: "gone\r\n", ran: [] });
    expect(run("(if not exist C:\\x mkdir C:\\x) && echo next", []).ran).toEqual(["mkdir C:\\x"]);
    expect(run("(if not exist C:\\x mkdir C:\\x) && echo next", ["C:\\x"])).toEqual({ code: 0, out: "next\r\n", ran: [] });
    // A plain (unbracketed) IF body takes the rest of the line, & chain included, as cmd.exe does.
    expect(run('if exist "C:\\a b" echo one & echo two', [])).toEqual({ code: 0, out: "", ran: [] });
    expect(run('if exist "C:\\a b" echo one & echo two', ["C:\\a b"]).out).toBe("one \r\ntwo\r\n");
  });

  it("PowerShell if (Test-Path ...) { 'A' } else { 'B' }, braces inside quotes included", () => {
    const run = (line: string, existing: string[]) => {
      let out = "";
      const sh: ShellHost = {
        language: "en",
        env: {},
        out: (t) => (out += t),
        err: (t) => (out += t),
        // Test-Path as the simulated cmdlet prints it: True or False.
        program: (name, argv) => (name === "test-path" ? { stdout: `${existing.includes(argv[argv.length - 1]!) ? "True" : "False"}\r\n`, stderr: "", code: 0 } : null),
        runOther: () => 1,
      };
      return { code: runPowerShellLine(line, sh), out };
    };
    const line = "if (Test-Path -LiteralPath 'C:\\x') { 'A}' } else { 'B' }";
    expect(run(line, ["C:\\x"])).toEqual({ code: 0, out: "A}\r\n" });
    expect(run(line, [])).toEqual({ code: 0, out: "B\r\n" });
    expect(run("if (Test-Path -LiteralPath 'C:\\x') { 'A' }", [])).toEqual({ code: 0, out: "" });
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

describe("staging through stdin (simulator: cmd '> file', certutil -decode)", () => {
  it("cmd '> file' opens the file before the command runs and holds what it printed; a missing folder stops the command", () => {
    const files = new Map<string, string>();
    const ran: string[] = [];
    let err = "";
    const sh: ShellHost = {
      language: "en",
      env: {},
      out: () => undefined,
      err: (t) => (err += t),
      program: (name, argv, _runner, stdin) => (ran.push(name), name === "copy-in" ? { stdout: stdin ?? "", stderr: "", code: 0 } : { stdout: `${name} ${argv.join(" ")}\r\n`, stderr: "", code: 0 }),
      runOther: () => 1,
      writeFile: (path, text) => (path.startsWith("C:\\ok\\") ? (files.set(path, text), true) : false),
    };
    expect(runCmdLine("copy-in > C:\\ok\\a.b64 && echo next >nul", sh, "QUJD\r\nREVG\r\n")).toBe(0);
    expect(files.get("C:\\ok\\a.b64")).toBe("QUJD\r\nREVG\r\n");
    expect(runCmdLine("copy-in > C:\\missing\\a.b64 && other", sh, "x\r\n")).toBe(1);
    expect(err).toBe("The system cannot find the path specified.\r\n");
    expect(ran).toEqual(["copy-in"]);
  });

  it("certutil [-f] -decode: base64 lines (with or without a header) to bytes, as Windows reports it", () => {
    const files = new SimFileSystem(["C:\\s"]);
    const host = { os: "2022" as const, language: "en" as const, elevated: true, files, certificates: [] };
    const bytes = Buffer.from(Array.from({ length: 100 }, (_, i) => (i * 37) % 256));
    const b64 = `${bytes.toString("base64").replace(/(.{64})/g, "$1\r\n")}\r\n`;
    files.writeFile("C:\\s\\f.b64", Buffer.from(b64, "latin1"));
    const ok = runCertutilDelivery(host, ["-f", "-decode", "C:\\s\\f.b64", "C:\\s\\f.pfx"])!;
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe(`Input Length = ${b64.length}\r\nOutput Length = 100\r\nCertUtil: -decode command completed successfully.\r\n`);
    expect(files.readFile("C:\\s\\f.pfx")!.equals(bytes)).toBe(true);
    // without -f an existing output is refused; a missing input and bad base64 fail with their HRESULTs
    expect(runCertutilDelivery(host, ["-decode", "C:\\s\\f.b64", "C:\\s\\f.pfx"])!.stdout).toContain("0x80070050");
    expect(runCertutilDelivery(host, ["-f", "-decode", "C:\\s\\none.b64", "C:\\s\\g.pfx"])!.stdout).toContain("0x80070002");
    files.writeFile("C:\\s\\bad.b64", Buffer.from("not base64 at all!\r\n"));
    const bad = runCertutilDelivery(host, ["-f", "-decode", "C:\\s\\bad.b64", "C:\\s\\g.pfx"])!;
    expect(bad.code).not.toBe(0);
    expect(files.exists("C:\\s\\g.pfx")).toBe(false);
  });
});
