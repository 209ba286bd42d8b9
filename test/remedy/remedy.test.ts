import { describe, expect, it } from "vitest";
import { causeOf, nextCommands, remedyFor, win32Code } from "../../src/remedy/remedy.js";
import { renderRunSummary } from "../../src/cli/run-summary.js";
import type { Report } from "../../src/report/schema.js";

describe("remedyFor: a typed failure -> the likely cause and the fix", () => {
  it("reads the Win32 number in English, French and German netsh output", () => {
    expect(win32Code("SSL Certificate add failed, Error: 1312")).toBe(1312);
    expect(win32Code("Échec de l'ajout du certificat SSL, erreur : 1312")).toBe(1312);
    expect(win32Code("Fehler beim Hinzufügen des SSL-Zertifikats. Fehler: 5")).toBe(5);
    expect(win32Code("no number here")).toBeUndefined();
  });

  it.each([
    ["English", "SSL Certificate add failed, Error: 1312\nA specified logon session does not exist. It may already have been terminated."],
    ["French", "Échec de l'ajout du certificat SSL, erreur : 1312\nUne session ouverte spécifiée n'existe pas. Elle est peut-être déjà terminée."],
    ["German", "Fehler beim Hinzufügen des SSL-Zertifikats. Fehler: 1312\nEine angegebene Anmeldesitzung ist nicht vorhanden."],
    ["French, text only", "Une session ouverte spécifiée n'existe pas. Elle est peut-être déjà terminée."],
  ])("a %s 1312 is 'no private key on this host'", (_lang, remote) => {
    const r = remedyFor({ kind: "apply", message: "add 0.0.0.0:443 failed", remote });
    expect(r.cause).toContain("no usable private key on this host");
    expect(r.fix).toContain("certutil -importPFX");
  });

  it("error 5 and a session that is not elevated say: not an administrator", () => {
    expect(causeOf({ kind: "apply", message: "add failed", remote: "Échec de l'ajout du certificat SSL, erreur : 5\nAccès refusé." })).toBe("access-denied");
    expect(causeOf({ kind: "elevation", message: "the SSH session is not elevated" })).toBe("access-denied");
    expect(remedyFor({ kind: "precondition", message: "the SSH session is not elevated (no High Mandatory Level): netsh would fail with error 5" }).cause).toContain("not elevated");
  });

  it("connection failures, host keys, credentials and timeouts each get their own cause", () => {
    expect(remedyFor({ kind: "unreachable", message: "cannot connect to 127.0.0.1 port 45841: ECONNREFUSED" }).fix).toContain("OpenSSH Server service");
    expect(causeOf({ kind: "unreachable", message: "cannot connect to web9.example.com port 22: ENOTFOUND" })).toBe("no-route");
    expect(causeOf({ kind: "host-key", message: "HOST KEY CHANGED for [10.0.0.11]:22: the server offered ..." })).toBe("host-key-changed");
    expect(remedyFor({ kind: "host-key", message: "unknown host key for [10.0.0.11]:22: ..." }).fix).toContain("--accept-new-host-keys");
    expect(remedyFor({ kind: "auth", message: "authentication failed for certadmin@10.0.0.11:22" }).fix).toContain("administrators_authorized_keys");
    expect(causeOf({ kind: "timeout", message: "no SSH session with 10.0.0.11:22 within 20000 ms" })).toBe("timeout");
    expect(causeOf({ kind: "apply", message: "binding 0.0.0.0:443 was changed by someone else while certfleet was changing it (compare-and-set)" })).toBe("changed-by-someone");
  });

  it("names the next command: resume, -l the failed hosts, or roll back", () => {
    const next = nextCommands({ command: "rollout", failedHosts: ["web03", "web07"], journal: "out/journal.jsonl", certificate: "new.cer" });
    expect(next.map((s) => s.run)).toEqual(["certfleet rollout --resume out/journal.jsonl --new new.cer -l web03,web07", "certfleet rollback --journal out/journal.jsonl"]);
    expect(next[1]!.when).toBe("or, to put every changed binding back");
    expect(nextCommands({ command: "verify", failedHosts: ["web03"], certificate: "new.cer" }).map((s) => s.run)).toEqual(["certfleet verify --expect new.cer -l web03"]);
    expect(nextCommands({ command: "rollout", failedHosts: [] })).toEqual([]);
  });
});

describe("the end summary shows the remedy for every failed host", () => {
  const report = {
    command: "rollout",
    startedAt: "2026-11-25T02:00:00.000Z",
    finishedAt: "2026-11-25T02:01:00.000Z",
    summary: { hosts: 3, ok: 0, changed: 1, unchanged: 0, failed: 2, halted: 0, needsAttention: 0 },
    hosts: [
      { name: "web01", address: "10.0.0.11", status: "changed", durationMs: 1, bindings: [] },
      { name: "web02", address: "10.0.0.12", status: "failed", durationMs: 1, bindings: [], error: { kind: "apply", message: "add 0.0.0.0:443 failed", remote: "Échec de l'ajout du certificat SSL, erreur : 1312" } },
      { name: "web03", address: "10.0.0.13", status: "failed", durationMs: 1, bindings: [], error: { kind: "unreachable", message: "cannot connect to 10.0.0.13 port 22: ECONNREFUSED" } },
    ],
  } as unknown as Report;

  it("why, fix, then the commands that go on", () => {
    const text = renderRunSummary(report, { journal: "out/journal.jsonl", certificate: "new.cer" });
    const lines = text.split("\n");
    const at = lines.findIndex((l) => l.startsWith("  web02"));
    expect(lines.slice(at + 1).find((l) => l.includes("why:"))).toMatch(/^\s+why: the new certificate has no usable private key on this host/);
    expect(lines.slice(at + 1).find((l) => l.includes("fix:"))).toMatch(/^\s+fix: import it with its key/);
    expect(text).toMatch(/web03 [^]*ECONNREFUSED\n\s+why: nothing accepts SSH/);
    for (const l of lines) expect(l.length, l).toBeLessThanOrEqual(80);
    expect(text).toContain("once the failed host(s) are fixed:\n  certfleet rollout --resume out/journal.jsonl --new new.cer -l web02,web03");
    expect(text).toContain("or, to put every changed binding back:\n  certfleet rollback --journal out/journal.jsonl");
  });
});

describe("a connection the host closes before the SSH handshake", () => {
  it("is told apart from a refused one: sshd's MaxStartups, a firewall reset, or not sshd on that port", async () => {
    const { createServer } = await import("node:net");
    const { connectSsh } = await import("../../src/transport/ssh.js");
    // Accepts the TCP connection, then hangs up at once: what an sshd over its MaxStartups does.
    const server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const { utils } = await import("ssh2");
      const { mkdtemp, writeFile } = await import("node:fs/promises");
      const { tmpdir } = await import("node:os");
      const { join } = await import("node:path");
      const dir = await mkdtemp(join(tmpdir(), "certfleet-handshake-"));
      const identityFile = join(dir, "id_ed25519");
      await writeFile(identityFile, utils.generateKeyPairSync("ed25519").private, { mode: 0o600 });
      await writeFile(join(dir, "known_hosts"), "");
      const host = { name: "web21", address: "127.0.0.1", port, user: "certadmin", identityFile, knownHostsFile: join(dir, "known_hosts"), shell: "cmd", groups: [] } as never;
      const error = await connectSsh(host, { commandTimeoutMs: 5_000, connectTimeoutMs: 5_000 }).then(
        () => undefined,
        (e: unknown) => e as { kind: "unreachable"; message: string },
      );
      expect(error?.kind).toBe("unreachable");
      const r = remedyFor({ kind: error!.kind, message: error!.message });
      expect(causeOf({ kind: error!.kind, message: error!.message })).toBe("handshake-dropped");
      expect(r.cause).toMatch(/closed it before the SSH handshake/);
      expect(r.fix).toMatch(/MaxStartups/);
    } finally {
      server.close();
    }
  });
});
