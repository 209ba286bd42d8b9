/**
 * changeBinding, path by path, against a scripted session: an in-memory http.sys binding table
 * whose replies (update missing, add failing, a change timing out, someone else's write) the
 * test decides. No transport, no parser: only the protocol's decisions.
 */
import { describe, expect, it } from "vitest";
import { changeBinding, manualFields, manualRestore } from "../../src/host/change-binding.js";
import { unsafeRecovery } from "../support/recovery-audit.js";
import type { Binding } from "../../src/model/binding.js";
import { CertfleetError } from "../../src/model/errors.js";
import type { ChangeOp, ChangeReply, ChangeSession, HostCapabilities } from "../../src/session/host-session.js";

const OLD = "a".repeat(40);
const NEW = "b".repeat(40);
const THIRD = "c".repeat(40);
const binding = (certHash: string): Binding => ({
  kind: "ipport",
  endpoint: "0.0.0.0:443",
  certHash,
  appId: "{4dc3e181-e14b-4a21-b022-59fc669b0914}",
  storeName: "MY",
  settings: { clientcertnegotiation: "Enabled" },
});

type Script = (op: ChangeOp, b: Binding, fake: FakeSession) => "ok" | "missing" | "fail" | "timeout-applied" | "timeout-not-applied" | undefined;

class FakeSession implements ChangeSession {
  readonly host = "web01";
  readonly shell = "cmd" as const;
  readonly learned: HostCapabilities = { update: "unknown" };
  current: Binding | null;
  /** every change sent, as `op hash` */
  sent: string[] = [];
  reconnects = 0;
  /** runs before each read (someone else writing between certfleet's steps) */
  beforeRead?: (fake: FakeSession) => void;

  constructor(
    start: Binding | null,
    private readonly script: Script = () => "ok",
  ) {
    this.current = start;
  }

  async readBinding(): Promise<Binding | null> {
    this.beforeRead?.(this);
    return this.current ? { ...this.current, settings: { ...this.current.settings } } : null;
  }

  async change(op: ChangeOp, b: Binding, sending: (command: string) => void): Promise<ChangeReply> {
    const command = `${op} ${b.certHash}`;
    sending(command);
    this.sent.push(command);
    const what = this.script(op, b, this) ?? "ok";
    if (what === "missing") {
      this.learned.update = "no";
      return { command, result: { ok: false, reason: "command-not-found", text: "The following command was not found: http update sslcert" }, text: "The following command was not found: http update sslcert" };
    }
    if (what === "fail") return { command, result: { ok: false, reason: "no-such-logon-session", code: 1312, text: "SSL Certificate add failed, Error: 1312" }, text: "SSL Certificate add failed, Error: 1312" };
    if (what === "timeout-applied" || what === "timeout-not-applied") {
      if (what === "timeout-applied") this.apply(op, b);
      throw new CertfleetError("timeout", `command timed out: ${command}`, this.host);
    }
    this.apply(op, b);
    if (op === "update") this.learned.update = "yes";
    return { command, result: { ok: true }, text: "SSL Certificate successfully done" };
  }

  private apply(op: ChangeOp, b: Binding): void {
    if (op === "delete") this.current = null;
    else this.current = { ...b, settings: { ...b.settings } };
  }

  async reconnect(): Promise<void> {
    this.reconnects++;
  }
}

describe("changeBinding: read, decide, act, read back, restore", () => {
  it("update works: one update, read back as the target", async () => {
    const s = new FakeSession(binding(OLD));
    const out = await changeBinding(s, binding(OLD), binding(NEW));
    expect(out.result).toBe("changed");
    expect(out.after?.certHash).toBe(NEW);
    expect(s.sent).toEqual([`update ${NEW}`]);
    expect(s.learned.update).toBe("yes");
  });

  it("update missing: delete + add, and the session remembers that update is missing", async () => {
    const s = new FakeSession(binding(OLD), (op) => (op === "update" ? "missing" : "ok"));
    const out = await changeBinding(s, binding(OLD), binding(NEW));
    expect(out.result).toBe("changed");
    expect(s.sent).toEqual([`update ${NEW}`, `delete ${OLD}`, `add ${NEW}`]);
    expect(s.learned.update).toBe("no");
    // the next binding of the same host goes straight to delete + add
    s.current = binding(OLD);
    s.sent = [];
    expect((await changeBinding(s, binding(OLD), binding(NEW))).result).toBe("changed");
    expect(s.sent).toEqual([`delete ${OLD}`, `add ${NEW}`]);
  });

  it("add fails after the delete: the original is added back and read back (restored)", async () => {
    const s = new FakeSession(binding(OLD), (op, b) => (op === "update" ? "missing" : op === "add" && b.certHash === NEW ? "fail" : "ok"));
    const out = await changeBinding(s, binding(OLD), binding(NEW));
    expect(out.result).toBe("restored");
    expect(s.sent).toEqual([`update ${NEW}`, `delete ${OLD}`, `add ${NEW}`, `add ${OLD}`]);
    expect(s.current).toEqual(binding(OLD));
    expect(out.result === "restored" && out.error.message).toBe("add of 0.0.0.0:443 failed");
    expect(out.result === "restored" && out.error.remote).toBe("SSL Certificate add failed, Error: 1312");
  });

  it("a change that times out (and took effect) is never sent again: reconnect, read, put the original back", async () => {
    const s = new FakeSession(binding(OLD), (op, b) => (op === "update" && b.certHash === NEW ? "timeout-applied" : "ok"));
    const out = await changeBinding(s, binding(OLD), binding(NEW));
    expect(out.result).toBe("restored");
    expect(s.reconnects).toBe(1);
    expect(s.sent.filter((c) => c === `update ${NEW}` || c === `add ${NEW}`)).toEqual([`update ${NEW}`]);
    expect(s.current).toEqual(binding(OLD));
    expect(out.result === "restored" && out.error.kind).toBe("timeout");
  });

  it("a change that times out without effect: reconnect, read the original, nothing more sent", async () => {
    const s = new FakeSession(binding(OLD), (op) => (op === "update" ? "timeout-not-applied" : "ok"));
    const out = await changeBinding(s, binding(OLD), binding(NEW));
    expect(out.result).toBe("restored");
    expect(s.reconnects).toBe(1);
    expect(s.sent).toEqual([`update ${NEW}`]);
    expect(s.current).toEqual(binding(OLD));
  });

  it("a third certificate found after a change was tried: left as it is, nothing overwritten", async () => {
    const s = new FakeSession(binding(OLD), (op, _b, fake) => {
      if (op !== "update") return "ok";
      fake.current = binding(THIRD); // someone else's write lands while ours times out
      return "timeout-not-applied";
    });
    const out = await changeBinding(s, binding(OLD), binding(NEW));
    expect(out.result).toBe("untouched");
    expect(out.after?.certHash).toBe(THIRD);
    expect(s.sent).toEqual([`update ${NEW}`]);
    expect(s.current?.certHash).toBe(THIRD);
    expect(out.result === "untouched" && out.error.message).toMatch(/changed by someone else .* left as it is/);
  });

  it("a third certificate found before anything was sent: compare-and-set refuses, nothing sent", async () => {
    const s = new FakeSession(binding(THIRD));
    const out = await changeBinding(s, binding(OLD), binding(NEW));
    expect(out.result).toBe("untouched");
    expect(s.sent).toEqual([]);
    expect(out.result === "untouched" && out.error.kind).toBe("precondition");
  });

  it("the restore itself fails: needs attention, with the commands to run by hand", async () => {
    const s = new FakeSession(binding(OLD), (op) => (op === "update" ? "missing" : op === "add" ? "fail" : "ok"));
    const out = await changeBinding(s, binding(OLD), binding(NEW));
    expect(out.result).toBe("needs-attention");
    expect(s.current).toBeNull();
    expect(out.result === "needs-attention" && out.manualCommands).toEqual([expect.stringMatching(/^netsh http add sslcert ipport=0\.0\.0\.0:443 certhash=a{40} /)]);
  });
});

describe("manualRestore: the sequence an operator pastes never destroys", () => {
  it("a binding now missing: the add with every original setting, nothing else", () => {
    const m = manualRestore(binding(OLD), null);
    expect(m.commands).toEqual([expect.stringMatching(/^netsh http add sslcert ipport=0\.0\.0\.0:443 certhash=a{40} appid=\{4dc3e181-e14b-4a21-b022-59fc669b0914\} certstorename=MY .*clientcertnegotiation=enable/)]);
    expect(unsafeRecovery(m.commands.join("\n"))).toEqual([]);
  });

  it("a binding on the new certificate: the delete, then the add that puts the original back", () => {
    const m = manualRestore(binding(OLD), binding(NEW));
    expect(m.commands).toEqual([expect.stringMatching(/^netsh http delete sslcert ipport=0\.0\.0\.0:443$/), expect.stringMatching(/^netsh http add sslcert ipport=0\.0\.0\.0:443 certhash=a{40} /)]);
    expect(unsafeRecovery(m.commands.join("\n"))).toEqual([]);
  });

  it("an original whose add cannot be built safely: no command at all (formerly a delete, then a REM), and why", () => {
    const hostile: Binding = { ...binding(OLD), settings: { ...binding(OLD).settings, sslctlidentifier: "a & del C:\\x" } };
    const m = manualRestore(hostile, binding(NEW));
    expect(m.commands).toEqual([]);
    expect(m.why).toMatch(/cannot be built safely.*a delete alone would lose the binding/);
    // What the old code printed is exactly what the audit refuses.
    expect(unsafeRecovery(`netsh http delete sslcert ipport=0.0.0.0:443\nREM cannot build the add command safely: x`)).toHaveLength(2);
  });

  it("the row then says why and points at the original record, with no command", () => {
    expect(manualFields({ manualCommands: [], manualWhy: "the add cannot be built safely" }, "restore failed")).toEqual({
      reason: "restore failed; no command to paste: the add cannot be built safely; restore the original record shown in this row (before) by hand",
    });
  });
});
