/**
 * The ONE place where a host's transport is chosen. A second transport (WinRM) is a new file
 * beside ssh.ts, one line in `dialers`, and the inventory field that names it.
 */
import type { ResolvedHost, TransportKind } from "../inventory/schema.js";
import { connectSsh } from "./ssh.js";
import type { Transport } from "./transport.js";
import { connectWinrm } from "./winrm/index.js";

export type { TransportKind };

export interface DialOptions {
  /** --accept-new-host-keys: trust and record a host key not yet known (never a changed one). */
  acceptNewHostKeys: boolean;
  connectTimeoutMs?: number;
  commandTimeoutMs: number;
}

/** Opens one connection to one host. */
export type Dialer = (host: ResolvedHost, options: DialOptions) => Promise<Transport>;

export const dialers: Record<TransportKind, Dialer> = {
  ssh: (host, o) => connectSsh(host, o),
  winrm: (host, o) => connectWinrm(host, o),
};

/** The transport a host is reached by: the inventory's choice, SSH when it names none. */
export function transportOf(host: ResolvedHost): TransportKind {
  return host.transport ?? "ssh";
}

export const dialHost: Dialer = (host, options) => dialers[transportOf(host)](host, options);
