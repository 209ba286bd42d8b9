/**
 * The mapper hands each host's transport (HostOutcome.transport, set by the visit) to the remedy:
 * the same refused connection reads "start sshd" for an SSH host and "winrm quickconfig" for a
 * WinRM host, in report.json and so in every writer and the printed summary that read it.
 */
import { describe, expect, it } from "vitest";
import { renderRunSummary } from "../../src/cli/run-summary.js";
import type { HostOutcome } from "../../src/host/outcome.js";
import { CertfleetError } from "../../src/model/errors.js";
import { reportFromRun } from "../../src/report/from-outcomes.js";
import { Report } from "../../src/report/schema.js";
import { fromFile, JOURNAL, rollout } from "./rollout-outcomes.js";

const refused = (name: string, port: number, transport?: HostOutcome["transport"]): HostOutcome => ({
  name,
  address: "10.0.0.9",
  ...(transport ? { transport } : {}),
  status: "failed",
  durationMs: 10,
  bindings: [],
  error: new CertfleetError("unreachable", `cannot connect to 10.0.0.9 port ${port}: ECONNREFUSED`, name),
});

describe("the remedy follows the host's transport through the mapper", () => {
  const run = { ...rollout(fromFile), hosts: [refused("ssh1", 22, "ssh"), refused("winrm1", 5985, "winrm"), refused("old1", 22)] };
  const report = reportFromRun(run, { journal: JOURNAL, certificate: "new.cer" });
  const by = new Map(report.hosts.map((h) => [h.name, h]));

  it("report.json: SSH and unnamed hosts keep the sshd fix, the WinRM host gets the WinRM one, and says how it was reached", () => {
    expect(Report.parse(report)).toEqual(report);
    expect(by.get("ssh1")?.remedy?.fix).toMatch(/^start the OpenSSH Server service \(sshd\)/);
    expect(by.get("old1")?.remedy).toEqual(by.get("ssh1")?.remedy);
    expect(by.get("winrm1")?.remedy?.cause).toMatch(/^nothing accepts WinRM/);
    expect(by.get("winrm1")?.remedy?.fix).toMatch(/winrm quickconfig/);
    expect(by.get("winrm1")?.remedy?.next).toEqual(by.get("ssh1")?.remedy?.next);
    expect(by.get("winrm1")?.transport).toBe("winrm");
  });

  it("the printed summary shows the report's remedy under each host", () => {
    const text = renderRunSummary(report, { journal: JOURNAL, certificate: "new.cer" });
    expect(text).toMatch(/winrm1 [^]*?ECONNREFUSED\n\s+why: nothing accepts WinRM/);
    expect(text).toMatch(/ssh1 [^]*?ECONNREFUSED\n\s+why: nothing accepts SSH/);
  });
});
