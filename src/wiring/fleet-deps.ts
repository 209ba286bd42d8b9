/**
 * The wiring of a run, in one place for the CLI and the tests: one pooled connection per host
 * (dialed through the one transport switch), the clock and the progress sink, as FleetDeps.
 */
import type { ResolvedHost } from "../inventory/schema.js";
import type { FleetDeps } from "../host/visit.js";
import type { ProgressSink } from "../host/progress.js";
import { dialHost, type Dialer, type DialOptions } from "../transport/dial.js";
import { ConnectionPool } from "../transport/pool.js";

export interface WiringOptions extends DialOptions {
  progress: ProgressSink;
  /** how to dial a host; the transport switch unless a test or the demo replaces it. */
  dial?: Dialer;
  /** close each host's connection after its visit (the CLI); tests may keep them for the run. */
  releaseAfterVisit?: boolean;
  onCommand?: FleetDeps["onCommand"];
  now?: () => Date;
}

export interface WiredFleet {
  deps: FleetDeps;
  /** closes every connection still open. */
  close(): Promise<void>;
}

export function wireFleet(o: WiringOptions): WiredFleet {
  const dial = o.dial ?? dialHost;
  const dialOptions: DialOptions = {
    acceptNewHostKeys: o.acceptNewHostKeys,
    commandTimeoutMs: o.commandTimeoutMs,
    ...(o.connectTimeoutMs !== undefined ? { connectTimeoutMs: o.connectTimeoutMs } : {}),
  };
  const pool = new ConnectionPool<ResolvedHost>((h) => dial(h, dialOptions));
  return {
    deps: {
      connect: (h) => pool.connect(h),
      ...(o.releaseAfterVisit === false ? {} : { release: (h: ResolvedHost) => pool.release(h) }),
      now: o.now ?? (() => new Date()),
      progress: o.progress,
      commandTimeoutMs: o.commandTimeoutMs,
      ...(o.onCommand ? { onCommand: o.onCommand } : {}),
    },
    close: () => pool.closeAll(),
  };
}
