import { escapeMarkup as attr, escapeMarkupBlock as text } from "./escape.js";
import type { Report, ReportBinding, ReportHost } from "./schema.js";

/**
 * junit.xml for CI: one <testsuite> per host, one <testcase> per host × binding, plus one
 * testcase for the host itself when it has no bindings or a host-level error, so a host that
 * could not even be reached still fails the build. Everything is a failure or a skip, never an
 * <error>: CI systems treat both alike and certfleet's failures are all findings about hosts.
 */

type Outcome =
  | { kind: "pass" }
  | { kind: "skipped"; message: string }
  | { kind: "failure"; type: string; message: string; body: string };

interface TestCase {
  name: string;
  outcome: Outcome;
  timeSeconds?: number;
}

export function renderJunit(report: Report): string {
  const suites = report.hosts.map((h) => ({ host: h, cases: testCases(h) }));
  const count = (cases: TestCase[], kind: Outcome["kind"]): number => cases.filter((c) => c.outcome.kind === kind).length;
  const all = suites.flatMap((s) => s.cases);
  const totalMs = Date.parse(report.finishedAt) - Date.parse(report.startedAt);

  const lines: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  lines.push(
    `<testsuites name="certfleet" tests="${all.length}" failures="${count(all, "failure")}" errors="0" ` +
      `skipped="${count(all, "skipped")}" time="${seconds(Number.isNaN(totalMs) ? 0 : Math.max(0, totalMs))}">`,
  );
  for (const { host, cases } of suites) {
    lines.push(
      `  <testsuite name="${attr(host.name)}" tests="${cases.length}" failures="${count(cases, "failure")}" errors="0" ` +
        `skipped="${count(cases, "skipped")}" time="${seconds(host.durationMs)}" timestamp="${attr(report.startedAt)}" hostname="${attr(host.address)}">`,
    );
    lines.push("    <properties>");
    lines.push(`      <property name="status" value="${attr(host.status)}"/>`);
    if (host.wave !== undefined) lines.push(`      <property name="wave" value="${host.wave}"/>`);
    lines.push(`      <property name="command" value="${attr(report.command)}"/>`);
    lines.push("    </properties>");
    for (const c of cases) lines.push(...testCaseXml(host, c));
    lines.push("  </testsuite>");
  }
  lines.push("</testsuites>");
  return `${lines.join("\n")}\n`;
}

function testCases(h: ReportHost): TestCase[] {
  const cases: TestCase[] = [];
  const hostFailed = h.status === "failed" || h.status === "needs-attention";

  if (h.bindings.length === 0 || h.error) {
    cases.push({ name: "host", outcome: hostOutcome(h), timeSeconds: h.durationMs / 1000 });
  }
  for (const b of h.bindings) cases.push({ name: `${b.kind} ${b.endpoint}`, outcome: bindingOutcome(h, b, hostFailed) });

  // A failed host must fail the build even when no single binding and no error says why.
  if (hostFailed && !cases.some((c) => c.outcome.kind === "failure")) {
    cases.push({
      name: "host",
      outcome: { kind: "failure", type: h.status, message: `${h.name} ended ${h.status}`, body: hostBody(h) },
      timeSeconds: h.durationMs / 1000,
    });
  }
  return cases;
}

function hostOutcome(h: ReportHost): Outcome {
  if (h.status === "halted") return { kind: "skipped", message: "not attempted: the rollout was halted by the failure budget" };
  if (h.error || h.status === "failed" || h.status === "needs-attention") {
    return {
      kind: "failure",
      type: h.error?.kind ?? h.status,
      message: h.error?.message ?? `${h.name} ended ${h.status}`,
      body: hostBody(h),
    };
  }
  return { kind: "pass" };
}

function bindingOutcome(h: ReportHost, b: ReportBinding, hostFailed: boolean): Outcome {
  if (h.status === "halted") return { kind: "skipped", message: "not attempted: the rollout was halted by the failure budget" };
  const v = b.verify;
  if (v && !v.ok && !v.skipped) {
    const served = v.servedThumbprint ?? "nothing";
    const expected = v.expectedThumbprint ? `, expected ${v.expectedThumbprint}` : "";
    const details = [
      `endpoint ${b.kind} ${b.endpoint}${v.target ? ` checked at ${v.target}` : ""}${v.serverName ? ` with SNI ${v.serverName}` : ""}`,
      `served ${served}${expected}`,
      v.attempts !== undefined ? `attempts: ${v.attempts}` : "",
      v.error ?? "",
      h.error?.remote ?? "",
    ];
    return { kind: "failure", type: "verify", message: `served ${served}${expected}`, body: details.filter(Boolean).join("\n") };
  }
  if (b.action === "failed" || (hostFailed && b.action === "restored")) {
    const lines = [
      b.reason ?? "",
      h.error ? `${h.error.kind}: ${h.error.message}` : "",
      h.error?.remote ?? "",
      b.manualCommand ? `run by hand: ${b.manualCommand}` : "",
    ];
    return {
      kind: "failure",
      type: h.error?.kind ?? "apply",
      message: b.action === "failed" ? `${b.kind} ${b.endpoint}: change failed and was not restored` : `${b.kind} ${b.endpoint}: change rolled back`,
      body: lines.filter(Boolean).join("\n"),
    };
  }
  if (v?.skipped) return { kind: "skipped", message: v.error ?? "not checked" };
  return { kind: "pass" };
}

function hostBody(h: ReportHost): string {
  const lines = [h.error ? `${h.error.kind}: ${h.error.message}` : `${h.name} ended ${h.status}`];
  if (h.error?.remote) lines.push(h.error.remote);
  for (const b of h.bindings) if (b.manualCommand) lines.push(`run by hand: ${b.manualCommand}`);
  return lines.join("\n");
}

function testCaseXml(h: ReportHost, c: TestCase): string[] {
  const time = c.timeSeconds !== undefined ? ` time="${seconds(c.timeSeconds * 1000)}"` : "";
  const open = `    <testcase classname="certfleet.${attr(h.name)}" name="${attr(c.name)}"${time}`;
  switch (c.outcome.kind) {
    case "pass":
      return [`${open}/>`];
    case "skipped":
      return [`${open}>`, `      <skipped message="${attr(c.outcome.message)}"/>`, "    </testcase>"];
    case "failure":
      return [
        `${open}>`,
        `      <failure message="${attr(c.outcome.message)}" type="${attr(c.outcome.type)}">${text(c.outcome.body)}</failure>`,
        "    </testcase>",
      ];
  }
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}
