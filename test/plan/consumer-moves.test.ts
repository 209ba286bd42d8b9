import { describe, expect, it } from "vitest";
import type { Binding } from "../../src/model/binding.js";
import { applyCommand, planConsumerMoves, undoCommand, type ConsumerMoveInput } from "../../src/plan/consumer-moves.js";
import { isSendable } from "../../src/windows/commands.js";
import { parseIcaclsSave, type KeyAcl } from "../../src/windows/key-acl-parse.js";
import type { WinrmListener } from "../../src/windows/winrm-listener-parse.js";

const OLD = "b".repeat(40);
const NEW = "a".repeat(40);
const LOC = { uniqueName: "46f11b4056ad38609b08d1dea6880023_7989b711-2e3f-4107-9aae-fb8df2e3b958", provider: "Microsoft RSA SChannel Cryptographic Provider", storage: "csp" as const };
const acl = (sddl: string): KeyAcl => {
  const r = parseIcaclsSave(`x\r\n${sddl}\r\n`);
  if (!r.ok) throw new Error(r.reason);
  return r.acl;
};
const listener = (hostname: string, thumb: string | null): WinrmListener => ({
  address: "*",
  transport: "HTTPS",
  port: 5986,
  hostname,
  enabled: true,
  urlPrefix: "wsman",
  certificateThumbprint: thumb,
  certificateThumbprintText: thumb ?? "",
  listeningOn: [],
});
const b = (endpoint: string, appId: string, settings: Record<string, string> = {}): Binding => ({ kind: "ipport", endpoint, certHash: OLD, appId, storeName: null, settings });

const base: ConsumerMoveInput = {
  newThumbprint: NEW,
  newCertNames: ["*.example.com"],
  oldThumbprints: [OLD],
  bindings: [],
  winrmListeners: [listener("www.example.com", OLD)],
  rdp: { state: "present", thumbprint: OLD, type: "REG_BINARY" },
  wmsvc: { state: "present", thumbprint: OLD, type: "REG_BINARY" },
  newKey: { location: LOC, acl: acl("D:PAI(A;;FA;;;SY)(A;;FA;;;BA)") },
  oldKeyAcls: { [OLD]: acl("D:PAI(A;;FA;;;SY)(A;;FA;;;BA)(A;;FR;;;NS)(A;;0x120089;;;S-1-5-21-1-2-3-1013)") },
};

describe("planConsumerMoves", () => {
  it("grants first (old key's extra readers, by SID), then WinRM, WMSvc, RDP; each move keeps its original", () => {
    const plan = planConsumerMoves(base);
    if (plan.blocked !== null) throw new Error(plan.blocked);
    expect(plan.moves.map((m) => (m.kind === "key-grant" ? `grant ${m.sid}` : m.kind === "registry" ? `${m.consumer} ${m.from?.slice(0, 2)}->${m.to.slice(0, 2)}` : `winrm ${m.from?.slice(0, 2)}->${m.to.slice(0, 2)}`))).toEqual([
      "grant S-1-5-20",
      "grant S-1-5-21-1-2-3-1013",
      "winrm bb->aa",
      "wmsvc bb->aa",
      "rdp bb->aa",
    ]);
  });

  it("NETWORK SERVICE is granted for RDP even when the old key did not list it; not twice when the new key has it", () => {
    const plan = planConsumerMoves({ ...base, oldKeyAcls: {} });
    expect(plan.blocked === null && plan.moves.filter((m) => m.kind === "key-grant").map((m) => m.kind === "key-grant" && m.sid)).toEqual(["S-1-5-20"]);
    const already = planConsumerMoves({ ...base, oldKeyAcls: {}, newKey: { location: LOC, acl: acl("D:(A;;FA;;;SY)(A;;FR;;;NS)") } });
    expect(already.blocked === null && already.moves.some((m) => m.kind === "key-grant")).toBe(false);
  });

  it("blocks before any change: uncovered WinRM Hostname, unreadable value, unlocatable new key", () => {
    expect(planConsumerMoves({ ...base, winrmListeners: [listener("winrm.corp.local", OLD)] }).blocked).toMatch(/winrm\.corp\.local is not covered/);
    expect(planConsumerMoves({ ...base, rdp: { state: "unreadable", reason: "Access is denied" } }).blocked).toMatch(/could not be read/);
    expect(planConsumerMoves({ ...base, newKey: null }).blocked).toMatch(/private key could not be located/);
  });

  it("consumers on other certificates, an absent RDP value and HTTP listeners are left alone", () => {
    const plan = planConsumerMoves({
      ...base,
      winrmListeners: [{ ...listener("", null), transport: "HTTP", port: 5985 }, listener("other.example.net", "c".repeat(40))],
      rdp: { state: "absent", message: "ERROR: ..." },
      wmsvc: { state: "present", thumbprint: "c".repeat(40), type: "REG_BINARY" },
      oldKeyAcls: {},
    });
    expect(plan).toEqual({ blocked: null, moves: [], ownerManaged: [], notes: [expect.stringContaining("self-signed")] });
  });

  it("owner-managed bindings on the old certificate are reported with their owner's command, not moved", () => {
    const plan = planConsumerMoves({
      ...base,
      bindings: [b("0.0.0.0:443", "{5d89a20c-beab-4389-9447-324788eb944a}"), b("[::]:443", "{ba195980-cd49-458b-9e23-c84ee0adcd75}"), b("0.0.0.0:443", "{4dc3e181-e14b-4a21-b022-59fc669b0914}")],
    });
    if (plan.blocked !== null) throw new Error(plan.blocked);
    expect(plan.ownerManaged.map((o) => [o.owner, o.binding, o.commands[0]])).toEqual([
      ["adfs", "0.0.0.0:443", `Set-AdfsSslCertificate -Thumbprint ${NEW.toUpperCase()}   # on every AD FS node`],
      ["sstp", "[::]:443", `Set-RemoteAccess -SslCertificate (Get-ChildItem Cert:\\LocalMachine\\My\\${NEW.toUpperCase()})`],
    ]);
  });

  it("every apply and undo line is sendable under its shell; undo removes only the added grant and restores originals", () => {
    const plan = planConsumerMoves(base);
    if (plan.blocked !== null) throw new Error(plan.blocked);
    for (const shell of ["cmd", "powershell"] as const) {
      for (const m of plan.moves) {
        expect(isSendable(shell, applyCommand(shell, m))).toBe(true);
        const undo = undoCommand(shell, m);
        expect(undo).not.toBeNull();
        expect(isSendable(shell, undo!)).toBe(true);
      }
    }
    const undos = plan.moves.map((m) => undoCommand("cmd", m));
    expect(undos[0]).toMatch(/\/remove:g \*S-1-5-20$/);
    expect(undos[2]).toContain(`CertificateThumbprint="${OLD.toUpperCase()}"`);
    expect(undoCommand("cmd", { kind: "registry", consumer: "rdp", from: null, to: NEW })).toMatch(/^reg delete .* \/v SSLCertificateSHA1Hash \/f$/);
  });
});
