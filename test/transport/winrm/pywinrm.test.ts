/**
 * pywinrm, an independent and widely used WinRM client (Debian python3-winrm), against the
 * simulator's WinRM listener: NTLM with message encryption over HTTP, then HTTPS. Keeps the
 * simulated server honest; certfleet's own client is tested against the same server in
 * client.test.ts.
 */
import { execFile, execFileSync } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFleet, type SimFleet } from "../../../src/simulator/index.js";
import { hostSpec } from "../../simulator/fixture.js";

const run = promisify(execFile);
const PYTHON = "/usr/bin/python3";
const SCRIPT = join(import.meta.dirname, "pywinrm_run.py");
const PASSWORD = "Py-Winrm-Pa55!";

/**
 * NTLM needs MD4, which OpenSSL 3 keeps in its legacy provider (off by default): Python's
 * hashlib then has no md4 and ntlm-auth fails. This configuration turns the provider on for the
 * pywinrm process only.
 */
const OPENSSL_CONF = join(import.meta.dirname, "../../fixtures/winrm/openssl-legacy.cnf");
const pyEnv = { PATH: process.env.PATH ?? "/usr/bin:/bin", OPENSSL_CONF };

function pywinrmMissing(): string | undefined {
  try {
    execFileSync(PYTHON, ["-c", "import hashlib, winrm, requests_ntlm; hashlib.new('md4', b'')"], { stdio: "ignore", env: pyEnv });
    return undefined;
  } catch {
    return "pywinrm is not installed, or Python has no MD4 even with OpenSSL's legacy provider (Debian: apt-get install python3-winrm; .ci/run installs it)";
  }
}
const missing = pywinrmMissing();
if (missing) console.warn(`skipping pywinrm interoperability tests: ${missing}`);

interface PyResult {
  stdout: string;
  stderr: string;
  code: number;
}

let fleet: SimFleet;

beforeAll(async () => {
  if (missing) return;
  fleet = await startFleet(
    [hostSpec("py-http", { language: "fr" }, { winrm: {} }), hostSpec("py-https", { language: "en" }, { winrm: { https: true } })],
    { password: PASSWORD },
  );
});
afterAll(async () => {
  await fleet?.stop();
});

async function pywinrm(endpoint: string, commands: string[], extra: Record<string, string> = {}): Promise<PyResult[]> {
  const { stdout } = await run(PYTHON, [SCRIPT], {
    env: {
      ...pyEnv,
      PYWINRM_ENDPOINT: endpoint,
      PYWINRM_USER: fleet.user,
      PYWINRM_PASSWORD: PASSWORD,
      PYWINRM_COMMANDS: JSON.stringify(commands),
      ...extra,
    },
    timeout: 60_000,
  });
  return JSON.parse(stdout) as PyResult[];
}

const text = (b64: string): string => Buffer.from(b64, "base64").toString("utf8");

describe.skipIf(missing !== undefined)("pywinrm against the simulated WinRM listener", () => {
  it("NTLM with message encryption over HTTP: right stdout, stderr and exit codes", async () => {
    const host = fleet.host("py-http");
    const [who, cp, bad] = await pywinrm(`http://127.0.0.1:${host.winrm!.port}/wsman`, ["whoami", "chcp", "netsh http show nosuchthing"]);
    expect(text(who!.stdout)).toBe(`py-http\\${fleet.user}\r\n`);
    expect(who!.code).toBe(0);
    // pywinrm opens its shells with WINRS_CODEPAGE 437; the French console says so
    expect(text(cp!.stdout)).toBe("Page de codes active : 437\r\n");
    expect(bad!.code).not.toBe(0);
    expect(host.commandLog.slice(-3)).toEqual(["whoami", "chcp", "netsh http show nosuchthing"]);
    // encryption really was on: the server never accepted a plain envelope over HTTP
    expect(host.winrm!.authorizationLog.every((a) => /^(Negotiate|NTLM) /.test(a))).toBe(true);
    expect(host.winrm!.openShells).toBe(0);
  });

  it("NTLM over HTTPS (no message encryption)", async () => {
    const host = fleet.host("py-https");
    const [r] = await pywinrm(`https://127.0.0.1:${host.winrm!.port}/wsman`, ["hostname"], { PYWINRM_ENCRYPTION: "never" });
    expect(r).toEqual({ stdout: Buffer.from("PY-HTTPS\r\n").toString("base64"), stderr: "", code: 0 });
  });

  it("wrong password: pywinrm gets the server's refusal", async () => {
    const host = fleet.host("py-http");
    const failed = await run(PYTHON, [SCRIPT], {
      env: {
        ...pyEnv,
        PYWINRM_ENDPOINT: `http://127.0.0.1:${host.winrm!.port}/wsman`,
        PYWINRM_USER: fleet.user,
        PYWINRM_PASSWORD: "wrong",
        PYWINRM_COMMANDS: "[]",
      },
    }).then(
      () => "",
      (err: { stderr?: string }) => err.stderr ?? "",
    );
    expect(failed).toMatch(/InvalidCredentialsError|credentials were rejected/);
  });
});
