/**
 * The one mapper from the engine's outcomes (src/host/outcome.ts) to the report contract
 * (./schema.ts). It runs at the edge, after a run: the engine never builds report rows, so a
 * refactor inside it cannot change report.json without a change here.
 */
import type { BindingOutcome, ConsumerRow, HostOutcome, RunOutcome } from "../host/outcome.js";
import { nextCommands, remedyFor } from "../remedy/remedy.js";
import type { TlsProof } from "../verify/proof.js";
import {
  buildReport,
  type Report,
  type ReportBinding,
  type ReportConsumer,
  type ReportHost,
  type ReportNextStep,
  type ReportRemedy,
  type ReportSummary,
  type ReportTargetInput,
  type VerifyResult,
} from "./schema.js";

/** What the CLI knows of the run that the outcomes do not: for the next commands in each remedy. */
export interface ReportContext {
  /** this run's journal as the operator would type it (rollout), or the journal a rollback read */
  journal?: string;
  /** `--new` / `--expect` as the operator gave it (a file name or a thumbprint) */
  certificate?: string;
}

function reportVerify(p: TlsProof): VerifyResult {
  return { ...p };
}

export function reportBinding(b: BindingOutcome): ReportBinding {
  const { proof, ...rest } = b;
  return { ...rest, ...(proof ? { verify: reportVerify(proof) } : {}) };
}

/** A consumer row: its proof as `verify`, the step's internal move left out. */
export function reportConsumer(c: ConsumerRow): ReportConsumer {
  const { proof, move: _move, ...rest } = c;
  return { ...rest, ...(proof ? { verify: reportVerify(proof) } : {}) };
}

export function reportHost(h: HostOutcome, next: readonly ReportNextStep[] = [], newThumbprint?: string): ReportHost {
  const { error, bindings, consumers, ...rest } = h;
  const remedy = remedyOf(h, next, newThumbprint);
  return {
    ...rest,
    ...(consumers ? { consumers: consumers.map(reportConsumer) } : {}),
    ...(error ? { error: { kind: error.kind, message: error.message, ...(error.remote ? { remote: error.remote } : {}) } } : {}),
    ...(remedy ? { remedy } : {}),
    bindings: bindings.map(reportBinding),
  };
}

function needsAPerson(h: Pick<HostOutcome, "status">): boolean {
  return h.status === "failed" || h.status === "needs-attention";
}

/** A failed or needs-attention host's cause and fix (src/remedy), and the run's next commands. */
function remedyOf(h: HostOutcome, next: readonly ReportNextStep[], newThumbprint?: string): ReportRemedy | undefined {
  if (!needsAPerson(h)) return undefined;
  const r = h.error
    ? remedyFor({ kind: h.error.kind, message: h.error.message, ...(h.error.remote ? { remote: h.error.remote } : {}), ...(h.transport ? { transport: h.transport } : {}) })
    : {
        cause: h.bindings.some((b) => b.manualCommand)
          ? "certfleet could not put a binding back by itself"
          : `the host ended ${h.status} without a recorded error`,
        ...(h.bindings.some((b) => b.manualCommand) ? { fix: "run the commands shown for its bindings by hand, in an elevated cmd.exe on the host" } : {}),
      };
  // the fix names "<thumbprint>" where the new certificate's goes and "<host>" for the host: the report knows both
  const named = r.fix?.replaceAll("<host>", h.name);
  const fix = named && newThumbprint ? named.replaceAll("<thumbprint>", newThumbprint) : named;
  return { cause: r.cause, ...(fix ? { fix } : {}), next: next.map((s) => ({ ...s })) };
}

/**
 * What the report's envelope needs of one host, small whatever the host's size: its status, the
 * old certificates its bindings were found on, and what its store said about the new certificate.
 * Gathered host by host (in one pass over the results file), folded in inventory order.
 */
export interface HostFacts {
  name: string;
  status: HostOutcome["status"];
  /** bindings' certificates in scope `old`, each once, in binding order (the target's `oldThumbprints`) */
  oldFound: string[];
  /** the first value each of the host's certificates with the new thumbprint showed */
  newCertSeen: { subject?: string; notBefore?: string; notAfter?: string; dnsNames?: string[] };
}

export function hostFacts(h: HostOutcome, newThumbprint: string | undefined): HostFacts {
  const oldFound = [...new Set(h.bindings.filter((b) => b.scope === "old" && b.certHash !== null).map((b) => b.certHash!))];
  const newCertSeen: HostFacts["newCertSeen"] = {};
  if (newThumbprint !== undefined) {
    const seen = (h.certificates ?? []).filter((cert) => cert.thumbprint.toUpperCase() === newThumbprint.toUpperCase());
    for (const key of ["subject", "notBefore", "notAfter"] as const) {
      const value = seen.find((cert) => cert[key] !== undefined)?.[key];
      if (value !== undefined) newCertSeen[key] = value;
    }
    const names = seen.find((cert) => cert.dnsNames && cert.dnsNames.length > 0)?.dnsNames;
    if (names !== undefined) newCertSeen.dnsNames = names;
  }
  return { name: h.name, status: h.status, oldFound, newCertSeen };
}

/**
 * The new certificate as the report describes it: from the certificate file when one was given,
 * else from what the hosts' stores said about that thumbprint (the first host that showed it).
 */
function describeTarget(target: NonNullable<RunOutcome["target"]>, facts: readonly HostFacts[]): ReportTargetInput {
  const c = target.newCert;
  const fromFile = c.source === "file";
  const first = <K extends keyof HostFacts["newCertSeen"]>(key: K) => facts.find((f) => f.newCertSeen[key] !== undefined)?.newCertSeen[key];
  const subject = c.subject ?? first("subject");
  const dnsNames = c.dnsNames && c.dnsNames.length > 0 ? c.dnsNames : first("dnsNames");
  const notBefore = c.notBefore ?? first("notBefore");
  const notAfter = c.notAfter ?? first("notAfter");
  const described = subject !== undefined || notAfter !== undefined || dnsNames !== undefined;
  return {
    newCert: {
      thumbprint: c.thumbprint,
      ...(subject !== undefined ? { subject } : {}),
      ...(dnsNames !== undefined ? { dnsNames } : {}),
      ...(notBefore !== undefined ? { notBefore } : {}),
      ...(notAfter !== undefined ? { notAfter } : {}),
      ...(described ? { describedBy: fromFile ? ("file" as const) : ("hosts" as const) } : {}),
    },
    oldThumbprints: target.oldThumbprints,
  };
}

/**
 * The report without its hosts, from every host's facts in inventory order, and the mapper of a
 * host's outcome to its row (which carries the run's next commands, known only once every failed
 * host is).
 */
export function reportEnvelope(run: Omit<RunOutcome, "hosts">, facts: readonly HostFacts[], context: ReportContext = {}): { envelope: Omit<Report, "hosts">; row: (h: HostOutcome) => ReportHost } {
  const failed = facts.filter(needsAPerson).map((h) => h.name);
  const next = nextCommands({
    command: run.command,
    failedHosts: failed,
    ...(context.journal ? { journal: context.journal } : {}),
    certificate: context.certificate ?? run.target?.newCert.thumbprint ?? "<certificate>",
  });
  const target = run.target ? describeTarget(run.target, facts) : undefined;
  const oldFound = facts.flatMap((f) => f.oldFound);
  const { hosts: _none, ...envelope } = buildReport(run.command, run.startedAt, run.finishedAt, [], target && { ...target, oldThumbprints: [...target.oldThumbprints, ...oldFound] });
  return {
    envelope: {
      ...envelope,
      summary: summaryOf(facts),
      ...(run.dryRun ? { dryRun: true } : {}),
      ...(run.skipped?.length ? { skippedHosts: run.skipped } : {}),
    },
    row: (h) => reportHost(h, next, run.target?.newCert.thumbprint),
  };
}

function summaryOf(facts: readonly HostFacts[]): ReportSummary {
  const count = (s: HostOutcome["status"]) => facts.filter((f) => f.status === s).length;
  return { hosts: facts.length, ok: count("ok"), changed: count("changed"), unchanged: count("unchanged"), failed: count("failed"), halted: count("halted"), needsAttention: count("needs-attention") };
}

export function reportFromRun(run: RunOutcome, context: ReportContext = {}): Report {
  const { envelope, row } = reportEnvelope(run, run.hosts.map((h) => hostFacts(h, run.target?.newCert.thumbprint)), context);
  const { summary, dryRun, skippedHosts, ...head } = envelope;
  // the key order report.json has always had (the writers validate, but a caller may print it)
  return { ...head, summary, hosts: run.hosts.map(row), ...(dryRun ? { dryRun } : {}), ...(skippedHosts ? { skippedHosts } : {}) };
}
