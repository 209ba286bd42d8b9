/**
 * The imperative shell around one host: open its one SSH session for the run, hand it to a step,
 * always close it, and turn whatever went wrong into a typed, reportable error.
 */
import type { ResolvedHost } from "../inventory/schema.js";
import { CertfleetError, asCertfleetError, type ErrorKind } from "../model/errors.js";
import type { HostOutcome } from "./outcome.js";
import { HostSession } from "../session/host-session.js";
import type { Transport } from "../transport/transport.js";
import { transportOf } from "../transport/dial.js";
import type { ProgressSink } from "./progress.js";
import { printable } from "../windows/grammar.js";

export interface FleetDeps {
  connect: (host: ResolvedHost) => Promise<Transport>;
  now: () => Date;
  progress: ProgressSink;
  commandTimeoutMs: number;
  /**
   * --host-timeout (rollout, rollback, resume): after it no new step starts on a host; what is in
   * flight is finished or undone within one restore window. Absent: no budget.
   */
  hostTimeoutMs?: number;
  /** how often the progress says a command is still waiting (default 5 s). */
  waitingEveryMs?: number;
  /** waits between reconnection tries after a dropped connection (tests inject one that does not sleep). */
  sleep?: (ms: number) => Promise<void>;
  /** observes every command sent to any host (tests, --verbose). */
  onCommand?: (host: string, command: string) => void;
  /**
   * The run is done with this host: close its pooled connection, so that no more than -c
   * connections stay open at once. Commands that visit a host again later (plan, then rollout)
   * do not call it.
   */
  release?: (host: ResolvedHost) => Promise<void>;
  /**
   * Keep each host's connection open after its visit, for a second visit in the same run (the
   * plan shown before a rollout is confirmed). Off by default: a fleet of thousands must not hold
   * thousands of sockets while only `-c` hosts are worked on.
   */
  keepConnections?: boolean;
}

/** The host's one session for this visit (not yet open). */
export function sessionFor(host: ResolvedHost, deps: FleetDeps, expectHostKey?: string): HostSession {
  return new HostSession(host.name, () => deps.connect(host), {
    ...(expectHostKey !== undefined ? { expectHostKey } : {}),
    ...(deps.hostTimeoutMs !== undefined ? { hostBudgetMs: deps.hostTimeoutMs } : {}),
    // Which hosts wait on a command, and for how long.
    ...(deps.waitingEveryMs !== undefined ? { waitingEveryMs: deps.waitingEveryMs } : {}),
    onWaiting: (command, waitedMs) => deps.progress.hostStep?.(host.name, `waiting ${Math.round(waitedMs / 1000)} s on: ${printable(command, 70)}`),
    shell: host.shell,
    commandTimeoutMs: host.commandTimeoutMs ?? deps.commandTimeoutMs,
    now: () => deps.now().getTime(),
    ...(deps.sleep ? { sleep: deps.sleep } : {}),
    onCommand: deps.onCommand ? (c) => deps.onCommand!(host.name, c) : undefined,
  });
}

export async function withSession<T>(host: ResolvedHost, deps: FleetDeps, step: (s: HostSession) => Promise<T>, session = sessionFor(host, deps)): Promise<T> {
  try {
    deps.progress.hostStep?.(host.name, "connecting");
    await session.open();
    return await step(session);
  } finally {
    await session.close();
  }
}

/** Any failure as the typed error a host outcome carries (`fallback` names what was going on). */
export function hostError(err: unknown, host: string, fallback: ErrorKind = "apply"): CertfleetError {
  return asCertfleetError(err, host, fallback);
}

export function failedHost(host: ResolvedHost, err: unknown, startedMs: number, now: () => Date, fallback: ErrorKind = "apply"): HostOutcome {
  return {
    name: host.name,
    address: host.address,
    status: "failed",
    durationMs: Math.max(0, now().getTime() - startedMs),
    error: hostError(err, host.name, fallback),
    bindings: [],
  };
}

/**
 * One host's whole visit, as an outcome: progress start and end, the step in the host's session, and
 * any failure (unreachable, auth, host key, parse, ...) turned into a `failed` host so that one
 * host never stops the others. `elapsed` gives the step the host's duration so far.
 */
export async function visitHost(
  host: ResolvedHost,
  deps: FleetDeps,
  step: (session: HostSession, elapsed: () => number) => Promise<HostOutcome>,
  summary: (result: HostOutcome) => string,
  extra: Partial<HostOutcome> = {},
  /** the host key a journal recorded for this host (rollback, resume): any other one stops the visit before a command. */
  expectHostKey?: string,
): Promise<HostOutcome> {
  const started = deps.now().getTime();
  const elapsed = () => deps.now().getTime() - started;
  deps.progress.hostStart?.(host.name);
  let result: HostOutcome;
  const session = sessionFor(host, deps, expectHostKey);
  try {
    result = await withSession(host, deps, (s) => step(s, elapsed), session);
  } catch (err) {
    // Transport and parser failures arrive typed; anything else is our own bug and says so.
    const typed = err instanceof CertfleetError ? err : new CertfleetError("apply", `internal error: ${err instanceof Error ? err.message : String(err)}`, host.name, undefined, { cause: err });
    result = { ...failedHost(host, typed, started, deps.now), ...extra };
  }
  // The transport decides the remedy of a failure (src/remedy): sshd or WinRM, known_hosts or the listener's certificate.
  result = { ...result, transport: transportOf(host) };
  // What the network cost: only when something was ridden out, so a clean run reports as before.
  const { retries, reconnects, lostMs } = session.network;
  if (retries > 0 || reconnects > 0) result = { ...result, network: { retries, reconnects, lostMs } };
  if (!deps.keepConnections) await deps.release?.(host).catch(() => undefined);
  deps.progress.hostDone?.(host.name, result.status, result.error ? `${result.error.kind}: ${result.error.message}` : summary(result));
  return result;
}
