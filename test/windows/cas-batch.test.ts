/**
 * Issue 12: the batched compare-and-set, pure side: one line for every binding of a host, split
 * to stay within the shell's limit, every line accepted by the send gate; its output read into
 * one outcome per binding, a cut-off read as "unknown" from the first binding without an outcome.
 */
import { describe, expect, it } from "vitest";
import type { Binding } from "../../src/model/binding.js";
import { CertfleetError } from "../../src/model/errors.js";
import { CAS_MAX_LINE, casBatchCommands, parseCasBatchOutput, type CasChange } from "../../src/windows/cas-batch.js";
import { isSendable } from "../../src/windows/commands.js";

const OLD = "1".repeat(40);
const NEW = "2".repeat(40);
const IIS = "{4dc3e181-e14b-4a21-b022-59fc669b0914}";

function binding(endpoint: string, kind: Binding["kind"] = "ipport", settings: Record<string, string> = {}): Binding {
  return { kind, endpoint, certHash: OLD, appId: IIS, storeName: "MY", settings };
}
const change = (b: Binding): CasChange => ({ from: b, to: { ...b, certHash: NEW } });

/** n bindings with long hostnames and many settings: each fragment is several hundred characters. */
function many(n: number): CasChange[] {
  const settings = { verifyclientcertrevocation: "Disabled", clientcertnegotiation: "Enabled", disablehttp2: "Set", disablelegacytls: "Set", revocationfreshnesstime: "3600" };
  return Array.from({ length: n }, (_, i) => change(binding(`site-number-${i}.a-rather-long-subdomain.example.com:443`, "hostnameport", settings)));
}

describe("casBatchCommands", () => {
  for (const shell of ["cmd", "powershell"] as const) {
    for (const mode of ["update", "delete-add"] as const) {
      it(`one line for a host's bindings, in order, accepted by the send gate (${shell}, ${mode})`, () => {
        const changes = [change(binding("0.0.0.0:443")), change(binding("www.example.com:443", "hostnameport")), change(binding("[::]:8443"))];
        const lines = casBatchCommands(shell, changes, { mode });
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatchObject({ first: 0, count: 3 });
        const cmd = lines[0]!.command;
        expect(isSendable(shell, cmd), cmd).toBe(true);
        // every binding's check and change, in order
        const q = shell === "cmd" ? "" : "'";
        const at = changes.map((c) => cmd.indexOf(`sslcert ${q}${c.from.kind}=${c.from.endpoint}`));
        expect(at.every((p) => p >= 0)).toBe(true);
        expect([...at].sort((a, b) => a - b)).toEqual(at);
        expect(cmd.split(OLD)).toHaveLength(1 + 3 * (mode === "update" ? 1 : 2));
      });
    }

    it(`an over-long batch is split into lines within the ${shell} bound, each sendable, covering every binding once in order`, () => {
      const changes = many(shell === "cmd" ? 40 : 120);
      const lines = casBatchCommands(shell, changes, { mode: "update" });
      expect(lines.length).toBeGreaterThan(1);
      let next = 0;
      for (const l of lines) {
        expect(l.command.length).toBeLessThanOrEqual(CAS_MAX_LINE[shell]);
        expect(isSendable(shell, l.command)).toBe(true);
        expect(l.first).toBe(next);
        next += l.count;
        for (let k = 0; k < l.count; k++) expect(l.command).toContain(`==CFCAS:${l.first + k}:changed==`);
      }
      expect(next).toBe(changes.length);
    });
  }

  it("splits at an explicit bound, and refuses a binding whose change alone exceeds it", () => {
    const changes = many(5);
    const one = casBatchCommands("cmd", changes.slice(0, 1), { mode: "update" })[0]!.command.length;
    const fragment = one - " & echo ==CFCAS:end==".length;
    // room for exactly two fragments and the end marker
    const max = one + " & ".length + fragment;
    const lines = casBatchCommands("cmd", changes, { mode: "update", maxLength: max });
    expect(lines.map((l) => l.count)).toEqual([2, 2, 1]);
    for (const l of lines) expect(l.command.length).toBeLessThanOrEqual(max);
    expect(casBatchCommands("cmd", changes, { mode: "update", maxLength: max - 1 }).map((l) => l.count)).toEqual([1, 1, 1, 1, 1]);
    expect(() => casBatchCommands("cmd", changes, { mode: "update", maxLength: one - 1 })).toThrow(CertfleetError);
  });

  it("refuses a change between two different bindings, or a binding without a hash", () => {
    expect(() => casBatchCommands("cmd", [{ from: binding("0.0.0.0:443"), to: { ...binding("0.0.0.0:8443"), certHash: NEW } }], { mode: "update" })).toThrow(/one binding/);
    expect(() => casBatchCommands("cmd", [{ from: { ...binding("0.0.0.0:443"), certHash: null }, to: binding("0.0.0.0:443") }], { mode: "update" })).toThrow(/no certificate hash/);
  });

  it("the send gate refuses a batch line with anything added, removed or changed outside the values", () => {
    for (const shell of ["cmd", "powershell"] as const) {
      const [line] = casBatchCommands(shell, [change(binding("0.0.0.0:443")), change(binding("[::]:443"))], { mode: "delete-add" });
      const cmd = line!.command;
      expect(isSendable(shell, cmd)).toBe(true);
      const end = shell === "cmd" ? " & echo ==CFCAS:end==" : "; echo '==CFCAS:end=='";
      for (const bad of [
        cmd.replace(end, ""),
        cmd + (shell === "cmd" ? " & calc" : "; calc"),
        cmd.replace("exit 1", "exit 0"),
        cmd.replace("findstr /i /l", "findstr /i /v"),
        cmd.replace("-not ((", "((("),
        cmd.replace(OLD, OLD.slice(1)),
        cmd.replace("ipport=0.0.0.0:443", "ipport=0.0.0.0:443&calc"),
        cmd.replace("ipport=0.0.0.0:443", "ipport=0.0.0.0:443|calc"),
        cmd.replace("ipport=0.0.0.0:443", "ipport=%COMSPEC%"),
        cmd.replace("ipport=0.0.0.0:443", "ipport=$(calc)"),
        cmd.replace("ipport=0.0.0.0:443", "ipport=0.0.0.0:443;calc"),
        cmd.replace("==CFCAS:0:", "==CFCAS:x:"),
      ]) {
        if (bad === cmd) continue;
        expect(isSendable(shell, bad), bad).toBe(false);
      }
      expect(isSendable(shell === "cmd" ? "powershell" : "cmd", cmd)).toBe(false);
      expect(isSendable(undefined, cmd)).toBe(false);
    }
  });
});

describe("parseCasBatchOutput", () => {
  const line = { first: 4, count: 3 };

  it("all changed and the end marker: complete", () => {
    const text = "SSL Certificate successfully updated\r\n\r\n==CFCAS:4:changed== \r\nok\r\n==CFCAS:5:changed==\r\n==CFCAS:6:changed==\r\n==CFCAS:end==\r\n";
    expect(parseCasBatchOutput(text, line)).toEqual({ outcomes: [{ status: "changed" }, { status: "changed" }, { status: "changed" }], complete: true });
  });

  it("a refusal stops the line: later bindings were not reached", () => {
    const r = parseCasBatchOutput("==CFCAS:4:changed==\r\n==CFCAS:5:refused== \r\n", line);
    expect(r).toEqual({ outcomes: [{ status: "changed" }, { status: "refused" }, { status: "not-reached" }], complete: false });
  });

  it("a failure carries netsh's exit code and text, the delete and the put-back", () => {
    const text = "==CFCAS:4:deleted==\r\nSSL Certificate add failed, Error: 1312\r\nA specified logon session does not exist.\r\n==CFCAS:4:failed:1==\r\nSSL Certificate successfully added\r\n==CFCAS:4:putback:0==\r\n";
    expect(parseCasBatchOutput(text, line).outcomes).toEqual([
      { status: "failed", exitCode: 1, deleted: true, putBackExitCode: 0, remote: "SSL Certificate add failed, Error: 1312\r\nA specified logon session does not exist." },
      { status: "not-reached" },
      { status: "not-reached" },
    ]);
  });

  it("output cut off: unknown from the first binding without an outcome (and whether it was deleted)", () => {
    expect(parseCasBatchOutput("==CFCAS:4:changed==\r\n==CFCAS:5:deleted==\r\n", line)).toEqual({
      outcomes: [{ status: "changed" }, { status: "unknown", deleted: true }, { status: "unknown", deleted: false }],
      complete: false,
    });
    expect(parseCasBatchOutput("", line).outcomes.every((o) => o.status === "unknown")).toBe(true);
  });
});
