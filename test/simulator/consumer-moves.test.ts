/**
 * The consumer pieces end to end on simulated hosts over real SSH (en/cmd, de/PowerShell,
 * fr/cmd): read every consumer with certfleet's commands and parsers, plan the moves, rebind the
 * owned http.sys bindings and apply the moves, prove them (TLS, RDP X.224 + TLS, owners' own
 * settings), survive a restart of every service, then undo everything back to the exact start.
 * The rollout's step structure will drive the same calls.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFleet, type SimFleet, type SimHost } from "../../src/simulator/index.js";
import { consumersOf, ownerMismatches } from "../../src/plan/consumer-inventory.js";
import { applyCommand, planConsumerMoves, undoCommand } from "../../src/plan/consumer-moves.js";
import { probeRdp } from "../../src/verify/rdp-probe.js";
import { classifyBinding } from "../../src/windows/binding-owner.js";
import { isSendable, updateBindingCommand } from "../../src/windows/commands.js";
import { WINRM_ENUMERATE, keyAclReadCommand, keyLocationCommand, regQueryCommand } from "../../src/windows/consumer-commands.js";
import { decodeWindowsOutput } from "../../src/windows/decode.js";
import { parseIcaclsSave, parseKeyLocation } from "../../src/windows/key-acl-parse.js";
import { parseNetshShowSslcert } from "../../src/windows/netsh-parse.js";
import { parseRegBinaryHash } from "../../src/windows/reg-parse.js";
import { parseWinrmListeners } from "../../src/windows/winrm-listener-parse.js";
import { IIS, hostSpec, testCerts } from "./fixture.js";
import { closeConnections, run, servedThumbprint } from "./helpers.js";

const WINRM = "{afebb9ad-9b97-4a91-9ab5-daf4d59122f6}";
const ADFS = "{5d89a20c-beab-4389-9447-324788eb944a}";
let fleet: SimFleet;

function spec(name: string, language: "en" | "de" | "fr", shell: "cmd" | "powershell") {
  const { oldCert } = testCerts();
  const base = hostSpec(name, { os: "2022", language, shell });
  return {
    ...base,
    bindings: [
      { kind: "ipport" as const, endpoint: "0.0.0.0:443", certHash: oldCert.thumbprint, appId: IIS, storeName: null },
      { kind: "ipport" as const, endpoint: "0.0.0.0:5986", certHash: oldCert.thumbprint, appId: WINRM },
      { kind: "ipport" as const, endpoint: "0.0.0.0:8172", certHash: oldCert.thumbprint, appId: "{00000000-0000-0000-0000-000000000000}" },
      { kind: "ipport" as const, endpoint: "0.0.0.0:49443", certHash: oldCert.thumbprint, appId: ADFS, params: { sslctlstorename: "AdfsTrustedDevices" } },
    ],
    consumers: {
      rdp: { thumbprint: oldCert.thumbprint },
      wmsvc: { thumbprint: oldCert.thumbprint },
      winrmListeners: [{ transport: "HTTPS" as const, hostname: "www.example.com", certificateThumbprint: oldCert.thumbprint }],
      // RDP works today (NETWORK SERVICE reads the old key) and a service account reads it too:
      // both must read the new key before anything moves to it.
      keyGrants: [
        { thumbprint: oldCert.thumbprint, sid: "S-1-5-20" },
        { thumbprint: oldCert.thumbprint, sid: "S-1-5-21-1004336348-1177238915-682003330-1013" },
      ],
    },
  };
}

beforeAll(async () => {
  fleet = await startFleet([spec("en-cmd", "en", "cmd"), spec("de-ps", "de", "powershell"), spec("fr-cmd", "fr", "cmd")]);
});

afterAll(async () => {
  await closeConnections();
  await fleet.stop();
});

/** Runs a command; every one but the full netsh listing (part of discovery's line) must pass the gate. */
async function sh(h: SimHost, command: string): Promise<string> {
  if (command !== "netsh http show sslcert") expect(isSendable(h.shell, command), command).toBe(true);
  const r = await run(fleet, h, command);
  const out = decodeWindowsOutput(Buffer.concat([r.stdout, r.stderr]), h.language === "en" ? 437 : 850);
  return out;
}

async function read(h: SimHost, newThumb: string, oldThumb: string) {
  const bindings = parseNetshShowSslcert(await sh(h, "netsh http show sslcert")).bindings;
  const winrmListeners = parseWinrmListeners(await sh(h, WINRM_ENUMERATE)).listeners;
  const rdp = parseRegBinaryHash(await sh(h, regQueryCommand(h.shell, "rdp")), "SSLCertificateSHA1Hash");
  const wmsvc = parseRegBinaryHash(await sh(h, regQueryCommand(h.shell, "wmsvc")), "SslCertificateHash");
  const keyOf = async (t: string) => {
    const loc = parseKeyLocation(await sh(h, keyLocationCommand(t)));
    if (!loc.ok) throw new Error(loc.reason);
    const acl = parseIcaclsSave(await sh(h, keyAclReadCommand(h.shell, loc.location)));
    if (!acl.ok) throw new Error(acl.reason);
    return { location: loc.location, acl: acl.acl };
  };
  return { bindings, winrmListeners, rdp, wmsvc, newKey: await keyOf(newThumb), oldAcl: (await keyOf(oldThumb)).acl };
}

const rdpTarget = (h: SimHost) => ({ host: "127.0.0.1", port: Number(h.rdpEndpoint()!.split(":")[1]), timeoutMs: 5000 });

describe.each(["en-cmd", "de-ps", "fr-cmd"])("every consumer moves and comes back (%s)", (name) => {
  it("plan, apply, prove, restart, undo", async () => {
    const h = fleet.host(name);
    const { oldCert, newCert } = testCerts();
    const before = { bindings: h.snapshot().bindings, consumers: h.consumerSnapshot() };
    expect((await probeRdp(rdpTarget(h))).thumbprint).toBe(oldCert.thumbprint);
    const r = await read(h, newCert.thumbprint, oldCert.thumbprint);
    expect(consumersOf(r).filter((c) => c.certHash === oldCert.thumbprint).map((c) => c.owner).sort()).toEqual(["adfs", "iis", "rdp", "winrm-https", "winrm-https", "wmsvc", "wmsvc"]);

    const plan = planConsumerMoves({
      newThumbprint: newCert.thumbprint,
      newCertNames: newCert.dnsNames,
      oldThumbprints: [oldCert.thumbprint],
      bindings: r.bindings,
      winrmListeners: r.winrmListeners,
      rdp: r.rdp,
      wmsvc: r.wmsvc,
      newKey: r.newKey,
      oldKeyAcls: { [oldCert.thumbprint]: r.oldAcl },
    });
    if (plan.blocked !== null) throw new Error(plan.blocked);
    expect(plan.ownerManaged.map((o) => o.owner)).toEqual(["adfs"]);
    expect(plan.moves.filter((m) => m.kind === "key-grant").map((m) => m.kind === "key-grant" && m.sid)).toEqual(["S-1-5-20", "S-1-5-21-1004336348-1177238915-682003330-1013"]);

    // http.sys: every binding on the old certificate except owner-managed ones.
    const rebound = r.bindings.filter((b) => b.certHash === oldCert.thumbprint && classifyBinding(b).handling !== "owner-managed");
    for (const b of rebound) await sh(h, updateBindingCommand(h.shell, { ...b, certHash: newCert.thumbprint }));
    for (const m of plan.moves) await sh(h, applyCommand(h.shell, m));

    const prove = async () => {
      for (const ep of ["0.0.0.0:443", "0.0.0.0:5986", "0.0.0.0:8172"]) expect(await servedThumbprint(h.tlsEndpoints()[ep]!), ep).toBe(newCert.thumbprint);
      expect(await servedThumbprint(h.tlsEndpoints()["0.0.0.0:49443"]!)).toBe(oldCert.thumbprint); // left to AD FS
      expect((await probeRdp(rdpTarget(h))).thumbprint).toBe(newCert.thumbprint);
      const again = await read(h, newCert.thumbprint, oldCert.thumbprint);
      expect(ownerMismatches(again)).toEqual([]);
      expect(again.winrmListeners[0]!.certificateThumbprint).toBe(newCert.thumbprint);
    };
    await prove();
    await fleet.restartAll();
    await prove();

    // Undo in reverse order, then the bindings: back to exactly where it started.
    for (const m of [...plan.moves].reverse()) {
      const undo = undoCommand(h.shell, m);
      if (undo) await sh(h, undo);
    }
    for (const b of rebound) await sh(h, updateBindingCommand(h.shell, b));
    await h.restartAll();
    expect({ bindings: h.snapshot().bindings, consumers: h.consumerSnapshot() }).toEqual(before);
    expect((await probeRdp(rdpTarget(h))).thumbprint).toBe(oldCert.thumbprint);
  });
});

describe("verify's owner read-back", () => {
  it("http.sys serving the new certificate on 5986 is a mismatch while the WinRM listener still names the old", async () => {
    const h = fleet.host("fr-cmd");
    const { oldCert, newCert } = testCerts();
    const r = await read(h, newCert.thumbprint, oldCert.thumbprint);
    const b5986 = r.bindings.find((b) => b.endpoint === "0.0.0.0:5986")!;
    await sh(h, updateBindingCommand(h.shell, { ...b5986, certHash: newCert.thumbprint }));
    expect(await servedThumbprint(h.tlsEndpoints()["0.0.0.0:5986"]!)).toBe(newCert.thumbprint);
    const after = await read(h, newCert.thumbprint, oldCert.thumbprint);
    expect(ownerMismatches(after)).toEqual([
      { owner: "winrm-https", binding: "0.0.0.0:5986", bindingHash: newCert.thumbprint, ownerSetting: "Listener?Address=*+Transport=HTTPS", ownerHash: oldCert.thumbprint },
    ]);
    // And the owner proves it right: a restart puts its own certificate back.
    await h.restartService("winrm");
    expect(await servedThumbprint(h.tlsEndpoints()["0.0.0.0:5986"]!)).toBe(oldCert.thumbprint);
  });
});
