/**
 * Where to shake hands to check a binding: pure, from the binding and the inventory entry.
 * `0.0.0.0:P` is checked at the host's address, `[::]:P` at its IPv6 address, a specific IP at
 * itself, an SNI binding at the host's address with the hostname as server name; the inventory's
 * `tls` block overrides the address or a whole endpoint (NAT, load balancers, the simulator).
 */
import type { Binding } from "../model/binding.js";
import type { ResolvedHost } from "../inventory/schema.js";

export type EndpointTarget =
  | { check: true; host: string; port: number; serverName?: string; label: string }
  | { check: false; reason: string };

export function splitHostPort(text: string): { host: string; port: number } | null {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  if (!m) return null;
  return { host: (m[1] ?? m[2])!, port: Number(m[3]) };
}

export function endpointTarget(binding: Pick<Binding, "kind" | "endpoint">, host: Pick<ResolvedHost, "address" | "address6" | "tls">): EndpointTarget {
  const override = host.tls?.endpoints?.[binding.endpoint] ?? host.tls?.endpoints?.[binding.endpoint.toLowerCase()];
  const serverName = binding.kind === "hostnameport" || binding.kind === "scopedccs" ? binding.endpoint.replace(/:\d+$/, "") : undefined;
  const at = (hp: { host: string; port: number }): EndpointTarget => ({
    check: true,
    ...hp,
    ...(serverName ? { serverName } : {}),
    label: `${hp.host.includes(":") ? `[${hp.host}]` : hp.host}:${hp.port}${serverName ? ` (SNI ${serverName})` : ""}`,
  });
  if (override) {
    const hp = splitHostPort(override);
    return hp ? at(hp) : { check: false, reason: `inventory tls override ${override} is not host:port` };
  }
  if (binding.kind === "ccs") {
    return { check: false, reason: "central certificate store bindings pick the certificate per host name; add a tls.endpoints override to check one" };
  }
  const hp = splitHostPort(binding.endpoint);
  if (!hp) return { check: false, reason: `cannot read endpoint ${binding.endpoint}` };
  const base = host.tls?.address;
  if (binding.kind === "ipport") {
    if (hp.host === "0.0.0.0") return at({ host: base ?? host.address, port: hp.port });
    if (hp.host === "::") {
      if (host.tls?.address) return at({ host: host.tls.address, port: hp.port });
      if (!host.address6) return { check: false, reason: "[::] binding and no address6 for this host in the inventory" };
      return at({ host: host.address6, port: hp.port });
    }
    return at({ host: base ?? hp.host, port: hp.port });
  }
  return at({ host: base ?? host.address, port: hp.port });
}
