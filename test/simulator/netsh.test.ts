import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFleet, type SimFleet } from "../../src/simulator/index.js";
import { IIS, hostSpec, testCerts } from "./fixture.js";
import { closeConnections, run } from "./helpers.js";

let fleet: SimFleet;

beforeAll(async () => {
  fleet = await startFleet([
    hostSpec("cmd22", { os: "2022", language: "en", shell: "cmd" }),
    hostSpec("ps22", { os: "2022", language: "en", shell: "powershell" }),
    hostSpec("cmd12", { os: "2012r2", language: "en", shell: "cmd" }),
    hostSpec("cmd16", { os: "2016", language: "en", shell: "cmd" }),
    hostSpec("medium", { os: "2022", language: "en", shell: "cmd" }, { faults: { notElevated: true } }),
  ]);
});

afterAll(async () => {
  await closeConnections();
  await fleet.stop();
});

const out = (r: { stdout: Buffer }): string => r.stdout.toString();

describe("netsh http add sslcert", () => {
  it("refuses an existing binding with 183", async () => {
    const { newCert } = testCerts();
    const host = fleet.host("cmd22");
    const before = host.snapshot();
    const r = await run(fleet, host, `netsh http add sslcert ipport=0.0.0.0:443 certhash=${newCert.thumbprint} appid=${IIS}`);
    expect(out(r)).toBe("\r\nSSL Certificate add failed, Error: 183\r\nCannot create a file when that file already exists.\r\n\r\n");
    expect(r.code).toBe(1);
    expect(host.snapshot()).toEqual(before);
  });

  it("refuses a certificate without a private key, or not in the store, with 1312", async () => {
    const { noKeyCert } = testCerts();
    const host = fleet.host("cmd22");
    for (const hash of [noKeyCert.thumbprint, "0123456789abcdef0123456789abcdef01234567"]) {
      const r = await run(fleet, host, `netsh http add sslcert ipport=10.0.0.5:443 certhash=${hash} appid=${IIS}`);
      expect(out(r)).toBe(
        "\r\nSSL Certificate add failed, Error: 1312\r\nA specified logon session does not exist. It may already have been terminated.\r\n\r\n",
      );
      expect(r.code).toBe(1);
    }
    expect(host.bindings.some((b) => b.endpoint === "10.0.0.5:443")).toBe(false);
  });

  it("adds with every parameter kept, case-insensitively", async () => {
    const { newCert } = testCerts();
    const host = fleet.host("cmd22");
    const r = await run(
      fleet,
      host,
      `netsh http add sslcert ipport=10.0.0.6:8443 certhash=${newCert.thumbprint.toUpperCase()} appid=${IIS.toUpperCase()} certstorename=MY DisableHttp2=ENABLE sslctlstorename=AdfsTrustedDevices revocationfreshnesstime=30`,
    );
    expect(out(r)).toBe("\r\nSSL Certificate successfully added\r\n");
    expect(r.code).toBe(0);
    const b = host.bindings.find((x) => x.endpoint === "10.0.0.6:8443");
    expect(b).toMatchObject({ certHash: newCert.thumbprint, appId: IIS, storeName: "MY" });
    expect(b?.params).toMatchObject({ disablehttp2: "enable", sslctlstorename: "AdfsTrustedDevices", revocationfreshnesstime: "30", usagecheck: "enable" });
    const shown = out(await run(fleet, host, "netsh http show sslcert ipport=10.0.0.6:8443"));
    expect(shown).toContain("    Disable HTTP2                : Set\r\n");
    expect(shown).toContain("    Ctl Store Name               : AdfsTrustedDevices\r\n");
    expect(shown).toContain("    Revocation Freshness Time    : 30\r\n");
  });

  it("without appid prints the usage text", async () => {
    const { newCert } = testCerts();
    const r = await run(fleet, fleet.host("cmd22"), `netsh http add sslcert ipport=10.0.0.7:443 certhash=${newCert.thumbprint}`);
    expect(out(r)).toContain("One or more essential parameters were not entered.\r\nVerify the required parameters, and reenter them.\r\n");
    expect(out(r)).toContain("\r\nUsage: add sslcert hostnameport=<name:port> | ipport=<ipaddr:port> | ccs=<port>\r\n        appid=<GUID>\r\n");
    expect(out(r)).toContain("        [enablesessionticket=enable|disable]\r\n");
    expect(r.code).toBe(1);
  });

  it("rejects a parameter the OS does not have with the syntax error (2016 has no disablelegacytls)", async () => {
    const { newCert } = testCerts();
    const r = await run(fleet, fleet.host("cmd16"), `netsh http add sslcert ipport=10.0.0.8:443 certhash=${newCert.thumbprint} appid=${IIS} disablelegacytls=enable`);
    expect(out(r)).toContain("The syntax supplied for this command is not valid. Check help for the correct syntax.");
    expect(out(r)).not.toContain("[disablelegacytls");
    expect(out(r)).toContain("        [disablehttp2=enable|disable]\r\n");
    expect(r.code).toBe(1);
  });

  it("rejects bad values and a hostname in ipport= with The parameter is incorrect.", async () => {
    const { newCert } = testCerts();
    for (const bad of [`ipport=www.example.com:443 certhash=${newCert.thumbprint} appid=${IIS}`, `ipport=10.0.0.9:443 certhash=${newCert.thumbprint} appid=${IIS} usagecheck=yes`]) {
      const r = await run(fleet, fleet.host("cmd22"), `netsh http add sslcert ${bad}`);
      expect(out(r)).toBe("The parameter is incorrect.\r\n\r\n");
      expect(r.code).toBe(1);
    }
  });

  it("fails with 5 / Access is denied. when not elevated", async () => {
    const { newCert } = testCerts();
    const r = await run(fleet, fleet.host("medium"), `netsh http add sslcert ipport=10.0.0.1:443 certhash=${newCert.thumbprint} appid=${IIS}`);
    expect(out(r)).toBe("\r\nSSL Certificate add failed, Error: 5\r\nAccess is denied.\r\n\r\n");
    expect(r.code).toBe(1);
    const d = await run(fleet, fleet.host("medium"), "netsh http delete sslcert ipport=0.0.0.0:443");
    expect(out(d)).toContain("SSL Certificate deletion failed, Error: 5");
    expect(fleet.host("medium").bindings).toHaveLength(2);
  });
});

describe("PowerShell quoting", () => {
  it("an unquoted {GUID} reaches netsh mangled: The parameter is incorrect.", async () => {
    const { newCert } = testCerts();
    const host = fleet.host("ps22");
    const r = await run(fleet, host, `netsh http add sslcert ipport=10.1.0.1:443 certhash=${newCert.thumbprint} appid=${IIS}`);
    expect(out(r)).toBe("The parameter is incorrect.\r\n\r\n");
    expect(r.code).toBe(1);
    expect(host.bindings.some((b) => b.endpoint === "10.1.0.1:443")).toBe(false);
  });

  it("a quoted '{GUID}' works", async () => {
    const { newCert } = testCerts();
    const host = fleet.host("ps22");
    const r = await run(fleet, host, `netsh http add sslcert ipport=10.1.0.2:443 certhash=${newCert.thumbprint} appid='${IIS}'`);
    expect(out(r)).toBe("\r\nSSL Certificate successfully added\r\n");
    expect(host.bindings.find((b) => b.endpoint === "10.1.0.2:443")?.appId).toBe(IIS);
  });

  it("`&` between commands is a parse error and nothing runs", async () => {
    const host = fleet.host("ps22");
    const before = host.snapshot();
    const r = await run(fleet, host, "netsh http delete sslcert ipport=0.0.0.0:443 & echo done");
    expect(r.stdout.length).toBe(0);
    expect(r.stderr.toString()).toContain("The ampersand (&) character is not allowed.");
    expect(r.stderr.toString()).toContain("FullyQualifiedErrorId : AmpersandNotAllowed");
    expect(r.code).toBe(1);
    expect(host.snapshot()).toEqual(before);
  });
});

describe("delete, update, show", () => {
  it("delete of a missing binding: Error: 2", async () => {
    const r = await run(fleet, fleet.host("cmd22"), "netsh http delete sslcert ipport=10.9.9.9:443");
    expect(out(r)).toBe("\r\nSSL Certificate deletion failed, Error: 2\r\nThe system cannot find the file specified.\r\n\r\n");
    expect(r.code).toBe(1);
  });

  it("show of a missing binding: The system cannot find the file specified.", async () => {
    const r = await run(fleet, fleet.host("cmd22"), "netsh http show sslcert hostnameport=nothere.example.com:443");
    expect(out(r)).toContain("The system cannot find the file specified.\r\n");
    expect(r.code).toBe(1);
  });

  it("update keeps the other settings and changes the hash", async () => {
    const { newCert, oldCert } = testCerts();
    const host = fleet.host("cmd16");
    await host.putBinding({ kind: "ipport", endpoint: "0.0.0.0:4443", certHash: oldCert.thumbprint, appId: IIS, storeName: "MY", params: { disablehttp2: "enable", clientcertnegotiation: "enable" } });
    const before = host.bindings.find((b) => b.endpoint === "0.0.0.0:4443");
    const r = await run(fleet, host, `netsh http update sslcert ipport=0.0.0.0:4443 certhash=${newCert.thumbprint} appid=${IIS}`);
    expect(out(r)).toBe("\r\nSSL Certificate successfully updated\r\n");
    const after = host.bindings.find((b) => b.endpoint === "0.0.0.0:4443");
    expect(after).toEqual({ ...before, certHash: newCert.thumbprint });
  });

  it("update does not exist on 2012 R2", async () => {
    const { newCert } = testCerts();
    const host = fleet.host("cmd12");
    const before = host.snapshot();
    const cmd = `netsh http update sslcert ipport=0.0.0.0:443 certhash=${newCert.thumbprint} appid=${IIS}`;
    const r = await run(fleet, host, cmd);
    expect(out(r)).toBe(`The following command was not found: ${cmd.slice("netsh ".length)}.\r\n`);
    expect(r.code).toBe(1);
    expect(host.snapshot()).toEqual(before);
  });

  it("delete then add restores an equal binding (what a 2012 R2 rollout does)", async () => {
    const { newCert } = testCerts();
    const host = fleet.host("cmd12");
    const del = await run(fleet, host, "netsh http delete sslcert hostnameport=www.example.com:443");
    expect(out(del)).toBe("\r\nSSL Certificate successfully deleted\r\n");
    const add = await run(fleet, host, `netsh http add sslcert hostnameport=www.example.com:443 certhash=${newCert.thumbprint} appid=${IIS} certstorename=MY verifyclientcertrevocation=enable`);
    expect(out(add)).toBe("\r\nSSL Certificate successfully added\r\n");
    expect(host.bindings.find((b) => b.kind === "hostnameport")).toMatchObject({ certHash: newCert.thumbprint, storeName: "MY", params: { verifyclientcertrevocation: "enable", usagecheck: "enable" } });
    expect(host.commandLog.slice(-2)).toEqual([
      "netsh http delete sslcert hostnameport=www.example.com:443",
      expect.stringContaining("netsh http add sslcert hostnameport=www.example.com:443"),
    ]);
  });

  it("cmd.exe && stops after a failure; || runs the fallback", async () => {
    const r = await run(fleet, fleet.host("cmd22"), "netsh http delete sslcert ipport=10.9.9.8:443 && echo yes || echo fallback");
    expect(out(r)).toContain("Error: 2");
    expect(out(r)).not.toContain("yes");
    expect(out(r)).toContain("fallback\r\n");
  });
});
