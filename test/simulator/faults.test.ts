import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFleet, type SimFleet } from "../../src/simulator/index.js";
import { IIS, hostSpec, testCerts } from "./fixture.js";
import { closeConnections, execOn, run, runOnce, sshConnect } from "./helpers.js";

let fleet: SimFleet;

beforeAll(async () => {
  fleet = await startFleet([
    hostSpec("down", { os: "2022" }, { faults: { unreachable: true } }),
    hostSpec("flaky", { os: "2022" }),
    hostSpec("locked", { os: "2022" }, { faults: { badAuth: true } }),
    hostSpec("pw", { os: "2016", shell: "powershell" }),
  ]);
});

afterAll(async () => {
  await closeConnections();
  await fleet.stop();
});

describe("connection faults", () => {
  it("an unreachable host refuses the connection, and comes back on the same port", async () => {
    const host = fleet.host("down");
    const port = host.sshPort;
    await expect(sshConnect(fleet, host)).rejects.toMatchObject({ code: "ECONNREFUSED" });
    await host.setFaults({ unreachable: false });
    expect(host.sshPort).toBe(port);
    const r = await runOnce(fleet, host, "hostname");
    expect(r.stdout.toString()).toBe("DOWN\r\n");
    await host.setFaults({ unreachable: true });
    await expect(sshConnect(fleet, host)).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });

  it("badAuth rejects the key and the password", async () => {
    const host = fleet.host("locked");
    await expect(sshConnect(fleet, host)).rejects.toMatchObject({ level: "client-authentication" });
    await expect(sshConnect(fleet, host, { password: fleet.password })).rejects.toMatchObject({ level: "client-authentication" });
    await host.setFaults({ badAuth: false });
    const r = await runOnce(fleet, host, "whoami");
    expect(r.stdout.toString()).toBe(`locked\\${fleet.user}\r\n`);
  });

  it("password auth works with the configured password only", async () => {
    const host = fleet.host("pw");
    const client = await sshConnect(fleet, host, { password: fleet.password });
    expect((await execOn(client, "hostname")).stdout.toString()).toBe("PW\r\n");
    client.end();
    await expect(sshConnect(fleet, host, { password: "wrong" })).rejects.toMatchObject({ level: "client-authentication" });
  });

  it("host key line and fingerprint are consistent", () => {
    const host = fleet.host("flaky");
    expect(host.hostKeyLine).toMatch(/^ssh-ed25519 AAAA[A-Za-z0-9+/=]+$/);
    expect(host.hostKeyFingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(fleet.knownHostsText()).toContain(`[127.0.0.1]:${host.sshPort} ${host.hostKeyLine}\n`);
  });
});

describe("command faults", () => {
  it("dropAfter executes the command, then cuts the connection before the reply", async () => {
    const host = fleet.host("flaky");
    host.faults.dropAfter = /delete sslcert/;
    const client = await sshConnect(fleet, host);
    const closed = new Promise<void>((resolve) => client.on("close", () => resolve()));
    const r = await execOn(client, "netsh http delete sslcert ipport=0.0.0.0:443");
    await closed;
    expect(r.code).toBeNull();
    expect(r.stdout.length).toBe(0);
    expect(host.bindings.some((b) => b.endpoint === "0.0.0.0:443")).toBe(false);
    host.faults.dropAfter = undefined;
    const show = await runOnce(fleet, host, "netsh http show sslcert ipport=0.0.0.0:443");
    expect(show.stdout.toString()).toContain("The system cannot find the file specified.");
  });

  it("dropEveryNth cuts the connection at the Nth, 2Nth, ... command the host receives, after running it", async () => {
    const host = fleet.host("flaky");
    host.commandLog.length = 0;
    host.faults.dropEveryNth = 3;
    const codes: Array<number | null> = [];
    for (let i = 0; i < 6; i++) codes.push((await runOnce(fleet, host, "hostname")).code);
    host.faults.dropEveryNth = 0;
    expect(codes).toEqual([0, 0, null, 0, 0, null]);
    expect(host.commandLog).toEqual(Array.from({ length: 6 }, () => "hostname"));
  });

  it("hangOn never answers that command while others still do", async () => {
    const host = fleet.host("flaky");
    host.faults.hangOn = /certutil/;
    const client = await sshConnect(fleet, host);
    let answered = false;
    void execOn(client, "certutil -store My").then(() => {
      answered = true;
    });
    const other = await runOnce(fleet, host, "hostname");
    expect(other.stdout.toString()).toBe("FLAKY\r\n");
    expect(host.commandLog).toContain("certutil -store My");
    expect(answered).toBe(false);
    host.faults.hangOn = undefined;
    client.end();
  });

  it("garbageOn truncates the output and appends junk", async () => {
    const host = fleet.host("flaky");
    const clean = await run(fleet, host, "certutil -store My");
    host.faults.garbageOn = /certutil/;
    const bad = await run(fleet, host, "certutil -store My");
    host.faults.garbageOn = undefined;
    expect(bad.stdout.length).toBeLessThan(clean.stdout.length);
    expect(bad.stdout.subarray(0, 40)).toEqual(clean.stdout.subarray(0, 40));
    expect(bad.stdout.toString("latin1")).not.toContain("completed successfully");
  });

  it("notElevated can be switched on mid-run", async () => {
    const host = fleet.host("flaky");
    const { newCert } = testCerts();
    host.faults.notElevated = true;
    const r = await run(fleet, host, `netsh http add sslcert ipport=0.0.0.0:443 certhash=${newCert.thumbprint} appid=${IIS}`);
    expect(r.stdout.toString()).toContain("SSL Certificate add failed, Error: 5");
    expect((await run(fleet, host, "whoami /groups")).stdout.toString()).toContain("S-1-16-8192");
    host.faults.notElevated = false;
  });

  it("failAddWith1312ForHash makes a usable certificate fail like a broken key", async () => {
    const host = fleet.host("flaky");
    const { newCert } = testCerts();
    host.faults.failAddWith1312ForHash = newCert.thumbprint;
    const r = await run(fleet, host, `netsh http add sslcert ipport=0.0.0.0:443 certhash=${newCert.thumbprint} appid=${IIS}`);
    expect(r.stdout.toString()).toContain("Error: 1312");
    host.faults.failAddWith1312ForHash = undefined;
  });

  it("the command log records what was sent, in order", async () => {
    const host = fleet.host("pw");
    const start = host.commandLog.length;
    await run(fleet, host, "netsh http show sslcert");
    await run(fleet, host, "whoami /groups");
    expect(host.commandLog.slice(start)).toEqual(["netsh http show sslcert", "whoami /groups"]);
  });
});
