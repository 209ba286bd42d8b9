/**
 * The shared end-to-end harness: a simulated fleet over real SSH on loopback, its inventory and
 * known_hosts on disk, and FleetDeps wired as the CLI wires them (src/wiring), strict host keys.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadInventory } from "../../src/inventory/load.js";
import type { ResolvedHost } from "../../src/inventory/schema.js";
import type { FleetDeps } from "../../src/host/visit.js";
import type { ProgressSink } from "../../src/host/progress.js";
import { wireFleet, type WiredFleet } from "../../src/wiring/fleet-deps.js";
import { startFleet, type FleetFiles, type SimFleet } from "../../src/simulator/index.js";
import type { SimHostSpec } from "../../src/simulator/state.js";
import type { SimBinding } from "../../src/simulator/state.js";

export interface Harness {
  fleet: SimFleet;
  files: FleetFiles;
  hosts: ResolvedHost[];
  deps: FleetDeps;
  /** every command sent, per host, in order */
  sent: Map<string, string[]>;
  /** new deps with a fresh connection pool (a second certfleet run) */
  freshDeps(extra?: Partial<FleetDeps>): FleetDeps;
  close(): Promise<void>;
}

export async function startHarness(specs: SimHostSpec[], opts: { commandTimeoutMs?: number; progress?: ProgressSink; shell?: "auto" | "cmd" | "powershell" } = {}): Promise<Harness> {
  const fleet = await startFleet(specs);
  const dir = await mkdtemp(join(tmpdir(), "certfleet-test-"));
  const files = await fleet.writeFiles(dir, opts.shell ? { shell: opts.shell } : {});
  const inventory = await loadInventory(files.inventory);
  const sent = new Map<string, string[]>();
  const wirings: WiredFleet[] = [];
  const freshDeps = (extra: Partial<FleetDeps> = {}): FleetDeps => {
    const wired = wireFleet({
      acceptNewHostKeys: false,
      commandTimeoutMs: opts.commandTimeoutMs ?? 20_000,
      connectTimeoutMs: 10_000,
      progress: opts.progress ?? {},
      releaseAfterVisit: false,
      onCommand: (host, c) => {
        const list = sent.get(host) ?? [];
        list.push(c);
        sent.set(host, list);
      },
    });
    wirings.push(wired);
    return { ...wired.deps, ...extra };
  };
  const deps = freshDeps();
  return {
    fleet,
    files,
    hosts: inventory.hosts,
    deps,
    sent,
    freshDeps,
    async close() {
      await Promise.all(wirings.map((w) => w.close()));
      await fleet.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const SIM_STRING_PARAMS = new Set(["sslctlidentifier", "sslctlstorename"]);

/**
 * A simulator binding in the shape certfleet reports, for comparing without sharing code: keys
 * and endpoint as netsh prints them, params reduced to the add-parameter values they mean.
 */
export function simBindingEssentials(b: SimBinding): { kind: string; endpoint: string; certHash: string | null; appId: string; store: string; params: Record<string, string> } {
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries(b.params)) params[k] = SIM_STRING_PARAMS.has(k) ? v : v.toLowerCase();
  return { kind: b.kind, endpoint: b.endpoint.toLowerCase(), certHash: b.certHash || null, appId: b.appId, store: (b.storeName ?? "MY").toUpperCase(), params };
}
