/**
 * Small helpers for the security tests that drive a simulated fleet: snapshots keyed by binding,
 * restoring a host to a snapshot, and reading what the simulator received.
 */
import { isDeepStrictEqual } from "node:util";
import { expect } from "vitest";
import type { SimHost } from "../../src/simulator/host.js";
import type { SimBinding } from "../../src/simulator/state.js";

export const CHANGE_RE = /\bhttp\s+(?:add|delete|update)\s+sslcert\b/i;

export const keyOf = (b: { kind: string; endpoint: string }): string => `${b.kind}=${b.endpoint.toLowerCase()}`;

export type HostBindings = Map<string, SimBinding>;

export function bindingsOf(host: SimHost): HostBindings {
  return new Map(host.snapshot().bindings.map((b) => [keyOf(b), b]));
}

export function snapshotFleet(hosts: readonly SimHost[]): Map<string, HostBindings> {
  return new Map(hosts.map((h) => [h.name, bindingsOf(h)]));
}

/** Puts the host's bindings back exactly as in `saved` (as IIS Manager would, behind netsh's back). */
export async function restoreHost(host: SimHost, saved: HostBindings): Promise<void> {
  host.bindings.length = 0;
  for (const b of saved.values()) {
    await host.putBinding({ kind: b.kind, endpoint: b.endpoint, certHash: b.certHash, appId: b.appId, storeName: b.storeName, params: { ...b.params } });
  }
}

export function expectSameBindings(host: SimHost, before: HostBindings, why = ""): void {
  const now = bindingsOf(host);
  expect([...now.keys()].sort(), `${host.name}${why}: binding keys`).toEqual([...before.keys()].sort());
  for (const [k, b] of before) expect(now.get(k), `${host.name}${why}: ${k}`).toEqual(b);
}

/** Every binding on `oldHash` is now on `newHash` with everything else equal; the rest untouched. */
export function expectRebound(host: SimHost, before: HostBindings, oldHash: string, newHash: string, why = ""): void {
  const now = bindingsOf(host);
  expect([...now.keys()].sort(), `${host.name}${why}: nothing missing or added`).toEqual([...before.keys()].sort());
  for (const [k, b] of before) {
    expect(now.get(k), `${host.name}${why}: ${k}`).toEqual(b.certHash === oldHash ? { ...b, certHash: newHash } : b);
  }
}

/**
 * Nothing lost: every binding is present and is either exactly as before or exactly as before
 * with the new hash (a host between the two is consistent binding by binding).
 */
export function expectNothingLost(host: SimHost, before: HostBindings, newHash: string, why = ""): void {
  const now = bindingsOf(host);
  expect([...now.keys()].sort(), `${host.name}${why}: nothing missing or added`).toEqual([...before.keys()].sort());
  for (const [k, b] of before) {
    const got = now.get(k);
    const ok = isDeepStrictEqual(got, b) || isDeepStrictEqual(got, { ...b, certHash: newHash });
    expect(ok, `${host.name}${why}: ${k} is ${JSON.stringify(got)}, neither the original nor the original on the new hash`).toBe(true);
  }
}
