/**
 * The remedy table per transport. The WinRM failures are the errors certfleet's WinRM client
 * really raises: against the simulator's WinRM listener where the listener can produce them
 * (wrong password, Basic only over HTTP, another certificate than the pinned one, an untrusted
 * one, the shell quota, a closed port), else built with the client's own error types.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ResolvedHost } from "../../src/inventory/schema.js";
import { CertfleetError } from "../../src/model/errors.js";
import { causeOf, remedyFor, type FailureFacts } from "../../src/remedy/remedy.js";
import { startFleet, type SimFleet, type SimHost } from "../../src/simulator/index.js";
import { ConnectionFailure } from "../../src/transport/winrm/connection.js";
import { connectWinrm } from "../../src/transport/winrm/index.js";
import { toCertfleetError } from "../../src/transport/winrm/shell-transport.js";
import { WsmanFault } from "../../src/transport/winrm/soap.js";
import { hostSpec } from "../simulator/fixture.js";
import { winrmTarget } from "../support/winrm-target.js";

const PASSWORD = "Remedy-Sim-Pa55!";
const env = { RIGHT_PW: PASSWORD, WRONG_PW: "not-the-password" };
let fleet: SimFleet;
let dir: string;

function target(h: SimHost, extra: Partial<ResolvedHost> = {}): ResolvedHost {
  return winrmTarget(fleet, h, "RIGHT_PW", extra);
}

/** The facts the report would hold for a host whose WinRM connection failed this way. */
async function winrmFailure(host: ResolvedHost): Promise<FailureFacts> {
  try {
    const t = await connectWinrm(host, { env, connectTimeoutMs: 10_000 });
    await t.close();
  } catch (err) {
    expect(err).toBeInstanceOf(CertfleetError);
    const e = err as CertfleetError;
    return { kind: e.kind, message: e.message, ...(e.remote ? { remote: e.remote } : {}), transport: "winrm" };
  }
  throw new Error("expected the connection to fail");
}

/** Words that send a WinRM operator the SSH way. */
const SSH_WORDS = /\bSSH\b|sshd|OpenSSH|known_hosts|authorized_keys|--accept-new-host-keys|host key/i;

beforeAll(async () => {
  fleet = await startFleet(
    [
      hostSpec("http-ntlm", { language: "en" }, { winrm: {} }),
      hostSpec("https-ntlm", { language: "en" }, { winrm: { https: true } }),
      hostSpec("http-basic-only", { language: "en" }, { winrm: { negotiate: false, basic: true, allowUnencrypted: true } }),
      hostSpec("no-shells-left", { language: "en" }, { winrm: { maxShellsPerUser: 0 } }),
    ],
    { password: PASSWORD },
  );
  dir = await mkdtemp(join(tmpdir(), "certfleet-remedy-"));
});
afterAll(async () => {
  await fleet?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("WinRM failures raised by the client: cause and fix for WinRM, never for SSH", () => {
  it("wrong password: the logon was refused; check user (DOMAIN\\user), passwordEnv, Administrators, LocalAccountTokenFilterPolicy", async () => {
    const f = await winrmFailure(target(fleet.host("http-ntlm"), { passwordEnv: "WRONG_PW" }));
    expect(f.kind).toBe("auth");
    expect(causeOf(f)).toBe("auth");
    const r = remedyFor(f);
    expect(r.cause).toMatch(/WinRM listener refused the logon \(HTTP 401\)/);
    expect(r.fix).toContain("DOMAIN\\user");
    expect(r.fix).toContain("passwordEnv");
    expect(r.fix).toContain("LocalAccountTokenFilterPolicy /t REG_DWORD /d 1");
    // the same failure over SSH would say administrators_authorized_keys: not over WinRM
    expect(`${r.cause} ${r.fix}`).not.toMatch(SSH_WORDS);
  });

  it("a closed WinRM port: the WinRM service or its listener is missing (winrm quickconfig, Enable-PSRemoting, 5985/5986)", async () => {
    const closed = await new Promise<Server>((resolve) => {
      const s = createServer();
      s.listen(0, "127.0.0.1", () => resolve(s));
    });
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const f = await winrmFailure(target(fleet.host("http-ntlm"), { port }));
    expect(f.message).toMatch(/ECONNREFUSED/);
    expect(causeOf(f)).toBe("refused");
    const r = remedyFor(f);
    expect(r.cause).toMatch(/nothing accepts WinRM/);
    expect(r.fix).toMatch(/winrm quickconfig/);
    expect(r.fix).toMatch(/Enable-PSRemoting/);
    expect(r.fix).toMatch(/5985/);
    expect(r.fix).toMatch(/5986/);
    expect(`${r.cause} ${r.fix}`).not.toMatch(SSH_WORDS);
  });

  it("a listener that offers only Basic over HTTP: certfleet sent no password; enable Negotiate or use HTTPS", async () => {
    const f = await winrmFailure(target(fleet.host("http-basic-only")));
    expect(causeOf(f)).toBe("winrm-basic-over-http");
    const r = remedyFor(f);
    expect(r.cause).toMatch(/only Basic authentication over plain HTTP/);
    expect(r.fix).toMatch(/Negotiate="true"/);
    expect(r.fix).toMatch(/https: true/);
  });

  it("another certificate than the pinned one: read the listener's thumbprint, then certThumbprint in the inventory", async () => {
    const f = await winrmFailure(target(fleet.host("https-ntlm"), { certThumbprint: "ab".repeat(20) }));
    expect(f.kind).toBe("host-key");
    expect(causeOf(f)).toBe("winrm-pin-mismatch");
    const r = remedyFor(f);
    expect(r.cause).toMatch(/pinned by certThumbprint/);
    expect(r.fix).toMatch(/winrm enumerate winrm\/config\/listener/);
    expect(`${r.cause} ${r.fix}`).not.toMatch(SSH_WORDS);
  });

  it("an HTTPS listener whose certificate no CA vouches for: caFile or certThumbprint", async () => {
    const host = fleet.host("https-ntlm");
    const { certThumbprint: _pin, ...unpinned } = target(host);
    const f = await winrmFailure(unpinned);
    expect(f.kind).toBe("host-key");
    expect(causeOf(f)).toBe("winrm-untrusted");
    expect(remedyFor(f).fix).toMatch(/caFile/);
    expect(`${remedyFor(f).cause} ${remedyFor(f).fix}`).not.toMatch(SSH_WORDS);
  });

  it("HTTPS spoken to the plain HTTP listener: port and https in the inventory", async () => {
    const f = await winrmFailure(target(fleet.host("http-ntlm"), { https: true }));
    expect(causeOf(f)).toBe("winrm-not-a-listener");
    expect(remedyFor(f).fix).toMatch(/port and https in the inventory/);
  });

  it("plain HTTP spoken to the HTTPS listener (it resets the connection): port and https in the inventory", async () => {
    const f = await winrmFailure(target(fleet.host("https-ntlm"), { https: false }));
    expect(f.message).toMatch(/connection lost/);
    expect(causeOf(f)).toBe("winrm-not-a-listener");
  });

  it("a CA file that cannot be read", async () => {
    const f = await winrmFailure(target(fleet.host("https-ntlm"), { caFile: join(dir, "missing-ca.pem") }));
    expect(causeOf(f)).toBe("winrm-ca-file");
  });

  it("no password: passwordEnv missing from the inventory, or its variable not set", async () => {
    const { passwordEnv: _env, ...noEnv } = target(fleet.host("http-ntlm"));
    expect(causeOf(await winrmFailure(noEnv))).toBe("winrm-no-password");
    const f = await winrmFailure(target(fleet.host("http-ntlm"), { passwordEnv: "NOT_SET_ANYWHERE" }));
    expect(causeOf(f)).toBe("winrm-no-password");
    expect(remedyFor(f).fix).toMatch(/passwordEnv/);
  });

  it("the shell quota (MaxShellsPerUser) is used up: wait, restart WinRM, or raise the quota", async () => {
    const f = await winrmFailure(target(fleet.host("no-shells-left")));
    expect(f.message).toMatch(/maximum number of 0 concurrent shells/);
    expect(causeOf(f)).toBe("winrm-shell-quota");
    expect(remedyFor(f).fix).toMatch(/MaxShellsPerUser/);
  });
});

describe("WinRM failures the simulator cannot produce, built with the client's own error types", () => {
  const where = "opening a WinRM shell on http://10.0.0.11:5985/wsman";

  it("logged on but refused a shell (w:AccessDenied): not an administrator; LocalAccountTokenFilterPolicy for a local account", () => {
    const e = toCertfleetError("web01", new WsmanFault("s:Sender", "w:AccessDenied", "Access is denied.", "5", "web01"), where);
    const f: FailureFacts = { kind: e.kind, message: e.message, ...(e.remote ? { remote: e.remote } : {}), transport: "winrm" };
    expect(causeOf(f)).toBe("access-denied");
    const r = remedyFor(f);
    expect(r.cause).toMatch(/not an administrator on this host/);
    expect(r.fix).toMatch(/LocalAccountTokenFilterPolicy=1/);
    expect(`${r.cause} ${r.fix}`).not.toMatch(SSH_WORDS);
  });

  it("no answer within the connect timeout: the firewall and 5985/5986, then --connect-timeout", () => {
    const e = toCertfleetError("web01", new ConnectionFailure("timeout", "no connection to 10.0.0.11 port 5985 within 20000 ms", false), where);
    const f: FailureFacts = { kind: e.kind, message: e.message, transport: "winrm" };
    expect(causeOf(f)).toBe("winrm-no-answer");
    expect(remedyFor(f).fix).toMatch(/firewall.*5986.*--connect-timeout/);
  });

  it("netsh error 5 and a session that is not elevated, over WinRM: the account, not sshd's session", () => {
    for (const f of [
      { kind: "apply", message: "update of 0.0.0.0:443 failed", remote: "SSL Certificate update failed, Error: 5\nAccess is denied." },
      { kind: "elevation", message: "the remote session is not elevated (no High Mandatory Level): certutil -importpfx into LocalMachine\\My would fail with 0x80070005" },
      { kind: "precondition", message: "the remote session is not elevated (no High Mandatory Level): netsh would fail with error 5" },
    ] as const) {
      const r = remedyFor({ ...f, transport: "winrm" });
      expect(r.cause, f.message).toMatch(/not an administrator on this host/);
      expect(`${r.cause} ${r.fix}`).not.toMatch(SSH_WORDS);
    }
  });

  it("a command that ran out of the shell's memory (MaxMemoryPerShellMB)", () => {
    const f: FailureFacts = { kind: "apply", message: "certutil -importpfx failed", remote: "The paging file is too small for this operation to complete.", transport: "winrm" };
    expect(causeOf(f)).toBe("winrm-memory-quota");
    expect(remedyFor(f).fix).toMatch(/MaxMemoryPerShellMB/);
  });
});

describe("the transport decides only what depends on it", () => {
  /** One failure of each kind as certfleet reports it over SSH. */
  const sshFailures: FailureFacts[] = [
    { kind: "unreachable", message: "cannot connect to 127.0.0.1 port 45841: ECONNREFUSED" },
    { kind: "unreachable", message: "cannot connect to web9.example.com port 22: ENOTFOUND" },
    { kind: "timeout", message: "no SSH session with 10.0.0.11:22 within 20000 ms" },
    { kind: "auth", message: "authentication failed for certadmin@10.0.0.11:22" },
    { kind: "host-key", message: "HOST KEY CHANGED for [10.0.0.11]:22: the server offered ..." },
    { kind: "host-key", message: "unknown host key for [10.0.0.11]:22: ..." },
    { kind: "precondition", message: "the remote session is not elevated (no High Mandatory Level): netsh would fail with error 5" },
    { kind: "apply", message: "add 0.0.0.0:443 failed", remote: "SSL Certificate add failed, Error: 1312\nA specified logon session does not exist. It may already have been terminated." },
    { kind: "apply", message: "add failed", remote: "The paging file is too small for this operation to complete." },
    { kind: "parse", message: "certutil output could not be read" },
  ];

  it.each(sshFailures.map((f) => [f.message, f] as const))("over SSH, named or not, the text is today's: %s", (_m, f) => {
    expect(remedyFor({ ...f, transport: "ssh" })).toEqual(remedyFor(f));
  });

  it("SSH texts are the ones operators know (sshd, administrators_authorized_keys, known_hosts)", () => {
    expect(remedyFor({ ...sshFailures[0]!, transport: "ssh" }).fix).toBe(
      "start the OpenSSH Server service (sshd) and open the port in the firewall, or correct port in the inventory",
    );
    expect(remedyFor({ ...sshFailures[3]!, transport: "ssh" }).fix).toContain("administrators_authorized_keys");
    expect(remedyFor({ ...sshFailures[6]!, transport: "ssh" }).cause).toContain("the SSH session is not elevated");
  });

  it("causes that lie on the host, not in the transport, read the same over WinRM (1312, the plan, no route)", () => {
    for (const f of [sshFailures[1]!, sshFailures[7]!, { kind: "apply", message: "binding 0.0.0.0:443 was changed by someone else while certfleet was changing it (compare-and-set)" } as FailureFacts]) {
      expect(remedyFor({ ...f, transport: "winrm" })).toEqual(remedyFor(f));
    }
  });

  it("no WinRM remedy, whatever the failure, sends the operator the SSH way", () => {
    for (const f of sshFailures) {
      const r = remedyFor({ ...f, transport: "winrm" });
      expect(`${r.cause} ${r.fix ?? ""}`, f.message).not.toMatch(SSH_WORDS);
    }
  });
});

describe("a verify failure on a binding its owner manages", () => {
  it("is the owner's to move, over either transport; any other verify failure keeps the app-pool advice", () => {
    for (const transport of ["ssh", "winrm"] as const) {
      const r = remedyFor({ kind: "verify", message: "sts.example.com:443: served 0afd713f…, expected 615ebf51… (owner-managed (adfs): left to its owner; run its commands)", transport });
      expect(r.cause).toMatch(/its owner manages/);
      expect(r.fix).toMatch(/--rebind-owner-managed/);
    }
    expect(remedyFor({ kind: "verify", message: "0.0.0.0:443: served 0afd713f…, expected 615ebf51…" }).fix).toMatch(/recycle the app pool/);
  });
});
