/**
 * What every fleet command does before touching a host: read and check all input (inventory,
 * selection, numbers) so that bad input exits 2 with no host contacted; then wire the run
 * (src/wiring) with the progress renderer the terminal calls for.
 */
import { checkIdentityFiles } from "../inventory/check-files.js";
import { loadInventory } from "../inventory/load.js";
import type { Inventory, ResolvedHost } from "../inventory/schema.js";
import { selectHosts } from "../inventory/select.js";
import type { FleetDeps } from "../host/visit.js";
import type { Dialer } from "../transport/dial.js";
import { DEFAULT_COMMAND_TIMEOUT_MS } from "../transport/ssh.js";
import { wireFleet } from "../wiring/fleet-deps.js";
import { positiveInt, secondsToMs } from "./options.js";
import { chooseRenderer, wantsPlainOutput, type ProgressRenderer } from "./progress-render.js";

export interface FleetOptions {
  inventory: string;
  limit?: string;
  concurrency: string;
  acceptNewHostKeys?: boolean;
  connectTimeout?: string;
  commandTimeout?: string;
  plain?: boolean;
}

export interface FleetContext {
  /** the whole inventory as loaded (rollback selects among the journal's hosts with it). */
  inventory: Inventory;
  hosts: ResolvedHost[];
  deps: FleetDeps;
  concurrency: number;
  renderer: ProgressRenderer;
  close(): Promise<void>;
}

export async function openFleet(opts: FleetOptions, dial?: Dialer): Promise<FleetContext> {
  const inventory = await loadInventory(opts.inventory);
  const hosts = selectHosts(inventory, opts.limit);
  checkIdentityFiles(inventory.file, hosts);
  const concurrency = positiveInt(opts.concurrency, "-c/--concurrency", 10);
  const commandTimeoutMs = secondsToMs(opts.commandTimeout, "--command-timeout", DEFAULT_COMMAND_TIMEOUT_MS, 1);
  const connectTimeoutMs = opts.connectTimeout === undefined ? undefined : secondsToMs(opts.connectTimeout, "--connect-timeout", 20_000);
  const renderer = chooseRenderer(opts.plain === true || wantsPlainOutput());
  const wired = wireFleet({
    acceptNewHostKeys: opts.acceptNewHostKeys === true,
    commandTimeoutMs,
    ...(connectTimeoutMs ? { connectTimeoutMs } : {}),
    progress: renderer.sink,
    ...(dial ? { dial } : {}),
  });
  return { inventory, hosts, concurrency, renderer, deps: wired.deps, close: wired.close };
}
