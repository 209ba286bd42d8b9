import { describe, expect, it } from "vitest";
import type { EndpointTarget } from "../../src/verify/endpoint-target.js";
import type { ProbeTarget, ServedCertificate } from "../../src/verify/tls-probe.js";
import { verifyEndpoint, type VerifyDeps } from "../../src/verify/verify-endpoint.js";
import { verifyBindings } from "../../src/verify/verify-bindings.js";

const NEW = "a".repeat(40);
const OLD = "b".repeat(40);

function served(thumbprint: string, dnsNames = ["*.example.com"]): ServedCertificate {
  return { thumbprint, notAfter: "2027-01-01T00:00:00.000Z", dnsNames, subject: "CN=*.example.com", chainComplete: true };
}

/** A fake clock that only moves when verifyEndpoint sleeps, and a probe scripted per attempt. */
function scripted(answers: Array<ServedCertificate | Error>): VerifyDeps & { probes: ProbeTarget[]; sleeps: number[]; clock: { t: number } } {
  const clock = { t: 1_000_000 };
  const probes: ProbeTarget[] = [];
  const sleeps: number[] = [];
  return {
    probes,
    sleeps,
    clock,
    now: () => clock.t,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock.t += ms;
    },
    probe: async (t) => {
      probes.push(t);
      const a = answers[Math.min(probes.length - 1, answers.length - 1)]!;
      if (a instanceof Error) throw a;
      return a;
    },
  };
}

const ip: EndpointTarget = { check: true, host: "10.0.0.11", port: 443, label: "10.0.0.11:443" };
const sni: EndpointTarget = { check: true, host: "10.0.0.11", port: 443, serverName: "www.example.com", label: "10.0.0.11:443 (SNI www.example.com)" };

describe("verifyEndpoint", () => {
  it("passes at the first attempt when the expected certificate is served", async () => {
    const d = scripted([served(NEW)]);
    const r = await verifyEndpoint(ip, NEW, { windowMs: 60_000, intervalMs: 2_000, handshakeTimeoutMs: 5_000 }, d);
    expect(r).toMatchObject({ ok: true, servedThumbprint: NEW, expectedThumbprint: NEW, target: "10.0.0.11:443", attempts: 1, chainComplete: true, notAfter: "2027-01-01T00:00:00.000Z" });
    expect(r.error).toBeUndefined();
    expect(d.sleeps).toEqual([]);
    expect(d.probes).toEqual([{ host: "10.0.0.11", port: 443, serverName: undefined, timeoutMs: 5_000 }]);
  });

  it("retries within the window until the new certificate is served, counting attempts", async () => {
    const d = scripted([served(OLD), served(OLD), served(OLD), served(NEW)]);
    const r = await verifyEndpoint(ip, NEW, { windowMs: 60_000, intervalMs: 2_000, handshakeTimeoutMs: 5_000 }, d);
    expect(r).toMatchObject({ ok: true, servedThumbprint: NEW, attempts: 4 });
    expect(d.sleeps).toEqual([2_000, 2_000, 2_000]);
  });

  it("stops past the window and reports the last served and expected thumbprints", async () => {
    const d = scripted([served(OLD)]);
    const r = await verifyEndpoint(ip, NEW, { windowMs: 10_000, intervalMs: 3_000, handshakeTimeoutMs: 5_000 }, d);
    // attempts at t=0,3,6,9 s; a fifth at 12 s would be past the 10 s window
    expect(r).toMatchObject({ ok: false, servedThumbprint: OLD, expectedThumbprint: NEW, attempts: 4 });
    expect(r.error).toBe(`served ${OLD}, expected ${NEW}`);
    expect(d.probes).toHaveLength(4);
    expect(d.clock.t - 1_000_000).toBeLessThanOrEqual(10_000);
  });

  it("a window of 0 makes exactly one attempt", async () => {
    const d = scripted([served(OLD), served(NEW)]);
    const r = await verifyEndpoint(ip, NEW, { windowMs: 0, intervalMs: 1, handshakeTimeoutMs: 5_000 }, d);
    expect(r).toMatchObject({ ok: false, attempts: 1, servedThumbprint: OLD });
    expect(d.sleeps).toEqual([]);
  });

  it("counts the time the handshakes themselves take against the window", async () => {
    const d = scripted([served(OLD)]);
    const slow: VerifyDeps = {
      ...d,
      probe: async (t) => {
        d.clock.t += 4_000;
        return d.probe(t);
      },
    };
    const r = await verifyEndpoint(ip, NEW, { windowMs: 10_000, intervalMs: 1_000, handshakeTimeoutMs: 5_000 }, slow);
    // attempts start at t=0, 5 and 10 s (each handshake takes 4 s, then 1 s pause); a fourth
    // would start at 15 s, past the 10 s window: without counting handshake time there would be 6.
    expect(r.attempts).toBe(3);
    expect(r.ok).toBe(false);
  });

  it("a failing handshake is retried and its error kept when it never succeeds", async () => {
    const d = scripted([new Error("connect ECONNREFUSED 10.0.0.11:443")]);
    const r = await verifyEndpoint(ip, NEW, { windowMs: 5_000, intervalMs: 1_000, handshakeTimeoutMs: 5_000 }, d);
    expect(r).toMatchObject({ ok: false, expectedThumbprint: NEW, attempts: 6 });
    expect(r.servedThumbprint).toBeUndefined();
    expect(r.error).toBe("TLS handshake failed: connect ECONNREFUSED 10.0.0.11:443");
  });

  it("recovers after handshake errors within the window", async () => {
    const d = scripted([new Error("ECONNRESET"), served(NEW)]);
    const r = await verifyEndpoint(ip, NEW, { windowMs: 5_000, intervalMs: 1_000, handshakeTimeoutMs: 5_000 }, d);
    expect(r).toMatchObject({ ok: true, attempts: 2 });
  });

  it("sends SNI for a hostname binding and records whether the certificate covers the name", async () => {
    const d = scripted([served(NEW)]);
    const r = await verifyEndpoint(sni, NEW, { windowMs: 0, intervalMs: 1, handshakeTimeoutMs: 5_000 }, d);
    expect(d.probes[0]!.serverName).toBe("www.example.com");
    expect(r).toMatchObject({ ok: true, serverName: "www.example.com", sniCovered: true });

    const other = scripted([served(NEW, ["other.example.org"])]);
    const r2 = await verifyEndpoint(sni, NEW, { windowMs: 0, intervalMs: 1, handshakeTimeoutMs: 5_000 }, other);
    expect(r2).toMatchObject({ ok: true, sniCovered: false });
  });

  it("an endpoint that cannot be checked is reported as skipped with the reason, no handshake", async () => {
    const d = scripted([served(OLD)]);
    const r = await verifyEndpoint({ check: false, reason: "[::] binding and no address6 for this host in the inventory" }, NEW, { windowMs: 0, intervalMs: 1, handshakeTimeoutMs: 1 }, d);
    expect(r).toEqual({ ok: true, skipped: true, expectedThumbprint: NEW, error: "not checked: [::] binding and no address6 for this host in the inventory" });
    expect(d.probes).toEqual([]);
  });
});

describe("verifyBindings", () => {
  it("checks each binding at its own target and returns results in order", async () => {
    const d = scripted([served(NEW)]);
    const results = await verifyBindings(
      { address: "10.0.0.11" },
      [
        { binding: { kind: "ipport", endpoint: "0.0.0.0:443" }, expected: NEW },
        { binding: { kind: "hostnameport", endpoint: "www.example.com:443" }, expected: NEW },
        { binding: { kind: "ipport", endpoint: "[::]:443" }, expected: NEW },
      ],
      { windowMs: 0, intervalMs: 1, handshakeTimeoutMs: 5_000 },
      d,
    );
    expect(results.map((r) => r.ok)).toEqual([true, true, true]);
    expect(results[2]!.skipped).toBe(true);
    expect(d.probes.map((p) => `${p.host}:${p.port}/${p.serverName ?? "-"}`)).toEqual(["10.0.0.11:443/-", "10.0.0.11:443/www.example.com"]);
  });
});
