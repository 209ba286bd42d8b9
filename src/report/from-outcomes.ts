/**
 * The one mapper from the engine's outcomes (src/host/outcome.ts) to the report contract
 * (./schema.ts). It runs at the edge, after a run: the engine never builds report rows, so a
 * refactor inside it cannot change report.json without a change here.
 */
import type { BindingOutcome, ConsumerRow, HostOutcome, RunOutcome } from "../host/outcome.js";
import type { TlsProof } from "../verify/proof.js";
import { buildReport, type Report, type ReportBinding, type ReportConsumer, type ReportHost, type VerifyResult } from "./schema.js";

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

export function reportHost(h: HostOutcome): ReportHost {
  const { error, bindings, consumers, ...rest } = h;
  return {
    ...rest,
    ...(consumers ? { consumers: consumers.map(reportConsumer) } : {}),
    ...(error ? { error: { kind: error.kind, message: error.message, ...(error.remote ? { remote: error.remote } : {}) } } : {}),
    bindings: bindings.map(reportBinding),
  };
}

export function reportFromRun(run: RunOutcome): Report {
  const hosts = run.hosts.map(reportHost);
  return { ...buildReport(run.command, run.startedAt, run.finishedAt, hosts, run.target), ...(run.dryRun ? { dryRun: true } : {}) };
}
