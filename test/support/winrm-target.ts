import type { ResolvedHost } from "../../src/inventory/schema.js";
import type { SimFleet, SimHost } from "../../src/simulator/index.js";

/**
 * A simulated host as the inventory would resolve it for WinRM: its listener's port, the fleet's
 * user, the password from `passwordEnv`, HTTPS pinned to the listener's certificate when it has one.
 */
export function winrmTarget(fleet: SimFleet, h: SimHost, passwordEnv: string, extra: Partial<ResolvedHost> = {}): ResolvedHost {
  return {
    name: h.name,
    address: "127.0.0.1",
    port: h.winrm!.port,
    user: fleet.user,
    passwordEnv,
    knownHostsFile: "/nonexistent",
    shell: "cmd",
    groups: [],
    transport: "winrm",
    ...(h.winrmCertificate ? { https: true, certThumbprint: h.winrmCertificate.thumbprint } : {}),
    ...extra,
  };
}
