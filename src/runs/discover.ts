import pLimit from "p-limit";
import type { ResolvedHost } from "../inventory/schema.js";
import type { HostOutcome, RunOutcome } from "../host/outcome.js";
import { visitHost, type FleetDeps } from "../host/visit.js";
import { handOver, type HostResultSink } from "./results-file.js";
import { discoveredConsumers } from "../host/discovered-consumers.js";

export function discoverHost(host: ResolvedHost, deps: FleetDeps): Promise<HostOutcome> {
  return visitHost(
    host,
    deps,
    async (session, elapsed) => {
      deps.progress.hostStep?.(host.name, "reading certificates and bindings");
      const state = await session.discover();
      const consumers = discoveredConsumers(state);
      const warnings = [...state.warnings, ...(state.elevated ? [] : ["the remote session is not elevated: a rollout would fail with error 5"])];
      return {
        name: host.name,
        address: host.address,
        status: "ok",
        durationMs: elapsed(),
        certificates: state.certificates,
        bindings: state.bindings,
        ...(consumers.length > 0 ? { consumers } : {}),
        ...(warnings.length > 0 ? { warnings } : {}),
      };
    },
    (r) => `${r.certificates?.length ?? 0} certificates, ${r.bindings.length} bindings`,
  );
}

/**
 * Discovers every host with at most `concurrency` sessions open; one host's failure never stops
 * the others. With `sink`, each host's outcome goes there as it finishes and the run keeps none
 * (`hosts` is empty: read them from the sink's file).
 */
export async function runDiscover(hosts: readonly ResolvedHost[], concurrency: number, deps: FleetDeps, sink?: HostResultSink): Promise<RunOutcome> {
  const startedAt = deps.now().toISOString();
  const limit = pLimit(Math.max(1, concurrency));
  const results = await Promise.all(hosts.map((h) => limit(async () => handOver(await discoverHost(h, deps), sink))));
  return { command: "discover", startedAt, finishedAt: deps.now().toISOString(), hosts: results.filter((r) => r !== undefined) };
}
