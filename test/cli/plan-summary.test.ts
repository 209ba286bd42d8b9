import { describe, expect, it } from "vitest";
import { renderConfirmationPreview } from "../../src/cli/confirm-preview.js";
import { changeGroups } from "../../src/cli/plan-groups.js";
import { renderRunSummary } from "../../src/cli/run-summary.js";
import type { Report, ReportHost } from "../../src/report/schema.js";

const OLD = "a".repeat(40);
const LEGACY = "c".repeat(40);
const NEW = "b".repeat(40);
const APPID = "{4dc3e181-e14b-4a21-b022-59fc669b0914}";

function host(i: number): ReportHost {
  const name = `web${String(i + 1).padStart(2, "0")}`;
  const endpoints = i % 3 === 0 ? ["0.0.0.0:443", "www.example.com:443", "api.example.com:443"] : ["0.0.0.0:443"];
  const from = i === 5 ? LEGACY : OLD;
  return {
    name,
    address: `10.0.0.${i + 1}`,
    status: "ok",
    durationMs: 1,
    bindings: endpoints.map((endpoint) => ({
      kind: endpoint.startsWith("0.") ? "ipport" : "hostnameport",
      endpoint,
      certHash: from,
      appId: APPID,
      storeName: "MY",
      settings: {},
      action: "rebind",
      scope: "old",
      reason: from === OLD ? "uses old *.example.com, expires 2026-12-05" : "uses old *.example.com, expires 2025-12-01",
    })),
    commands: endpoints.flatMap((e) => [`netsh http show sslcert ipport=${e}`, `netsh http update sslcert ipport=${e} certhash=${NEW} appid=${APPID}`]),
  } as ReportHost;
}

function planReport(hosts: ReportHost[]): Report {
  return {
    schemaVersion: 1,
    tool: "certfleet",
    command: "plan",
    startedAt: "2026-11-25T02:00:00.000Z",
    finishedAt: "2026-11-25T02:00:05.000Z",
    target: { newThumbprint: NEW, oldThumbprints: [], subject: "CN=*.example.com" },
    summary: { hosts: hosts.length, ok: hosts.filter((h) => h.status === "ok").length, changed: 0, unchanged: 0, failed: hosts.filter((h) => h.status === "failed").length, halted: 0, needsAttention: 0 },
    hosts,
  } as Report;
}

describe("plan: identical changes grouped, commands only when asked", () => {
  const report = planReport(Array.from({ length: 24 }, (_, i) => host(i)));

  it("groups by the certificate the bindings leave", () => {
    expect(changeGroups(report).map((g) => [g.from, g.bindings, g.hosts.length])).toEqual([
      [OLD, 39, 23],
      [LEGACY, 1, 1],
    ]);
  });

  it("prints the groups and one short block, no command, without -v", () => {
    const text = renderRunSummary(report);
    expect(text).toContain(`  39 bindings on 23 hosts: update to ${NEW}\n    from ${OLD}\n         *.example.com, expires 2026-12-05`);
    expect(text).toContain(`  1 binding on 1 host: update to ${NEW}`);
    expect(text).not.toContain("netsh");
    expect(text.split("\n").length).toBeLessThan(20);
    for (const l of text.split("\n")) expect(l.length, l).toBeLessThanOrEqual(80);
  });

  it("prints every host's commands with -v (or --dry-run)", () => {
    const text = renderRunSummary(report, { commands: true });
    expect(text).toContain(`netsh http update sslcert ipport=0.0.0.0:443 certhash=${NEW}`);
    expect(text.split("\n").length).toBeGreaterThan(24 * 3);
  });
});

describe("the confirmation restates what is blocked and what the budget will do", () => {
  const blocked: ReportHost = { name: "web21", address: "10.0.0.21", status: "failed", durationMs: 1, bindings: [], error: { kind: "elevation", message: "the SSH session is not elevated" } };
  const report = planReport([host(0), host(1), blocked]);
  const newCert = { thumbprint: NEW, source: "file" as const, subject: "CN=*.example.com", notAfter: "2027-12-20T00:00:00.000Z" };

  it("names the blocked host, why, and that the budget is spent by it: the rollout will halt", () => {
    const text = renderConfirmationPreview(report, { waves: [["web01"], ["web02", "web21"]], concurrency: 10, maxFailures: 0, newCert });
    expect(text).toContain("rollout: 3 host(s) in 2 wave(s) (canary 1, 2), 10 at a time");
    expect(text).toContain("CN=*.example.com, expires 2027-12-20");
    expect(text).toContain("1 host(s) BLOCKED");
    expect(text).toMatch(/web21 {2}elevation: the SSH session is not elevated\n\s+why: the SSH session is not elevated/);
    expect(text).toContain("the rollout will HALT once they fail");
    expect(text).toContain("-l '*,!web21'");
  });

  it("restates the planner's notes that predict a failure (a private key certutil said nothing about)", () => {
    const noted = { ...host(1), warnings: [`note: certutil did not say whether ${NEW} has a private key`] };
    const text = renderConfirmationPreview(planReport([host(0), noted, blocked]), { waves: [["web01"], ["web02", "web21"]], concurrency: 10, maxFailures: 2, newCert });
    expect(text).toContain(`1 of them with a warning (they may fail):\n  web02  certutil did not say whether ${NEW}\n         has a private key`);
  });

  it("says what is left of the budget when the blocked hosts fit in it", () => {
    const text = renderConfirmationPreview(report, { waves: [["web01"], ["web02", "web21"]], concurrency: 10, maxFailures: 2, newCert });
    expect(text.replace(/\s+/g, " ")).toContain("failure budget: 2 failed host(s) (--max-failures); 1 left once the blocked host(s) have failed");
  });

  it("with nothing blocked, states the budget and nothing about blocked hosts", () => {
    const text = renderConfirmationPreview(planReport([host(0), host(1)]), { waves: [["web01"], ["web02"]], concurrency: 10, maxFailures: 2, newCert });
    expect(text).toContain("failure budget: 2 failed host(s) (--max-failures)\n");
    expect(text).not.toMatch(/blocked/i);
  });

  it("names the hosts whose bindings stay with their owner (AD FS) before the operator answers", () => {
    const adfs: ReportHost = {
      ...host(2),
      name: "adfs01",
      status: "unchanged",
      consumers: [{ owner: "adfs", source: "binding", name: "sts.example.com:443", certHash: null, action: "owner-managed", manualCommand: `Set-AdfsSslCertificate -Thumbprint ${NEW}` }],
    };
    const text = renderConfirmationPreview(planReport([host(0), adfs]), { waves: [["web01"], ["adfs01"]], concurrency: 10, maxFailures: 2, newCert });
    expect(text.replace(/\s+/g, " ")).toContain("1 host(s) with bindings left to their owner (adfs): adfs01; they keep the old certificate until the owner's commands run");
    for (const l of text.split("\n")) expect(l.length, l).toBeLessThanOrEqual(80);
  });
});

describe("the end summary of a big fleet", () => {
  it("lists hosts that went as planned by name, a line for each problem", () => {
    const hosts: ReportHost[] = Array.from({ length: 40 }, (_, i) => ({ ...host(i), status: "changed" as const, commands: undefined }));
    hosts[20] = { ...hosts[20]!, status: "failed", error: { kind: "unreachable", message: "cannot connect to 10.0.0.21 port 22: ECONNREFUSED" } };
    const report = { ...planReport(hosts), command: "rollout" } as Report;
    const text = renderRunSummary(report, { journal: "out/journal.jsonl" });
    expect(text).toMatch(/^ {2}changed \(39\): web01, web02, /m);
    expect(text).toMatch(/^ {2}web21 +failed +unreachable/m);
    expect(text.split("\n").length).toBeLessThan(20);
  });
});
