/**
 * The simulated consumers over real SSH, read and changed with certfleet's own builders and
 * parsers: WinRM listeners (and the drift of their binding on a restart), the RDP and WMSvc
 * registry values, key ACLs by SID on localized hosts, and the RDP listener's X.224 + TLS proof.
 */
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFleet, type SimFleet, type SimHost } from "../../src/simulator/index.js";
import { connectionRequest, parseConnectionConfirm, probeRdp } from "../../src/verify/rdp-probe.js";
import { parseIcaclsSave, parseKeyLocation, sidsWithRead } from "../../src/windows/key-acl-parse.js";
import {
  WINRM_ENUMERATE,
  keyAclReadCommand,
  keyGrantReadCommand,
  keyLocationCommand,
  keyRemoveGrantCommand,
  regDeleteValueCommand,
  regQueryCommand,
  regSetHashCommand,
  winrmSetThumbprintCommand,
} from "../../src/windows/consumer-commands.js";
import { updateBindingCommand } from "../../src/windows/commands.js";
import { decodeWindowsOutput } from "../../src/windows/decode.js";
import { parseRegBinaryHash } from "../../src/windows/reg-parse.js";
import { parseWinrmListeners } from "../../src/windows/winrm-listener-parse.js";
import { IIS, hostSpec, testCerts } from "./fixture.js";
import { closeConnections, run, servedThumbprint } from "./helpers.js";

const WINRM = "{afebb9ad-9b97-4a91-9ab5-daf4d59122f6}";
const WMSVC_APPID = "{00000000-0000-0000-0000-000000000000}";
let fleet: SimFleet;

function consumerHost(name: string, profile: { language: "en" | "fr" | "de"; shell: "cmd" | "powershell" }) {
  const { oldCert } = testCerts();
  const base = hostSpec(name, { os: "2022", ...profile });
  return {
    ...base,
    bindings: [
      ...base.bindings!,
      { kind: "ipport" as const, endpoint: "0.0.0.0:5986", certHash: oldCert.thumbprint, appId: WINRM },
      { kind: "ipport" as const, endpoint: "0.0.0.0:8172", certHash: oldCert.thumbprint, appId: WMSVC_APPID },
    ],
    consumers: {
      rdp: { thumbprint: oldCert.thumbprint },
      wmsvc: { thumbprint: oldCert.thumbprint },
      winrmListeners: [
        { transport: "HTTP" as const },
        { transport: "HTTPS" as const, hostname: "www.example.com", certificateThumbprint: oldCert.thumbprint },
      ],
      keyGrants: [{ thumbprint: oldCert.thumbprint, sid: "S-1-5-20" }],
    },
  };
}

beforeAll(async () => {
  fleet = await startFleet([
    consumerHost("en-cmd", { language: "en", shell: "cmd" }),
    consumerHost("de-ps", { language: "de", shell: "powershell" }),
    consumerHost("fr-cmd", { language: "fr", shell: "cmd" }),
    { ...hostSpec("plain", { os: "2016" }), bindings: [{ kind: "ipport", endpoint: "0.0.0.0:443", certHash: testCerts().oldCert.thumbprint, appId: IIS }] },
  ]);
});

afterAll(async () => {
  await closeConnections();
  await fleet.stop();
});

async function text(host: SimHost, command: string): Promise<{ out: string; err: string; code: number | null }> {
  const r = await run(fleet, host, command);
  const cp = host.language === "en" ? 437 : 850;
  return { out: decodeWindowsOutput(r.stdout, cp), err: decodeWindowsOutput(r.stderr, cp), code: r.code };
}

const HOSTS = ["en-cmd", "de-ps", "fr-cmd"] as const;
const rdpAddress = (h: SimHost) => {
  const [host, port] = h.rdpEndpoint()!.split(":");
  return { host: host!, port: Number(port), timeoutMs: 5000 };
};

describe("WinRM listeners", () => {
  it.each(HOSTS)("winrm enumerate reads back through the parser (%s)", async (name) => {
    const h = fleet.host(name);
    const r = await text(h, WINRM_ENUMERATE);
    expect(r.code).toBe(0);
    const parsed = parseWinrmListeners(r.out);
    expect(parsed.warnings).toEqual([]);
    expect(parsed.listeners.map((l) => [l.transport, l.port, l.hostname, l.certificateThumbprint])).toEqual([
      ["HTTP", 5985, "", null],
      ["HTTPS", 5986, "www.example.com", testCerts().oldCert.thumbprint],
    ]);
  });

  it.each(HOSTS)("winrm set moves the listener and its 5986 binding; a restart keeps it (%s)", async (name) => {
    const h = fleet.host(name);
    const { newCert, oldCert } = testCerts();
    const r = await text(h, winrmSetThumbprintCommand(h.shell, "*", newCert.thumbprint));
    expect(r.code, r.err).toBe(0);
    expect(parseWinrmListeners(r.out).listeners[0]!.certificateThumbprint).toBe(newCert.thumbprint);
    expect(h.bindings.find((b) => b.endpoint === "0.0.0.0:5986")!.certHash).toBe(newCert.thumbprint);
    expect(await servedThumbprint(h.tlsEndpoints()["0.0.0.0:5986"]!)).toBe(newCert.thumbprint);
    await h.restartService("winrm");
    expect(await servedThumbprint(h.tlsEndpoints()["0.0.0.0:5986"]!)).toBe(newCert.thumbprint);
    // put it back for the other tests
    expect((await text(h, winrmSetThumbprintCommand(h.shell, "*", oldCert.thumbprint))).code).toBe(0);
  });

  it("under PowerShell an unquoted @{...} reaches winrm as a hashtable and is refused; nothing changes", async () => {
    const h = fleet.host("de-ps");
    const { newCert, oldCert } = testCerts();
    const unquoted = winrmSetThumbprintCommand("cmd", "*", newCert.thumbprint);
    const r = await text(h, unquoted);
    expect(r.code).not.toBe(0);
    expect(r.err).toContain("winrm -?");
    expect(h.winrmListeners[1]!.certificateThumbprint).toBe(oldCert.thumbprint);
  });

  it("a certificate that does not cover the listener's Hostname is refused with WinRM's fault", async () => {
    const h = fleet.host("en-cmd");
    const r = await text(h, winrmSetThumbprintCommand("cmd", "*", testCerts().otherCert.thumbprint));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/WSManFault[\s\S]*does not have an appropriate certificate[\s\S]*Error number:/);
    expect(h.winrmListeners[1]!.certificateThumbprint).toBe(testCerts().oldCert.thumbprint);
  });

  it("drift: a 5986 binding moved with netsh alone goes back to the listener's certificate on restart", async () => {
    const h = fleet.host("fr-cmd");
    const { newCert, oldCert } = testCerts();
    const binding = { kind: "ipport" as const, endpoint: "0.0.0.0:5986", certHash: newCert.thumbprint, appId: WINRM, storeName: null, settings: {} };
    expect((await text(h, updateBindingCommand("cmd", binding))).code).toBe(0);
    expect(await servedThumbprint(h.tlsEndpoints()["0.0.0.0:5986"]!)).toBe(newCert.thumbprint);
    await fleet.restartAll();
    expect(await servedThumbprint(h.tlsEndpoints()["0.0.0.0:5986"]!)).toBe(oldCert.thumbprint);
    expect(h.restarts.slice(-3)).toEqual(["winrm", "wmsvc", "termservice"]);
  });
});

describe("registry values (RDP, WMSvc)", () => {
  it.each(HOSTS)("query, add, delete, and the localized not-found reads as absent (%s)", async (name) => {
    const h = fleet.host(name);
    const { newCert, oldCert } = testCerts();
    const read = async () => {
      const r = await text(h, regQueryCommand(h.shell, "wmsvc"));
      return parseRegBinaryHash(r.out + r.err, "SslCertificateHash");
    };
    expect(await read()).toEqual({ state: "present", thumbprint: oldCert.thumbprint, type: "REG_BINARY" });
    expect((await text(h, regSetHashCommand(h.shell, "wmsvc", newCert.thumbprint))).code).toBe(0);
    expect(await read()).toEqual({ state: "present", thumbprint: newCert.thumbprint, type: "REG_BINARY" });
    expect((await text(h, regDeleteValueCommand(h.shell, "wmsvc"))).code).toBe(0);
    const absent = await read();
    expect(absent.state).toBe("absent");
    const again = await text(h, regDeleteValueCommand(h.shell, "wmsvc"));
    expect(again.code).toBe(1);
    expect((await text(h, regSetHashCommand(h.shell, "wmsvc", oldCert.thumbprint))).code).toBe(0);
  });

  it("drift: WMSvc re-writes its 8172 binding from the registry on restart; moved together it stays", async () => {
    const h = fleet.host("en-cmd");
    const { newCert, oldCert } = testCerts();
    const binding = { kind: "ipport" as const, endpoint: "0.0.0.0:8172", certHash: newCert.thumbprint, appId: WMSVC_APPID, storeName: null, settings: {} };
    await text(h, updateBindingCommand("cmd", binding));
    await h.restartService("wmsvc");
    expect(await servedThumbprint(h.tlsEndpoints()["0.0.0.0:8172"]!)).toBe(oldCert.thumbprint);
    await text(h, updateBindingCommand("cmd", binding));
    await text(h, regSetHashCommand("cmd", "wmsvc", newCert.thumbprint));
    await h.restartService("wmsvc");
    expect(await servedThumbprint(h.tlsEndpoints()["0.0.0.0:8172"]!)).toBe(newCert.thumbprint);
  });
});

describe("key ACLs and the RDP listener", () => {
  it.each(HOSTS)("without NETWORK SERVICE read on the new key the RDP handshake fails; granted by SID it serves the new certificate (%s)", async (name) => {
    const h = fleet.host(name);
    const { newCert, oldCert } = testCerts();
    expect((await probeRdp(rdpAddress(h))).thumbprint).toBe(oldCert.thumbprint);

    expect((await text(h, regSetHashCommand(h.shell, "rdp", newCert.thumbprint))).code).toBe(0);
    await expect(probeRdp(rdpAddress(h))).rejects.toThrow(/TLS handshake on the RDP listener failed|closed the connection/);

    // Locate the key and read its ACL the language-independent way.
    const loc = parseKeyLocation((await text(h, keyLocationCommand(newCert.thumbprint))).out);
    expect(loc.ok).toBe(true);
    if (!loc.ok) return;
    const aclBefore = parseIcaclsSave((await text(h, keyAclReadCommand(h.shell, loc.location))).out);
    expect(aclBefore.ok && sidsWithRead(aclBefore.acl)).toEqual(["S-1-5-18", "S-1-5-32-544"]);

    const grant = await text(h, keyGrantReadCommand(h.shell, loc.location, "S-1-5-20"));
    expect(grant.code, grant.err).toBe(0);
    // The grant went out by SID: the same line works on every display language.
    expect(h.commandLog.at(-1)).toMatch(/ \/grant \*S-1-5-20:R$/);
    const aclAfter = parseIcaclsSave((await text(h, keyAclReadCommand(h.shell, loc.location))).out);
    expect(aclAfter.ok && sidsWithRead(aclAfter.acl)).toEqual(["S-1-5-18", "S-1-5-32-544", "S-1-5-20"]);
    expect((await probeRdp(rdpAddress(h))).thumbprint).toBe(newCert.thumbprint);
    expect(h.files.filesUnder("C:\\Windows\\Temp")).toEqual([]); // the ACL file was removed

    // Undo: remove only the grant, put the value back.
    expect((await text(h, keyRemoveGrantCommand(h.shell, loc.location, "S-1-5-20"))).code).toBe(0);
    await expect(probeRdp(rdpAddress(h))).rejects.toThrow();
    expect((await text(h, regSetHashCommand(h.shell, "rdp", oldCert.thumbprint))).code).toBe(0);
    expect((await probeRdp(rdpAddress(h))).thumbprint).toBe(oldCert.thumbprint);
  });

  it("a grant by the English account name fails on a German host; icacls shows the German name", async () => {
    const h = fleet.host("de-ps");
    const { newCert } = testCerts();
    const loc = parseKeyLocation((await text(h, keyLocationCommand(newCert.thumbprint))).out);
    if (!loc.ok) throw new Error(loc.reason);
    const file = `C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys\\${loc.location.uniqueName}`;
    const byName = await text(h, `icacls ${file} /grant 'NETWORK SERVICE:R'`);
    expect(byName.code).not.toBe(0);
    expect(byName.err).toContain("Zuordnung");
    const byGermanName = await text(h, `icacls ${file} /grant 'NETZWERKDIENST:R'`);
    expect(byGermanName.code).toBe(0);
    expect((await text(h, `icacls ${file}`)).out).toContain("NT-AUTORITÄT\\NETZWERKDIENST:(R)");
    await text(h, keyRemoveGrantCommand("powershell", loc.location, "S-1-5-20"));
  });

  it("no value in the registry: the listener serves its self-signed certificate", async () => {
    const h = fleet.host("fr-cmd");
    const { oldCert, newCert } = testCerts();
    await text(h, regDeleteValueCommand("cmd", "rdp"));
    const served = await probeRdp(rdpAddress(h));
    expect([oldCert.thumbprint, newCert.thumbprint]).not.toContain(served.thumbprint);
    expect(served.subject).toContain("FR-CMD");
    await text(h, regSetHashCommand("cmd", "rdp", oldCert.thumbprint));
  });

  it("a client that does not offer TLS gets a Negotiation Failure (SSL_REQUIRED_BY_SERVER)", async () => {
    const { host, port } = rdpAddress(fleet.host("en-cmd"));
    const frame = await new Promise<Buffer>((resolve, reject) => {
      const s = connect({ host, port }, () => s.write(connectionRequest(0)));
      const chunks: Buffer[] = [];
      s.on("data", (d) => chunks.push(d));
      s.on("end", () => resolve(Buffer.concat(chunks)));
      s.on("error", reject);
    });
    expect(parseConnectionConfirm(frame)).toEqual({ kind: "failure", code: 1, name: "SSL_REQUIRED_BY_SERVER" });
  });

  it("a host without an RDP listener has no RDP endpoint", () => {
    expect(fleet.host("plain").rdpEndpoint()).toBeNull();
  });
});
