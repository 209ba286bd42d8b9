/**
 * What every fleet command does before touching a host: read and check all input (inventory,
 * selection, certificate, numbers) so that bad input exits 2 with no host contacted; then build
 * the run's dependencies: one pooled SSH connection per host, the clock, the progress renderer.
 */
import { loadInventory } from "../inventory/load.js";
import type { ResolvedHost } from "../inventory/schema.js";
import { selectHosts } from "../inventory/select.js";
import { checkIdentityFiles } from "../inventory/check-files.js";
import { InputError } from "../model/errors.js";
import { normalizeThumbprint } from "../model/thumbprint.js";
import type { Target } from "../plan/schema.js";
import type { FleetDeps } from "../session/host-context.js";
import { resolveNewCertificate } from "../target/new-certificate.js";
import { ConnectionPool } from "../transport/pool.js";
import { connectSsh, DEFAULT_COMMAND_TIMEOUT_MS } from "../transport/ssh.js";
import type { Transport } from "../transport/transport.js";
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
  hosts: ResolvedHost[];
  deps: FleetDeps;
  concurrency: number;
  renderer: ProgressRenderer;
  close(): Promise<void>;
}

export function positiveInt(value: string | undefined, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
    throw new InputError(`${option}: expected a whole number of at least 1, got ${JSON.stringify(value)}`, undefined, option);
  }
  return Number(value);
}

/** The longest delay a Node timer keeps; a longer one fires at once (TimeoutOverflowWarning). */
const MAX_TIMER_MS = 2_147_483_647;

/** Seconds -> ms; `minMs` 1 where 0 would mean "give up at once" (a command timeout). */
export function secondsToMs(value: string | undefined, option: string, fallbackMs: number, minMs = 0): number {
  if (value === undefined) return fallbackMs;
  if (!/^\d+(?:\.\d+)?$/.test(value)) throw new InputError(`${option}: expected seconds, got ${JSON.stringify(value)}`, undefined, option);
  const ms = Math.round(Number(value) * 1000);
  if (ms < minMs || ms > MAX_TIMER_MS) {
    throw new InputError(`${option}: expected from ${minMs / 1000} to ${Math.floor(MAX_TIMER_MS / 1000)} seconds, got ${JSON.stringify(value)}`, undefined, option);
  }
  return ms;
}

/** A seam for tests and the demo: how to dial one host. */
export type Dialer = (host: ResolvedHost, options: { acceptNewHostKeys: boolean; connectTimeoutMs?: number; commandTimeoutMs: number }) => Promise<Transport>;

export const sshDialer: Dialer = (host, o) => connectSsh(host, o);

export async function openFleet(opts: FleetOptions, dial: Dialer = sshDialer): Promise<FleetContext> {
  const inventory = await loadInventory(opts.inventory);
  const hosts = selectHosts(inventory, opts.limit);
  checkIdentityFiles(inventory.file, hosts);
  const concurrency = positiveInt(opts.concurrency, "-c/--concurrency", 10);
  const commandTimeoutMs = secondsToMs(opts.commandTimeout, "--command-timeout", DEFAULT_COMMAND_TIMEOUT_MS, 1);
  const connectTimeoutMs = opts.connectTimeout === undefined ? undefined : secondsToMs(opts.connectTimeout, "--connect-timeout", 20_000);
  const pool = new ConnectionPool<ResolvedHost>((h) =>
    dial(h, { acceptNewHostKeys: opts.acceptNewHostKeys === true, commandTimeoutMs, ...(connectTimeoutMs ? { connectTimeoutMs } : {}) }),
  );
  const renderer = chooseRenderer(opts.plain === true || wantsPlainOutput());
  return {
    hosts,
    concurrency,
    renderer,
    deps: {
      connect: (h) => pool.connect(h),
      release: (h) => pool.release(h),
      now: () => new Date(),
      progress: renderer.sink,
      commandTimeoutMs,
    },
    close: () => pool.closeAll(),
  };
}

export interface TargetOptions {
  new?: string;
  expect?: string;
  old?: string[];
  pfxPasswordEnv?: string;
}

export function readTarget(arg: string, old: readonly string[] | undefined, pfxPasswordEnv?: string): Target {
  const newCert = resolveNewCertificate(arg, { pfxPasswordEnv });
  const oldThumbprints = (old ?? []).flatMap((o) => o.split(",")).map((o) => {
    const t = normalizeThumbprint(o);
    if (!t) throw new InputError(`--old: ${JSON.stringify(o.slice(0, 80))} is not a SHA-1 thumbprint (40 hex digits)`, undefined, "--old");
    return t;
  });
  if (oldThumbprints.includes(newCert.thumbprint)) {
    throw new InputError("--old names the new certificate itself", undefined, "--old");
  }
  return { newCert, oldThumbprints };
}
