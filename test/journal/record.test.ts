import { describe, expect, it } from "vitest";
import { hostJournal } from "../../src/journal/host-journal.js";
import type { JournalWriter } from "../../src/journal/journal.js";
import { JournalRecord, journaledBindings, journaledWhere, whereDiffers } from "../../src/journal/record.js";
import type { Binding } from "../../src/model/binding.js";

const OLD = "a".repeat(40);
const NEW = "b".repeat(40);
const THIRD = "c".repeat(40);
const binding = (certHash: string): Binding => ({ kind: "ipport", endpoint: "0.0.0.0:443", certHash, appId: "{4dc3e181-e14b-4a21-b022-59fc669b0914}", storeName: "MY", settings: {} });

function memory(): { writer: JournalWriter; records: JournalRecord[] } {
  const records: JournalRecord[] = [];
  return { records, writer: { path: "-", append: (r) => records.push(JournalRecord.parse(r)), close: () => undefined } };
}

describe("journal records and their rules", () => {
  it("a host journal writes the intent before and the outcome after, both named as the binding step", () => {
    const m = memory();
    let t = 0;
    const j = hostJournal(m.writer, { runId: "r1", host: "web01", address: "10.0.0.1", now: () => new Date(Date.UTC(2026, 0, 1, 0, 0, t++)) });
    j.intent(binding(OLD), binding(NEW));
    j.done(binding(OLD), "rebound");
    expect(m.records.map((r) => [r.type, "step" in r ? r.step : undefined])).toEqual([["intent", "binding"], ["done", "binding"]]);
    expect(m.records[0]).toMatchObject({ host: "web01", address: "10.0.0.1", original: { certHash: OLD }, desired: { certHash: NEW }, at: "2026-01-01T00:00:00.000Z" });
    expect(journaledBindings(m.records)[0]!.outcome?.outcome).toBe("rebound");
  });

  it("journals written before records named their step still read as binding records", () => {
    const old = { type: "intent", runId: "r0", at: "2026-01-01T00:00:00.000Z", host: "web01", address: "10.0.0.1", original: binding(OLD), desired: binding(NEW) };
    const parsed = JournalRecord.parse(old);
    expect(parsed.type).toBe("intent");
    expect(journaledBindings([parsed])).toEqual([{ host: "web01", address: "10.0.0.1", original: binding(OLD), desired: binding(NEW) }]);
    expect(() => JournalRecord.parse({ ...old, step: "unknown-step" })).toThrow();
  });

  it("across resumed runs the earliest original wins; a later intent re-opens the binding until its done", () => {
    const m = memory();
    const ctx = { host: "web01", address: "10.0.0.1", now: () => new Date(0) };
    hostJournal(m.writer, { ...ctx, runId: "first" }).intent(binding(OLD), binding(NEW));
    hostJournal(m.writer, { ...ctx, runId: "first" }).done(binding(OLD), "needs-attention");
    // the resumed run read the binding half-moved (a third hash) and journaled that as its original
    hostJournal(m.writer, { ...ctx, runId: "resume" }).intent(binding(THIRD), binding(NEW));
    const [item] = journaledBindings(m.records);
    expect(item!.original.certHash).toBe(OLD);
    expect(item!.desired.certHash).toBe(NEW);
    expect(item!.outcome).toBeUndefined();
  });

  it("without a writer (a dry run) nothing is recorded and nothing fails", () => {
    const j = hostJournal(undefined, { runId: "r", host: "h", address: "a", now: () => new Date() });
    expect(() => {
      j.intent(binding(OLD), binding(NEW));
      j.done(binding(OLD), "rebound");
    }).not.toThrow();
  });

  it("records where the host was (address, port, host key) and says when the inventory now differs", () => {
    const m = memory();
    let key: string | undefined;
    const j = hostJournal(m.writer, { runId: "r1", host: "web01", address: "10.0.0.1", port: 22, hostKey: () => key, now: () => new Date(0) });
    key = "SHA256:abc";
    j.intent(binding(OLD), binding(NEW));
    expect(m.records[0]).toMatchObject({ address: "10.0.0.1", port: 22, hostKey: "SHA256:abc" });
    const where = journaledWhere(journaledBindings(m.records));
    expect(where).toEqual({ address: "10.0.0.1", port: 22, hostKey: "SHA256:abc" });
    expect(whereDiffers({ name: "web01", address: "10.0.0.1", port: 22 }, where)).toBeUndefined();
    expect(whereDiffers({ name: "web01", address: "10.0.0.11", port: 22 }, where)).toMatch(/^host web01: the journal recorded it at 10\.0\.0\.1:22, the inventory now says 10\.0\.0\.11:22/);
    expect(whereDiffers({ name: "web01", address: "10.0.0.1", port: 2222 }, where)).toMatch(/inventory now says 10\.0\.0\.1:2222/);
    // A journal from before ports were recorded checks the address only.
    expect(whereDiffers({ name: "web01", address: "10.0.0.1", port: 2222 }, { address: "10.0.0.1" })).toBeUndefined();
  });
});
