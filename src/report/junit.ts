import { escapeMarkup as attr, escapeMarkupBlock as text } from "./escape.js";
import type { Report, ReportBinding, ReportHost } from "./schema.js";
import type { ReportView } from "./view.js";

/**
 * junit.xml for CI: one <testsuite> per host; in it one <testcase> named `host` for the host
 * itself, always, and one per binding (`<kind> <endpoint>`), so a good run and a bad run of the
 * same fleet list the same test cases. (A host that cannot be reached has no known bindings: it
 * has only its `host` case, which fails.)
 *
 * One failure per problem: a binding whose TLS proof failed or whose change failed is the
 * failure, and the `host` case then passes; the `host` case fails only for a problem no binding
 * carries (unreachable, authentication, a blocked plan, ...). A change never made is never a
 * failure: bindings a failed host never got to, and hosts a halted rollout never started, are
 * `skipped` ("not attempted"); bindings put back because another one failed are `skipped` too.
 * Everything is a failure or a skip, never an <error>: CI systems treat both alike and
 * certfleet's failures are all findings about hosts.
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

export function renderJunit(report: ReportView): string {
  return [...junitChunks(report)].join("");
}

/**
 * junit.xml a host at a time: the totals on <testsuites> are counted in a first pass over the
 * hosts, each host's suite is written in a second, so a big fleet's file never exists as one string.
 */
export function* junitChunks(report: ReportView): Generator<string> {
  const count = (cases: TestCase[], kind: Outcome["kind"]): number => cases.filter((c) => c.outcome.kind === kind).length;
  const totals = { tests: 0, failures: 0, skipped: 0 };
  for (const h of report.hosts) {
    const cases = testCases(h, report.command);
    totals.tests += cases.length;
    totals.failures += count(cases, "failure");
    totals.skipped += count(cases, "skipped");
  }
  const totalMs = Date.parse(report.finishedAt) - Date.parse(report.startedAt);

  yield '<?xml version="1.0" encoding="UTF-8"?>\n';
  yield (
    `<testsuites name="certfleet" tests="${totals.tests}" failures="${totals.failures}" errors="0" ` +
    `skipped="${totals.skipped}" time="${seconds(Number.isNaN(totalMs) ? 0 : Math.max(0, totalMs))}">\n`
  );
  for (const host of report.hosts) {
    const cases = testCases(host, report.command);
    const lines: string[] = [];
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
    yield `${lines.join("\n")}\n`;
  }
  yield "</testsuites>\n";
}

function testCases(h: ReportHost, command: Report["command"]): TestCase[] {
  const hostFailed = h.status === "failed" || h.status === "needs-attention";
  const bindings = h.bindings.map((b) => ({ name: `${b.kind} ${b.endpoint}`, outcome: bindingOutcome(h, b, hostFailed, command) }));
  const carried = bindings.some((c) => c.outcome.kind === "failure");
  return [{ name: "host", outcome: hostOutcome(h, hostFailed, carried), timeSeconds: h.durationMs / 1000 }, ...bindings];
}

const NOT_STARTED = "not attempted: the rollout was halted (failure budget or Ctrl-C) before this host started";

/** The host's own case: fails only for a problem that no binding case already fails for. */
function hostOutcome(h: ReportHost, hostFailed: boolean, carriedByBinding: boolean): Outcome {
  if (h.status === "halted") return { kind: "skipped", message: NOT_STARTED };
  if ((h.error || hostFailed) && !carriedByBinding) {
    return {
      kind: "failure",
      type: h.error?.kind ?? h.status,
      message: h.error?.message ?? `${h.name} ended ${h.status}`,
      body: hostBody(h),
    };
  }
  return { kind: "pass" };
}

function bindingOutcome(h: ReportHost, b: ReportBinding, hostFailed: boolean, command: Report["command"]): Outcome {
  if (h.status === "halted") return { kind: "skipped", message: NOT_STARTED };
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
      ...remedyText(h),
    ];
    return { kind: "failure", type: "verify", message: `served ${served}${expected}`, body: details.filter(Boolean).join("\n") };
  }
  if (b.action === "failed") {
    const lines = [
      b.reason ?? "",
      h.error ? `${h.error.kind}: ${h.error.message}` : "",
      h.error?.remote ?? "",
      b.manualCommand ? `run by hand: ${b.manualCommand}` : "",
      ...remedyText(h),
    ];
    return {
      kind: "failure",
      type: h.error?.kind ?? "apply",
      message: `${b.kind} ${b.endpoint}: ${b.manualCommand ? "change failed and was not restored" : "change failed"}`,
      body: lines.filter(Boolean).join("\n"),
    };
  }
  if (hostFailed && command === "rollout") {
    // Moved and put back because of another binding's problem, or never reached: not a failure of its own.
    if (b.action === "restored") return { kind: "skipped", message: `put back: ${h.error ? h.error.message : `${h.name} ended ${h.status}`}` };
    if (b.scope === "old") return { kind: "skipped", message: `not attempted: ${h.error ? `${h.error.kind}: ${h.error.message}` : `${h.name} ended ${h.status}`}` };
  }
  if (v?.skipped) return { kind: "skipped", message: v.error ?? "not checked" };
  return { kind: "pass" };
}

function hostBody(h: ReportHost): string {
  const lines = [h.error ? `${h.error.kind}: ${h.error.message}` : `${h.name} ended ${h.status}`];
  if (h.error?.remote) lines.push(h.error.remote);
  for (const b of h.bindings) if (b.manualCommand) lines.push(`run by hand: ${b.manualCommand}`);
  lines.push(...remedyText(h));
  return lines.join("\n");
}

/** The host's likely cause, fix and next commands, for the text of each of its failures. */
function remedyText(h: ReportHost): string[] {
  if (!h.remedy) return [];
  const lines = [`likely cause: ${h.remedy.cause}`];
  if (h.remedy.fix) lines.push(`fix: ${h.remedy.fix}`);
  for (const step of h.remedy.next) lines.push(`then, ${step.when}: ${step.run}`);
  return lines;
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
