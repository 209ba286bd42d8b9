/**
 * The results file: each host's outcome appended as it finishes, read back in inventory order
 * for the reports, a failed host's typed error (with the remote text) intact.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { HostOutcome } from "../../src/host/outcome.js";
import { CertfleetError } from "../../src/model/errors.js";
import { linesOf, openResultsFile, storedOutcomes } from "../../src/runs/results-file.js";

const ok: HostOutcome = {
  name: "web02",
  address: "10.0.0.12",
  status: "changed",
  durationMs: 12,
  bindings: [{ kind: "ipport", endpoint: "0.0.0.0:443", certHash: "a".repeat(40), appId: "{4dc3e181-e14b-4a21-b022-59fc669b0914}", storeName: "MY", settings: { clientcertnegotiation: "Enabled" }, action: "rebind" }],
  commands: ["netsh http show sslcert"],
};
const failed: HostOutcome = {
  name: "web01",
  address: "10.0.0.11",
  status: "failed",
  durationMs: 3,
  error: new CertfleetError("apply", "update of 0.0.0.0:443 failed", "web01", "SSL Certificate update failed, Error: 1312"),
  bindings: [],
};

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe("results file", () => {
  it("streams one line a host as it finishes and reads them back in inventory order, errors typed again", async () => {
    dir = await mkdtemp(join(tmpdir(), "certfleet-results-"));
    const file = openResultsFile(join(dir, "out", "results.ndjson"));
    file.add(ok);
    // on disk at once, before the run ends
    expect((await readFile(file.path, "utf8")).trim().split("\n")).toHaveLength(1);
    file.add(failed);
    file.close();
    const seen: string[] = [];
    const stored = storedOutcomes(file.path, ["web01", "web02", "web03"], (o) => seen.push(o.name));
    // one pass in file order for the facts; the hosts themselves in inventory order
    expect(seen).toEqual(["web02", "web01"]);
    expect([stored.length, stored.names]).toEqual([2, ["web01", "web02"]]);
    const back = [...stored];
    expect(back.map((h) => h.name)).toEqual(["web01", "web02"]);
    expect(back[1]).toEqual(ok);
    const err = back[0]!.error!;
    expect(err).toBeInstanceOf(CertfleetError);
    expect([err.kind, err.message, err.host, err.remote]).toEqual(["apply", "update of 0.0.0.0:443 failed", "web01", "SSL Certificate update failed, Error: 1312"]);
    expect((await stat(file.path)).mode & 0o777).toBe(0o600);
  });

  it("a later line for the same host wins; blank lines are ignored", async () => {
    dir = await mkdtemp(join(tmpdir(), "certfleet-results-"));
    const path = join(dir, "results.ndjson");
    await writeFile(path, `${JSON.stringify(failed)}\n\n${JSON.stringify({ ...failed, status: "needs-attention" })}\n`);
    expect([...storedOutcomes(path, ["web01"])].map((h) => h.status)).toEqual(["needs-attention"]);
  });

  it("every pass reads the hosts from the file again (nothing of them is kept), each line by its place, whatever its characters", async () => {
    dir = await mkdtemp(join(tmpdir(), "certfleet-results-"));
    const path = join(dir, "results.ndjson");
    const wide = { ...ok, name: "wéb03", warnings: ["Zugriff verweigert ü".repeat(4_000)] };
    await writeFile(path, [ok, wide, failed].map((o) => JSON.stringify(o)).join("\n"));
    const stored = storedOutcomes(path, ["web01", "web02", "wéb03"]);
    expect([...stored].map((h) => `${h.name}:${h.status}`)).toEqual(["web01:failed", "web02:changed", "wéb03:changed"]);
    // the same bytes in place, web02's status now "ok" (JSON allows the spaces)
    const text = await readFile(path, "utf8");
    await writeFile(path, text.replace('"status":"changed"', '"status":     "ok"'));
    expect([...stored].map((h) => `${h.name}:${h.status}`)).toEqual(["web01:failed", "web02:ok", "wéb03:changed"]);
    expect([...stored][2]).toEqual(wide);
  });

  it("is read back a piece at a time: lines across the 64 KB pieces, and a character split between two pieces, come out whole", async () => {
    dir = await mkdtemp(join(tmpdir(), "certfleet-results-"));
    const path = join(dir, "results.ndjson");
    // "é" is two bytes; the first line puts one of them on each side of the 65,536th byte.
    const lines = [`${"x".repeat(65_535)}é`, "", "Zugriff verweigert ü".repeat(5_000), "last line without a newline"];
    await writeFile(path, lines.join("\n"));
    expect([...linesOf(path)]).toEqual(lines);
    await writeFile(path, "one\ntwo\n");
    expect([...linesOf(path)]).toEqual(["one", "two"]);
  });
});

