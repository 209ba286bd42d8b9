/**
 * certfleet's WinRM client against the simulator's WinRM listener: NTLM with message
 * encryption over HTTP (a default Windows server), HTTPS with NTLM and with Basic, refusals,
 * faults.
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ResolvedHost } from "../../../src/inventory/schema.js";
import { CertfleetError } from "../../../src/model/errors.js";
import { startFleet, type SimFleet, type SimHost } from "../../../src/simulator/index.js";
import { connectWinrm } from "../../../src/transport/winrm/index.js";
import { isConnectionLost, type Transport } from "../../../src/transport/transport.js";
import { hostSpec } from "../../simulator/fixture.js";
import { winrmTarget } from "../../support/winrm-target.js";

const PASSWORD = "Winrm-Sim-Pa55!";
const env = { WINRM_PW: PASSWORD, WRONG_PW: "not-the-password" };
let fleet: SimFleet;

function target(h: SimHost, extra: Partial<ResolvedHost> = {}): ResolvedHost {
  return winrmTarget(fleet, h, "WINRM_PW", extra);
}

async function caught(p: Promise<unknown>): Promise<CertfleetError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(CertfleetError);
    return err as CertfleetError;
  }
  throw new Error("expected a rejection");
}

beforeAll(async () => {
  fleet = await startFleet(
    [
      hostSpec("http-ntlm", { language: "de", shell: "powershell" }, { winrm: {} }),
      hostSpec("https-ntlm", { language: "en" }, { winrm: { https: true } }),
      hostSpec("https-basic", { language: "fr" }, { winrm: { https: true, negotiate: false, basic: true } }),
      hostSpec("http-basic-only", { language: "en" }, { winrm: { negotiate: false, basic: true, allowUnencrypted: true } }),
      hostSpec("faulty", { language: "en" }, { winrm: { maxShellsPerUser: 2 } }),
    ],
    { password: PASSWORD },
  );
});
afterAll(async () => {
  await fleet?.stop();
});

describe("NTLM with message encryption over HTTP", () => {
  it("runs commands in one shell through cmd.exe, with the exit code and UTF-8 output (WINRS_CODEPAGE 65001)", async () => {
    const host = fleet.host("http-ntlm");
    const t = await connectWinrm(target(host), { env });
    try {
      const who = await t.exec("whoami");
      expect(who.code).toBe(0);
      expect(who.stdout.toString("utf8")).toBe(`http-ntlm\\${fleet.user}\r\n`);
      const cp = await t.exec("chcp");
      expect(cp.stdout.toString("utf8")).toBe("Aktive Codepage: 65001.\r\n");
      const bad = await t.exec("certutil -store NoSuchStore");
      expect(bad.code).toBe(0x80070002);
      // every envelope went sealed: the server saw only NTLM tokens, never a password
      expect(host.winrm!.authorizationLog.every((a) => /^Negotiate /.test(a))).toBe(true);
      expect(host.winrm!.authorizationLog.join(" ")).not.toContain(Buffer.from(PASSWORD).toString("base64"));
      expect(host.winrm!.openShells).toBe(1);
    } finally {
      await t.close();
    }
    expect(host.winrm!.openShells).toBe(0);
  });

  it("stdin goes through Send, sealed, in pieces, byte for byte (a secret never on a command line)", async () => {
    const host = fleet.host("http-ntlm");
    const t = await connectWinrm(target(host), { env });
    try {
      const secret = Buffer.alloc(150_000);
      for (let i = 0; i < secret.length; i++) secret[i] = (i * 7 + (i >> 8)) & 0xff;
      const r = await t.exec("hostname", { stdin: secret });
      expect(r.stdout.toString()).toBe("HTTP-NTLM\r\n");
      const got = host.winrm!.stdinLog.at(-1)!;
      expect(got.command).toBe("hostname");
      expect(got.stdin.equals(secret)).toBe(true);
      expect(host.commandLog.at(-1)).toBe("hostname");
      // empty input: one Send that only ends the stream
      expect((await t.exec("whoami", { stdin: Buffer.alloc(0) })).code).toBe(0);
      expect(host.winrm!.stdinLog.at(-1)).toEqual({ command: "whoami", stdin: Buffer.alloc(0) });
    } finally {
      await t.close();
    }
  });

  it("wrong credentials: kind auth, with the server's reason", async () => {
    const err = await caught(connectWinrm(target(fleet.host("http-ntlm"), { passwordEnv: "WRONG_PW" }), { env }));
    expect(err.kind).toBe("auth");
    expect(err.message).toMatch(/refused the credentials of certadmin/);
    expect(err.remote).toMatch(/HTTP 401.*Access is denied/);
    expect(JSON.stringify(err)).not.toContain("not-the-password");
  });
});

describe("HTTPS", () => {
  it("NTLM over HTTPS with a pinned listener certificate", async () => {
    const t = await connectWinrm(target(fleet.host("https-ntlm")), { env });
    try {
      const r = await t.exec("hostname");
      expect(r).toEqual({ stdout: Buffer.from("HTTPS-NTLM\r\n"), stderr: Buffer.alloc(0), code: 0 });
    } finally {
      await t.close();
    }
  });

  it("Basic over HTTPS when the listener offers only Basic", async () => {
    const t = await connectWinrm(target(fleet.host("https-basic")), { env });
    try {
      expect((await t.exec("hostname")).stdout.toString()).toBe("HTTPS-BASIC\r\n");
    } finally {
      await t.close();
    }
  });

  it("a CA file: the listener's certificate chains to it and names the host", async () => {
    const host = fleet.host("https-ntlm");
    const dir = await mkdtemp(join(tmpdir(), "certfleet-winrm-ca-"));
    const ca = join(dir, "ca.pem");
    await writeFile(ca, host.winrmCertificate!.certPem);
    const t = await connectWinrm(target(host, { address: "localhost", caFile: ca, certThumbprint: undefined }), { env });
    try {
      expect((await t.exec("hostname")).stdout.toString()).toBe("HTTPS-NTLM\r\n");
    } finally {
      await t.close();
    }
    // by IP address the certificate (DNS names only) does not match: refused, nothing sent
    const before = host.winrm!.authorizationLog.length;
    const err = await caught(connectWinrm(target(host, { caFile: ca, certThumbprint: undefined }), { env }));
    expect(err.kind).toBe("host-key");
    expect(err.message).toMatch(/TLS with 127\.0\.0\.1 port \d+ failed/);
    expect(host.winrm!.authorizationLog.length).toBe(before);
  });

  it("a listener certificate other than the pinned one is refused before any credential is sent", async () => {
    const host = fleet.host("https-basic");
    const before = host.winrm!.authorizationLog.length;
    const err = await caught(connectWinrm(target(host, { certThumbprint: "0".repeat(40) }), { env }));
    expect(err.kind).toBe("host-key");
    expect(err.message).toMatch(/not the pinned/);
    expect(host.winrm!.authorizationLog.length).toBe(before);
  });
});

describe("refusals and faults", () => {
  it("Basic only over plain HTTP: refused with a clear message, and no password was sent", async () => {
    const host = fleet.host("http-basic-only");
    const err = await caught(connectWinrm(target(host), { env }));
    expect(err.kind).toBe("auth");
    expect(err.message).toMatch(/offers only Basic authentication over plain HTTP; certfleet refuses to send a password unencrypted and sent none/);
    expect(host.winrm!.authorizationLog).toEqual([]);
  });

  it("OperationTimeout faults mean 'no output yet': the command still completes", async () => {
    const host = fleet.host("faulty");
    const t = await connectWinrm(target(host), { env });
    try {
      await host.setFaults({ winrmOperationTimeouts: 3 });
      const r = await t.exec("hostname");
      expect(r.stdout.toString()).toBe("FAULTY\r\n");
      expect(host.faults.winrmOperationTimeouts).toBe(0);
    } finally {
      await t.close();
    }
  });

  it("MaxShellsPerUser: one shell too many is a typed error with the server's text", async () => {
    const host = fleet.host("faulty");
    const open: Transport[] = [await connectWinrm(target(host), { env }), await connectWinrm(target(host), { env })];
    try {
      const err = await caught(connectWinrm(target(host), { env }));
      expect(err.kind).toBe("unreachable");
      expect(err.remote).toMatch(/maximum number of 2 concurrent shells/);
    } finally {
      await Promise.all(open.map((t) => t.close()));
    }
    expect(host.winrm!.openShells).toBe(0);
  });

  it("a connection dropped mid-command is connectionLost", async () => {
    const host = fleet.host("faulty");
    const t = await connectWinrm(target(host), { env });
    try {
      await host.setFaults({ dropAfter: /^hostname$/ });
      const err = await caught(t.exec("hostname"));
      expect(isConnectionLost(err)).toBe(true);
      expect(host.commandLog.at(-1)).toBe("hostname");
      // the transport stays dead: the next command is connectionLost too, before anything is sent
      expect(isConnectionLost(await caught(t.exec("whoami")))).toBe(true);
    } finally {
      await host.setFaults({ dropAfter: undefined });
      await t.close();
    }
  });

  it("a command that never finishes times out (kind timeout) and the shell stays usable", async () => {
    const host = fleet.host("faulty");
    const t = await connectWinrm(target(host), { env, operationTimeoutS: 1 });
    try {
      await host.setFaults({ hangOn: /^whoami$/ });
      const err = await caught(t.exec("whoami", { timeoutMs: 200 }));
      expect(err.kind).toBe("timeout");
      await host.setFaults({ hangOn: undefined });
      expect((await t.exec("hostname")).stdout.toString()).toBe("FAULTY\r\n");
    } finally {
      await t.close();
    }
  });

  it("a closed listener is unreachable", async () => {
    const host = fleet.host("faulty");
    await host.setFaults({ unreachable: true });
    try {
      const err = await caught(connectWinrm(target(host), { env }));
      expect(err.kind).toBe("unreachable");
    } finally {
      await host.setFaults({ unreachable: false });
    }
  });
});
