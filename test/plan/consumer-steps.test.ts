/**
 * The consumer steps' pure plan: which bindings the rebind step leaves (owned by the owners step,
 * owner-managed), the Hostname block, the preflight, and the journal's consumer records.
 */
import { describe, expect, it } from "vitest";
import { planHostConsumers, splitByOwner } from "../../src/plan/consumer-steps.js";
import { planHost } from "../../src/plan/plan-host.js";
import { JournalRecord, consumerDone, consumerIntent, journaledBindings, journaledConsumers, type JournaledMove } from "../../src/journal/record.js";
import { consumerSectionsOf } from "../../src/windows/consumer-sections.js";
import { APP_ADFS, APP_IIS, NOW, T_NEW, T_OLD, binding, hostState, newCert, newCertTarget, oldCert } from "./fixtures.js";

const WINRM = "{afebb9ad-9b97-4a91-9ab5-daf4d59122f6}";
const listener = (hostname: string, thumb: string | null = T_OLD) => ({
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
const state = (over: Parameters<typeof hostState>[0] = {}) =>
  hostState({
    certificates: [oldCert, newCert],
    bindings: [binding("0.0.0.0:443", T_OLD, { appId: APP_IIS }), binding("0.0.0.0:5986", T_OLD, { appId: WINRM }), binding("0.0.0.0:49443", T_OLD, { appId: APP_ADFS })],
    consumers: { winrmListeners: [listener("web01.example.com")], rdp: { state: "absent", message: "" }, wmsvc: null },
    ...over,
  });

describe("planHostConsumers and splitByOwner", () => {
  it("the 5986 binding moves with its listener in the owners step; AD FS is left with its command; IIS stays with rebind", () => {
    const s = state();
    const target = newCertTarget();
    const c = planHostConsumers(s, target);
    expect(c.blocked).toBeNull();
    expect(c.moves).toEqual([{ kind: "winrm-listener", address: "*", from: T_OLD, to: T_NEW }]);
    expect(c.ownerManaged.map((o) => [o.owner, o.binding])).toEqual([["adfs", "0.0.0.0:49443"]]);
    const split = splitByOwner(planHost(s, target, NOW), c);
    expect(split.rebind.bindings.map((b) => [b.current.endpoint, b.action])).toEqual([["0.0.0.0:443", "rebind"], ["0.0.0.0:5986", "none"], ["0.0.0.0:49443", "none"]]);
    // The binding's row says who owns it; the owner's command goes once, with the host's consumers.
    expect(split.rebind.bindings[2]!.reason).toMatch(/owner-managed \(adfs\): left to its owner, needs attention/);
    expect(c.ownerManaged[0]!.commands.join("\n")).toMatch(/Set-AdfsSslCertificate -Thumbprint B{40}/);
    expect(split.owners.bindings.map((b) => [b.current.endpoint, b.action])).toEqual([["0.0.0.0:5986", "rebind"]]);
  });

  it("--rebind-owner-managed: the AD FS binding is rebound by netsh, with a note", () => {
    const s = state();
    const c = planHostConsumers(s, { ...newCertTarget(), ownerManaged: "rebind" });
    expect(c.ownerManaged).toEqual([]);
    expect(c.notes.join()).toMatch(/0\.0\.0\.0:49443 rebound by netsh as asked/);
    expect(splitByOwner(planHost(s, newCertTarget(), NOW), c).rebind.bindings.find((b) => b.current.endpoint === "0.0.0.0:49443")!.action).toBe("rebind");
  });

  it("a listener Hostname the new certificate does not cover blocks the host", () => {
    const c = planHostConsumers(state({ consumers: { winrmListeners: [listener("winrm.corp.local")], rdp: null, wmsvc: null } }), newCertTarget());
    expect(c.blocked).toMatch(/Hostname winrm\.corp\.local is not covered/);
    expect(c.moves).toEqual([]);
  });

  it("an unelevated session with a consumer to move is blocked; the listener not read leaves the 5986 binding to rebind", () => {
    expect(planHostConsumers(state({ elevated: false }), newCertTarget()).blocked).toMatch(/not elevated/);
    const unread = state({ consumers: { winrmListeners: null, rdp: null, wmsvc: null } });
    const c = planHostConsumers(unread, newCertTarget());
    expect(c.moves).toEqual([]);
    expect(splitByOwner(planHost(unread, newCertTarget(), NOW), c).rebind.bindings.find((b) => b.current.endpoint === "0.0.0.0:5986")!.action).toBe("rebind");
  });

  it("RDP on the old certificate needs NETWORK SERVICE on the new key: without the keys read, the host is blocked", () => {
    const c = planHostConsumers(state({ consumers: { winrmListeners: [], rdp: { state: "present", thumbprint: T_OLD, type: "REG_BINARY" }, wmsvc: null } }), newCertTarget());
    expect(c.blocked).toMatch(/private key could not be located/);
  });
});

describe("discovery's consumer sections", () => {
  it("a missing section is not read (null); an empty reg section is an absent value", () => {
    expect(consumerSectionsOf(new Map()).readings).toEqual({ winrmListeners: null, rdp: null, wmsvc: null });
    const r = consumerSectionsOf(new Map([["winrm", ""], ["reg-rdp", "  "], ["reg-wmsvc", "\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\WebManagement\\Server\r\n    SslCertificateHash    REG_BINARY    " + T_OLD.toUpperCase() + "\r\n"]]));
    expect(r.readings.winrmListeners).toEqual([]);
    expect(r.readings.rdp?.state).toBe("absent");
    expect(r.readings.wmsvc).toEqual({ state: "present", thumbprint: T_OLD, type: "REG_BINARY" });
  });
});

describe("the journal's consumer records", () => {
  const ctx = (runId: string) => ({ runId, host: "web01", address: "10.0.0.1", now: () => new Date(0) });
  const move = (from: string | null, to: string): JournaledMove => ({ kind: "registry", consumer: "rdp", from, to });

  it("parse as consumer records, never as binding records; across runs the earliest original wins", () => {
    const records = [consumerIntent(ctx("first"), "rdp-setting", move(T_OLD, T_NEW)), consumerDone(ctx("first"), "rdp-setting", move(T_OLD, T_NEW), "rebound"), consumerIntent(ctx("second"), "rdp-setting", move(T_NEW, T_NEW))].map((r) =>
      JournalRecord.parse(JSON.parse(JSON.stringify(r))),
    );
    expect(journaledBindings(records)).toEqual([]);
    const items = journaledConsumers(records);
    expect(items).toEqual([{ host: "web01", address: "10.0.0.1", step: "rdp-setting", move: move(T_OLD, T_NEW) }]);
    expect(() => JournalRecord.parse({ ...records[0], move: { kind: "registry", consumer: "other", from: null, to: T_NEW } })).toThrow();
  });
});
