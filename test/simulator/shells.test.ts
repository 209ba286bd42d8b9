import { describe, expect, it } from "vitest";
import { expandPercent, msvcrtArgv, splitCmd } from "../../src/simulator/shell-cmd.js";
import { psArguments } from "../../src/simulator/shell-powershell.js";

describe("cmd.exe parsing", () => {
  it("splits on & && || | outside quotes and honours ^", () => {
    expect(splitCmd('echo a & echo "b & c" && x ^& y || z').map((s) => [s.op, s.text])).toEqual([
      [null, "echo a "],
      ["&", ' echo "b & c" '],
      ["&&", " x & y "],
      ["||", " z"],
    ]);
    expect(splitCmd("netsh http show sslcert 2>&1").map((s) => s.text)).toEqual(["netsh http show sslcert 2>&1"]);
  });

  it("expands known %VARS% case-insensitively and keeps unknown ones", () => {
    expect(expandPercent("%comspec% %NOPE%", { COMSPEC: "C:\\Windows\\system32\\cmd.exe" })).toBe("C:\\Windows\\system32\\cmd.exe %NOPE%");
  });

  it("builds argv with the MSVCRT rules", () => {
    expect(msvcrtArgv(' http add "a b" appid={x} c\\"d "e""f" g\\\\"h i"')).toEqual(["http", "add", "a b", "appid={x}", 'c"d', 'e"f', "g\\h i"]);
  });
});

describe("PowerShell 5.1 argument parsing", () => {
  it("turns an unquoted {…} into its own argument without braces", () => {
    expect(psArguments("netsh http add sslcert appid={00112233-4455-6677-8899-aabbccddeeff}", {})).toEqual([
      "netsh", "http", "add", "sslcert", "appid=", "00112233-4455-6677-8899-aabbccddeeff",
    ]);
  });

  it("keeps quoted braces, expands $env: in double quotes only", () => {
    const env = { COMSPEC: "C:\\Windows\\system32\\cmd.exe" };
    expect(psArguments(`x appid='{g}' "appid={g}" '$env:COMSPEC' "$env:COMSPEC" it''s`, env)).toEqual([
      "x", "appid={g}", "appid={g}", "$env:COMSPEC", "C:\\Windows\\system32\\cmd.exe", "its",
    ]);
  });

  it("passes the rest verbatim after --%", () => {
    expect(psArguments("netsh --% http add sslcert appid={g}", {})).toEqual(["netsh", "http", "add", "sslcert", "appid={g}"]);
  });
});
