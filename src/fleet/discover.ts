import pLimit from "p-limit";
import type { ResolvedHost } from "../inventory/schema.js";
import type { Report, ReportHost } from "../report/schema.js";
import { summarize } from "../report/schema.js";
import { failedHost, withSession, type FleetDeps } from "../session/host-context.js";

export async function discoverHost(host: ResolvedHost, deps: FleetDeps): Promise<ReportHost> {
  const started = deps.now().getTime();
  deps.progress.hostStart?.(host.name);
  try {
    const state = await withSession(host, deps, (s) => {
      deps.progress.hostStep?.(host.name, "reading certificates and bindings");
      return s.discover();
    });
    const result: ReportHost = {
      name: host.name,
      address: host.address,
      status: "ok",
      durationMs: deps.now().getTime() - started,
      certificates: state.certificates,
      bindings: state.bindings,
      ...(state.warnings.length > 0 ? { warnings: state.warnings } : {}),
    };
    if (!state.elevated) {
      result.warnings = [...(result.warnings ?? []), "the SSH session is not elevated: a rollout would fail with error 5"];
    }
    deps.progress.hostDone?.(host.name, "ok", `${state.certificates.length} certificates, ${state.bindings.length} bindings`);
    return result;
  } catch (err) {
    const r = failedHost(host, err, started, deps.now, "unreachable");
    deps.progress.hostDone?.(host.name, "failed", `${r.error!.kind}: ${r.error!.message}`);
    return r;
  }
}

/** Discovers every host with at most `concurrency` sessions open; one host's failure never stops the others. */
export async function runDiscover(hosts: readonly ResolvedHost[], concurrency: number, deps: FleetDeps): Promise<Report> {
  const startedAt = deps.now().toISOString();
  const limit = pLimit(Math.max(1, concurrency));
  const results = await Promise.all(
    hosts.map((h) =>
      limit(async () => {
        try {
          return await discoverHost(h, deps);
        } finally {
          // Discover visits each host once: its connection must not hold a slot past -c.
          await deps.release?.(h).catch(() => undefined);
        }
      }),
    ),
  );
  return {
    schemaVersion: 1,
    tool: "certfleet",
    command: "discover",
    startedAt,
    finishedAt: deps.now().toISOString(),
    summary: summarize(results),
    hosts: results,
  };
}
