/**
 * The simulator's cmd.exe and PowerShell 5.1 rules that the one-line discovery and the batched
 * compare-and-set rely on, each as the real shell documents it: REM ends a cmd line, `|` binds
 * tighter than `&&`/`||`, which bind tighter than `&`; `( )` blocks; `exit`; CALL's second %
 * expansion; findstr over a pipe; PowerShell's `if`, `-match` over an output array, `-not`,
 * `$LASTEXITCODE` and `exit N`.
 */
import { describe, expect, it } from "vitest";
import { runCmdLine, type ShellHost } from "../../src/simulator/shell-cmd.js";
import { runPowerShellLine } from "../../src/simulator/shell-powershell.js";

/** A shell host whose only programs are `ok` (exit 0, prints its args), `bad` (exit 5) and findstr via `lines`. */
function host(): { sh: ShellHost; out: () => string; err: () => string } {
  let out = "";
  let err = "";
  const sh: ShellHost = {
    language: "en",
    env: { COMSPEC: "C:\\Windows\\system32\\cmd.exe" },
    out: (t) => (out += t),
    err: (t) => (err += t),
    program: (name, argv, _runner, stdin) => {
      if (name === "ok") return { stdout: `ok ${argv.join(" ")}\r\n`, stderr: "", code: 0 };
      if (name === "bad") return { stdout: "bad\r\n", stderr: "", code: 5 };
      if (name === "lines") return { stdout: "Certificate Hash : aa11\r\nApplication ID : x\r\n", stderr: "", code: 0 };
      if (name === "grep") {
        const hit = (stdin ?? "").split(/\r\n/).filter((l) => l.includes(argv[0] ?? ""));
        return { stdout: hit.map((l) => `${l}\r\n`).join(""), stderr: "", code: hit.length > 0 ? 0 : 1 };
      }
      return null;
    },
    runOther: () => 0,
  };
  return { sh, out: () => out, err: () => err };
}

describe("simulated cmd.exe", () => {
  it("REM makes the rest of the line a remark, quotes and semicolons included", () => {
    const h = host();
    expect(runCmdLine("echo a ' & rem '; ok b; echo 'x'", h.sh)).toBe(0);
    expect(h.out()).toBe("a ' \r\n");
  });

  it("| binds tighter than || and &&, which bind tighter than &", () => {
    const h = host();
    runCmdLine("lines | grep zz >nul || echo refused & echo next", h.sh);
    expect(h.out()).toBe("refused \r\nnext\r\n");
    const h2 = host();
    runCmdLine("lines | grep aa11 >nul || echo refused & echo next", h2.sh);
    expect(h2.out()).toBe("next\r\n");
  });

  it("a ( ) block groups, exit ends the whole line with its code", () => {
    const h = host();
    expect(runCmdLine("bad && echo no || (echo failed & exit 1) & echo never", h.sh)).toBe(1);
    expect(h.out()).toBe("bad\r\nfailed \r\n");
  });

  it("%ERRORLEVEL% is read once when the line starts; call reads it again, after ^ is gone", () => {
    const h = host();
    runCmdLine("bad & echo at-start:%errorlevel% & call echo now:%^errorlevel%", h.sh);
    expect(h.out()).toBe("bad\r\nat-start:0 \r\nnow:5\r\n");
  });

  it("echo does not change ERRORLEVEL", () => {
    const h = host();
    runCmdLine("bad & echo x & call echo %^errorlevel%", h.sh);
    expect(h.out()).toBe("bad\r\nx \r\n5\r\n");
  });
});

describe("simulated PowerShell 5.1", () => {
  it("-match over a native command's output lines keeps the matching ones; -not and if/else", () => {
    const h = host();
    runPowerShellLine("if ((lines) -match ': AA11') { echo 'yes' } else { echo 'no' }; if (-not ((lines) -match 'zz')) { echo 'absent' }", h.sh);
    expect(h.out()).toBe("yes\r\nabsent\r\n");
    const h2 = host();
    runPowerShellLine("if (-not ((lines) -match ': aa11')) { echo 'refused'; exit 1 }; echo 'go'", h2.sh);
    expect(h2.out()).toBe("go\r\n");
  });

  it("$LASTEXITCODE follows native commands; exit N ends the line with N", () => {
    const h = host();
    const code = runPowerShellLine(`ok a; bad; if ($LASTEXITCODE -ne 0) { echo "failed:$LASTEXITCODE"; exit 1 }; echo 'never'`, h.sh);
    expect(code).toBe(1);
    expect(h.out()).toBe("ok a\r\nbad\r\nfailed:5\r\n");
  });
});
