/**
 * Issue 12: the batched compare-and-set run by the simulated cmd.exe and PowerShell over real SSH.
 * A binding someone changed in the meantime is left untouched and the batch stops there; a failed
 * change is reported with netsh's exit code (delete+add puts the original back at once); a batch
 * cut off after its second change leaves a state the caller reads back binding by binding; a split
 * batch runs line after line.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Binding } from "../../src/model/binding.js";
import type { RemoteShell } from "../../src/model/host-state.js";
import { startFleet, type SimFleet, type SimHost, type SimHostSpec } from "../../src/simulator/index.js";
import { casBatchCommands, parseCasBatchOutput, type CasChange, type CasMode } from "../../src/windows/cas-batch.js";
import { isSendable, showBindingCommand } from "../../src/windows/commands.js";
import { decodeWindowsOutput } from "../../src/windows/decode.js";
import { parseNetshShowSslcert } from "../../src/windows/netsh-parse.js";
import { IIS, testCerts } from "../simulator/fixture.js";
import { closeConnections, execOn, sshConnect } from "../simulator/helpers.js";

const ENDPOINTS: Array<{ kind: "ipport" | "hostnameport"; endpoint: string }> = [
  { kind: "ipport", endpoint: "0.0.0.0:443" },
  { kind: "hostnameport", endpoint: "www.example.com:443" },
  { kind: "ipport", endpoint: "0.0.0.0:8443" },
  { kind: "hostnameport", endpoint: "api.example.com:443" },
];

const PROFILES: Array<{ shell: RemoteShell; mode: CasMode; os: "2022" | "2012r2"; language: "en" | "fr" | "de" }> = [
  { shell: "cmd", mode: "update", os: "2022", language: "en" },
  { shell: "powershell", mode: "update", os: "2022", language: "de" },
  { shell: "cmd", mode: "delete-add", os: "2012r2", language: "fr" },
  { shell: "powershell", mode: "delete-add", os: "2012r2", language: "en" },
];

let fleet: SimFleet;

function spec(name: string, p: (typeof PROFILES)[number]): SimHostSpec {
  const { oldCert, newCert, otherCert } = testCerts();
  return {
    name,
    profile: { os: p.os, language: p.language, shell: p.shell, elevated: true },
    certificates: [{ cert: oldCert }, { cert: newCert }, { cert: otherCert }],
    bindings: ENDPOINTS.map((e, i) => ({ ...e, certHash: oldCert.thumbprint, appId: IIS, storeName: i === 1 ? "MY" : null, params: (i === 2 ? { clientcertnegotiation: "enable" } : {}) as Record<string, string> })),
  };
}


beforeAll(async () => {
  const specs: SimHostSpec[] = [];
  for (const p of PROFILES) {
    for (const scenario of ["all", "meantime", "fail", "cut", "split"]) {
      const name = `${scenario}-${p.shell}-${p.mode}`;
      specs.push(spec(name, p));
    }
  }
  fleet = await startFleet(specs);
});

afterAll(async () => {
  await closeConnections();
  await fleet.stop();
});

/** What the caller reads: one binding, through netsh show, parsed by certfleet's own parser. */
async function readBack(host: SimHost, ref: Pick<Binding, "kind" | "endpoint">): Promise<Binding | null> {
  const client = await sshConnect(fleet, host);
  try {
    const r = await execOn(client, showBindingCommand(host.shell, ref));
    return parseNetshShowSslcert(decodeWindowsOutput(Buffer.concat([r.stdout, r.stderr]))).bindings[0] ?? null;
  } finally {
    client.end();
  }
}

async function changesFor(host: SimHost): Promise<CasChange[]> {
  const { newCert } = testCerts();
  const out: CasChange[] = [];
  for (const e of ENDPOINTS) {
    const from = await readBack(host, e);
    if (!from) throw new Error(`no binding ${e.endpoint}`);
    out.push({ from, to: { ...from, certHash: newCert.thumbprint } });
  }
  return out;
}

async function send(host: SimHost, command: string): Promise<{ text: string; code: number | null }> {
  expect(isSendable(host.shell, command), command).toBe(true);
  const client = await sshConnect(fleet, host);
  try {
    const r = await execOn(client, command);
    return { text: decodeWindowsOutput(Buffer.concat([r.stdout, r.stderr])), code: r.code };
  } finally {
    client.end();
  }
}

const hashes = (host: SimHost): string[] => ENDPOINTS.map((e) => host.bindings.find((b) => b.kind === e.kind && b.endpoint === e.endpoint)?.certHash ?? "(none)");

describe.each(PROFILES)("batched compare-and-set: $shell, $mode ($os, $language)", (p) => {
  const name = (scenario: string) => `${scenario}-${p.shell}-${p.mode}`;

  it("changes every binding in one remote command and prints one marker each, then the end", async () => {
    const host = fleet.host(name("all"));
    const changes = await changesFor(host);
    const before = host.commandLog.length;
    const [line, ...more] = casBatchCommands(p.shell, changes, { mode: p.mode });
    expect(more).toHaveLength(0);
    const { text, code } = await send(host, line!.command);
    expect(host.commandLog.length - before).toBe(1);
    expect(parseCasBatchOutput(text, line!)).toEqual({ outcomes: changes.map(() => ({ status: "changed" })), complete: true });
    expect(code).toBe(0);
    const { newCert } = testCerts();
    expect(hashes(host)).toEqual(ENDPOINTS.map(() => newCert.thumbprint));
    // every other setting survived (read back through netsh, compared with what was read before)
    for (const c of changes) {
      const now = await readBack(host, c.from);
      expect({ ...now, certHash: null }).toEqual({ ...c.from, certHash: null });
    }
  });

  it("a binding someone changed in the meantime is left untouched, and the batch stops there", async () => {
    const host = fleet.host(name("meantime"));
    const { oldCert, newCert, otherCert } = testCerts();
    const changes = await changesFor(host);
    // someone rebinds the second binding after certfleet read it
    await host.putBinding({ kind: "hostnameport", endpoint: "www.example.com:443", certHash: otherCert.thumbprint, appId: IIS, storeName: "MY" });
    const [line] = casBatchCommands(p.shell, changes, { mode: p.mode });
    const { text, code } = await send(host, line!.command);
    expect(parseCasBatchOutput(text, line!)).toEqual({
      outcomes: [{ status: "changed" }, { status: "refused" }, { status: "not-reached" }, { status: "not-reached" }],
      complete: false,
    });
    expect(code).toBe(1);
    expect(hashes(host)).toEqual([newCert.thumbprint, otherCert.thumbprint, oldCert.thumbprint, oldCert.thumbprint]);
  });

  it("a failed change reports netsh's exit code and text; nothing after it runs; delete+add puts the original back", async () => {
    const host = fleet.host(name("fail"));
    const { oldCert, newCert } = testCerts();
    const changes = await changesFor(host);
    const [line] = casBatchCommands(p.shell, changes, { mode: p.mode });
    host.faults.failAddWith1312ForHash = newCert.thumbprint;
    const { text, code } = await send(host, line!.command);
    host.faults.failAddWith1312ForHash = undefined;
    const r = parseCasBatchOutput(text, line!);
    expect(r.complete).toBe(false);
    expect(r.outcomes[0]).toMatchObject({ status: "failed", exitCode: 1, deleted: p.mode === "delete-add", ...(p.mode === "delete-add" ? { putBackExitCode: 0 } : {}) });
    expect((r.outcomes[0] as { remote: string }).remote).toMatch(/1312/);
    expect(r.outcomes.slice(1)).toEqual([{ status: "not-reached" }, { status: "not-reached" }, { status: "not-reached" }]);
    expect(code).toBe(1);
    expect(hashes(host)).toEqual(ENDPOINTS.map(() => oldCert.thumbprint));
    expect(await readBack(host, changes[0]!.from)).toEqual(changes[0]!.from);
  });

  it("a batch cut off after its second change: the reply never comes, and reading back binding by binding shows exactly what changed", async () => {
    const host = fleet.host(name("cut"));
    const { oldCert, newCert } = testCerts();
    const changes = await changesFor(host);
    const [line] = casBatchCommands(p.shell, changes, { mode: p.mode });
    // delete+add makes two changes a binding: cut after the second binding's delete
    host.faults.dropAfterChanges = p.mode === "update" ? 2 : 3;
    const client = await sshConnect(fleet, host);
    const lost = await execOn(client, line!.command).then(
      (r) => ({ text: decodeWindowsOutput(Buffer.concat([r.stdout, r.stderr])), code: r.code }),
      () => ({ text: "", code: null }),
    );
    client.end();
    host.faults.dropAfterChanges = undefined;
    expect(lost.code).toBeNull();
    const parsed = parseCasBatchOutput(lost.text, line!);
    expect(parsed.complete).toBe(false);
    expect(parsed.outcomes.map((o) => o.status)).toEqual(["unknown", "unknown", "unknown", "unknown"]);
    // the caller reads each binding back: the first is on the new certificate, ...
    const read = await Promise.all(changes.map((c) => readBack(host, c.from)));
    expect(read[0]?.certHash).toBe(newCert.thumbprint);
    if (p.mode === "update") {
      // ... the second too, the others still on the old one and otherwise as they were
      expect(read[1]?.certHash).toBe(newCert.thumbprint);
    } else {
      // ... the second was deleted and not yet re-added: the journal's original restores it
      expect(read[1]).toBeNull();
    }
    expect(read[2]).toEqual(changes[2]!.from);
    expect(read[3]).toEqual(changes[3]!.from);
    expect(hashes(host).slice(2)).toEqual([oldCert.thumbprint, oldCert.thumbprint]);
  });

  it("a batch split over several lines runs line after line to the same end", async () => {
    const host = fleet.host(name("split"));
    const { newCert } = testCerts();
    const changes = await changesFor(host);
    const whole = casBatchCommands(p.shell, changes, { mode: p.mode })[0]!.command.length;
    const lines = casBatchCommands(p.shell, changes, { mode: p.mode, maxLength: Math.ceil(whole / 2) });
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) {
      const { text } = await send(host, line.command);
      const r = parseCasBatchOutput(text, line);
      expect(r.complete).toBe(true);
      expect(r.outcomes).toHaveLength(line.count);
    }
    expect(hashes(host)).toEqual(ENDPOINTS.map(() => newCert.thumbprint));
  });
});
