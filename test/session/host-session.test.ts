/**
 * HostSession against a scripted transport and an injected clock: where transient loss is ridden
 * out (reads sent again on a fresh connection; changes never), what that costs in the report's
 * numbers, the journal's host key, and the per-host time budget with its one restore window.
 */
import { describe, expect, it } from "vitest";
import type { Binding } from "../../src/model/binding.js";
import { BudgetSpentError, CertfleetError, JournalMismatchError } from "../../src/model/errors.js";
import { HostSession, type SessionOptions } from "../../src/session/host-session.js";
import { ConnectionLostError } from "../../src/transport/ssh.js";
import type { ExecOptions, ExecResult, Transport } from "../../src/transport/transport.js";

const NOT_FOUND = "\r\nSSL Certificate bindings:\r\n-------------------------\r\n\r\nThe system cannot find the file specified.\r\n";
const REF: Pick<Binding, "kind" | "endpoint"> = { kind: "ipport", endpoint: "0.0.0.0:443" };
const BINDING: Binding = { kind: "ipport", endpoint: "0.0.0.0:443", certHash: "a".repeat(40), appId: "{4dc3e181-e14b-4a21-b022-59fc669b0914}", storeName: "MY", settings: {} };

type Reply = "ok" | "drop" | "timeout";

/** A fleet of one: each connection answers from the shared script, in order; the clock moves only when told. */
function scripted(script: Reply[], hostKey = "SHA256:right") {
  let clock = 0;
  const sent: Array<{ command: string; timeoutMs: number | undefined }> = [];
  let dials = 0;
  const connect = async (): Promise<Transport> => {
    dials++;
    return {
      host: "web01",
      hostKey,
      async exec(command: string, options?: ExecOptions): Promise<ExecResult> {
        sent.push({ command, timeoutMs: options?.timeoutMs });
        const next = script.shift() ?? "ok";
        if (next === "drop") throw new ConnectionLostError("web01", "reset");
        if (next === "timeout") {
          clock += options?.timeoutMs ?? 0;
          throw new CertfleetError("timeout", "command did not finish", "web01");
        }
        clock += 10;
        return { stdout: Buffer.from(NOT_FOUND), stderr: Buffer.alloc(0), code: 1 };
      },
      upload: async () => undefined,
      close: async () => undefined,
    };
  };
  const session = (extra: Partial<SessionOptions> = {}) =>
    new HostSession("web01", connect, { shell: "cmd", commandTimeoutMs: 1_000, now: () => clock, sleep: async (ms) => void (clock += ms), ...extra });
  return { session, sent, dials: () => dials, tick: (ms: number) => (clock += ms) };
}

describe("HostSession: transient loss", () => {
  it("a read whose connection drops is sent again on a fresh connection, and the cost is counted", async () => {
    const t = scripted(["drop", "drop", "ok"]);
    const s = t.session();
    await s.open();
    expect(await s.readBinding(REF)).toBeNull();
    expect(t.sent.map((x) => x.command)).toEqual(Array.from({ length: 3 }, () => "netsh http show sslcert ipport=0.0.0.0:443"));
    expect(t.dials()).toBe(3);
    expect(s.network).toMatchObject({ retries: 2, reconnects: 2 });
  });

  it("a read that keeps dropping is given up after its retries: the host is then unreachable", async () => {
    const t = scripted(["drop", "drop", "drop", "drop", "drop"]);
    const s = t.session();
    await s.open();
    await expect(s.readBinding(REF)).rejects.toMatchObject({ kind: "unreachable" });
    expect(t.sent).toHaveLength(4);
  });

  it("a read that times out is sent once more, not again and again", async () => {
    const t = scripted(["timeout", "timeout", "ok"]);
    const s = t.session();
    await s.open();
    await expect(s.readBinding(REF)).rejects.toMatchObject({ kind: "timeout" });
    expect(t.sent).toHaveLength(2);
  });

  it("a change whose connection drops is never sent again by the session (the change protocol re-reads)", async () => {
    const t = scripted(["drop"]);
    const s = t.session();
    await s.open();
    await expect(s.change("delete", BINDING, () => undefined)).rejects.toBeInstanceOf(ConnectionLostError);
    expect(t.sent.map((x) => x.command)).toEqual(["netsh http delete sslcert ipport=0.0.0.0:443"]);
  });
});

describe("HostSession: the journal's host key", () => {
  it("a connection verified with another key than the journal's is closed before any command", async () => {
    const t = scripted([], "SHA256:other");
    const s = t.session({ expectHostKey: "SHA256:right" });
    await expect(s.open()).rejects.toBeInstanceOf(JournalMismatchError);
    expect(t.sent).toEqual([]);
  });
});

describe("HostSession: the per-host time budget", () => {
  it("commands are cut at the budget's end; after it, one shared restore window; then nothing is sent", async () => {
    const t = scripted([]);
    const s = t.session({ hostBudgetMs: 3_000 });
    await s.open();
    t.tick(2_500);
    expect(s.budgetSpent()).toBe(false);
    await s.readBinding(REF);
    expect(t.sent.at(-1)!.timeoutMs).toBeLessThanOrEqual(500);
    t.tick(600);
    expect(s.budgetSpent()).toBe(true);
    // The budget is spent: the next command opens the one restore window (one command timeout).
    await s.readBinding(REF);
    expect(t.sent.at(-1)!.timeoutMs).toBe(1_000);
    t.tick(700);
    await s.readBinding(REF);
    expect(t.sent.at(-1)!.timeoutMs).toBeLessThanOrEqual(300);
    t.tick(400);
    const before = t.sent.length;
    await expect(s.readBinding(REF)).rejects.toBeInstanceOf(BudgetSpentError);
    expect(t.sent.length).toBe(before);
  });

  it("a timed-out change starts the restore window at once: the restore attempts share it", async () => {
    const t = scripted([]);
    const s = t.session();
    await s.open();
    s.startRestoreWindow();
    t.tick(900);
    await s.readBinding(REF);
    expect(t.sent.at(-1)!.timeoutMs).toBeLessThanOrEqual(100);
    t.tick(200);
    await expect(s.change("add", BINDING, () => undefined)).rejects.toBeInstanceOf(BudgetSpentError);
  });
});

describe("HostSession: the first connection", () => {
  const failing = (errors: CertfleetError[]) => {
    let dials = 0;
    const connect = async (): Promise<Transport> => {
      const err = errors[dials++];
      if (err) throw err;
      return { host: "web01", exec: async () => ({ stdout: Buffer.from(NOT_FOUND), stderr: Buffer.alloc(0), code: 1 }), upload: async () => undefined, close: async () => undefined };
    };
    const s = new HostSession("web01", connect, { shell: "cmd", commandTimeoutMs: 1_000, sleep: async () => undefined });
    return { s, dials: () => dials };
  };

  it("a connection cut during the handshake is tried again", async () => {
    const t = failing([new CertfleetError("unreachable", "SSH handshake with 10.0.0.1 port 22 failed: read ECONNRESET", "web01")]);
    await t.s.open();
    expect(t.dials()).toBe(2);
    expect(t.s.network.reconnects).toBe(1);
  });

  it("a refused connection is not: that host cannot be connected to at all", async () => {
    const refused = Object.assign(new CertfleetError("unreachable", "cannot connect to 10.0.0.1 port 22: ECONNREFUSED", "web01"), { refused: true });
    const t = failing([refused, refused]);
    await expect(t.s.open()).rejects.toBe(refused);
    expect(t.dials()).toBe(1);
  });
});
