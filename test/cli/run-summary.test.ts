/**
 * The run summary says what a flaky network cost a host, and which journal hosts a rollback -l
 * skipped; neither appears for a run that had none.
 */
import { describe, expect, it } from "vitest";
import { renderRunSummary } from "../../src/cli/run-summary.js";
import { buildReport, type ReportHost } from "../../src/report/schema.js";

const host = (name: string, extra: Partial<ReportHost> = {}): ReportHost => ({ name, address: "10.0.0.1", status: "changed", durationMs: 10, bindings: [], ...extra });

describe("run summary", () => {
  it("shows reconnections, reads sent again and time lost per host, only where there were any", () => {
    const report = buildReport("rollback", "2026-01-01T00:00:00.000Z", "2026-01-01T00:00:01.000Z", [host("web01", { network: { retries: 3, reconnects: 2, lostMs: 1500 } }), host("web02")]);
    // The host line wraps at 80 columns: read it as one line.
    const text = renderRunSummary(report).replace(/\n\s{10,}/g, " ");
    expect(text).toMatch(/web01 .*\(network: 2 reconnection\(s\), 3 read\(s\) sent again, 1\.5 s lost\)/);
    expect(text.split("\n").find((l) => l.includes("web02"))).not.toMatch(/network/);
  });

  it("lists the journal hosts a rollback -l skipped", () => {
    const report = { ...buildReport("rollback", "2026-01-01T00:00:00.000Z", "2026-01-01T00:00:01.000Z", [host("web02")]), skippedHosts: ["web01", "web03"] };
    expect(renderRunSummary(report)).toContain("skipped (not selected by -l; not touched): 2 host(s): web01, web03");
    expect(renderRunSummary({ ...report, skippedHosts: undefined } as never)).not.toContain("skipped");
  });

  it("a host whose bindings were left to their owner is named with the owner's commands, once, even among 30 hosts that went well", () => {
    const adfsCommands = "Set-AdfsSslCertificate -Thumbprint 615ebf515eceae53b4e131adcc47bac8f5b4de31   # on every AD FS node\nRestart-Service adfssrv";
    const managed = (name: string) => ({ owner: "adfs", source: "binding" as const, name, certHash: null, action: "owner-managed" as const, manualCommand: adfsCommands });
    const hosts = [
      ...Array.from({ length: 30 }, (_, i) => host(`web${i}`)),
      host("adfs01", { consumers: [managed("sts.example.com:443"), managed("sts.example.com:49443")] }),
    ];
    const text = renderRunSummary(buildReport("rollout", "2026-01-01T00:00:00.000Z", "2026-01-01T00:00:01.000Z", hosts));
    // not hidden in the list of names that went as planned
    expect(text).toMatch(/changed \(30\): web0, /);
    expect(text).toMatch(/^ {2}adfs01 +changed/m);
    expect(text).toContain("      needs attention: left to its owner (adfs); run on every node of its farm:");
    expect(text.match(/Set-AdfsSslCertificate/g)).toHaveLength(1);
    expect(text).toContain("        Restart-Service adfssrv");
  });

  it("a rollback says how many consumer settings it put back on a host, only where it put any back", () => {
    const restored = { owner: "winrm-https", source: "winrm-listener" as const, name: "Listener?Address=*+Transport=HTTPS", certHash: null, action: "restored" as const };
    const report = buildReport("rollback", "2026-01-01T00:00:00.000Z", "2026-01-01T00:00:01.000Z", [host("web01", { consumers: [restored, { ...restored, owner: "rdp", name: "RDP-Tcp" }] }), host("web02")]);
    const text = renderRunSummary(report).replace(/\n\s{10,}/g, " ");
    expect(text).toMatch(/web01 +changed +0 binding\(s\) restored, 0 already as they were, 2 consumer setting\(s\) restored/);
    expect(text.split("\n").find((l) => l.includes("web02"))).not.toMatch(/consumer/);
  });
});

