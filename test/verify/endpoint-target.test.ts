import { describe, expect, it } from "vitest";
import { endpointTarget, splitHostPort } from "../../src/verify/endpoint-target.js";

const host = { address: "10.0.0.11" };

describe("endpointTarget", () => {
  it("checks 0.0.0.0:P at the host's inventory address, without SNI", () => {
    expect(endpointTarget({ kind: "ipport", endpoint: "0.0.0.0:443" }, host)).toEqual({ check: true, host: "10.0.0.11", port: 443, label: "10.0.0.11:443" });
  });

  it("checks [::]:P at address6 when the inventory gives one", () => {
    const t = endpointTarget({ kind: "ipport", endpoint: "[::]:8443" }, { address: "10.0.0.11", address6: "fd00::11" });
    expect(t).toEqual({ check: true, host: "fd00::11", port: 8443, label: "[fd00::11]:8443" });
  });

  it("does not check [::]:P without address6, and says why", () => {
    const t = endpointTarget({ kind: "ipport", endpoint: "[::]:443" }, host);
    expect(t.check).toBe(false);
    if (!t.check) expect(t.reason).toMatch(/\[::\].*no address6/);
  });

  it("checks a specific IPv4 or IPv6 binding at that IP", () => {
    expect(endpointTarget({ kind: "ipport", endpoint: "10.0.0.99:8443" }, host)).toMatchObject({ check: true, host: "10.0.0.99", port: 8443 });
    expect(endpointTarget({ kind: "ipport", endpoint: "[fd00::5]:443" }, host)).toMatchObject({ check: true, host: "fd00::5", port: 443, label: "[fd00::5]:443" });
    expect(endpointTarget({ kind: "ipport", endpoint: "10.0.0.99:8443" }, host)).not.toHaveProperty("serverName");
  });

  it("checks hostnameport at the host's address with the hostname as SNI", () => {
    const t = endpointTarget({ kind: "hostnameport", endpoint: "www.example.com:443" }, host);
    expect(t).toEqual({ check: true, host: "10.0.0.11", port: 443, serverName: "www.example.com", label: "10.0.0.11:443 (SNI www.example.com)" });
  });

  it("tls.address replaces the address for wildcard, [::] and SNI bindings", () => {
    const h = { address: "10.0.0.11", address6: "fd00::11", tls: { address: "lb.example.net" } };
    expect(endpointTarget({ kind: "ipport", endpoint: "0.0.0.0:443" }, h)).toMatchObject({ host: "lb.example.net", port: 443 });
    expect(endpointTarget({ kind: "ipport", endpoint: "[::]:443" }, h)).toMatchObject({ host: "lb.example.net", port: 443 });
    expect(endpointTarget({ kind: "hostnameport", endpoint: "api.example.com:8443" }, h)).toMatchObject({ host: "lb.example.net", port: 8443, serverName: "api.example.com" });
  });

  it("tls.endpoints overrides one endpoint (address and port), keeping SNI for hostname bindings", () => {
    const h = { address: "10.0.0.11", tls: { endpoints: { "0.0.0.0:443": "127.0.0.1:40001", "www.example.com:443": "127.0.0.1:40002" } } };
    expect(endpointTarget({ kind: "ipport", endpoint: "0.0.0.0:443" }, h)).toEqual({ check: true, host: "127.0.0.1", port: 40001, label: "127.0.0.1:40001" });
    expect(endpointTarget({ kind: "hostnameport", endpoint: "www.example.com:443" }, h)).toEqual({
      check: true,
      host: "127.0.0.1",
      port: 40002,
      serverName: "www.example.com",
      label: "127.0.0.1:40002 (SNI www.example.com)",
    });
    // endpoints not named keep the default rule
    expect(endpointTarget({ kind: "ipport", endpoint: "0.0.0.0:8443" }, h)).toMatchObject({ host: "10.0.0.11", port: 8443 });
  });

  it("an endpoint override is found whatever the case of the binding's hostname", () => {
    const h = { address: "10.0.0.11", tls: { endpoints: { "www.example.com:443": "127.0.0.1:40002" } } };
    expect(endpointTarget({ kind: "hostnameport", endpoint: "WWW.Example.com:443" }, h)).toMatchObject({ check: true, port: 40002 });
  });

  it("an override lets a [::] binding without address6 be checked", () => {
    const h = { address: "10.0.0.11", tls: { endpoints: { "[::]:443": "[::1]:40003" } } };
    expect(endpointTarget({ kind: "ipport", endpoint: "[::]:443" }, h)).toMatchObject({ check: true, host: "::1", port: 40003 });
  });

  it("does not check a ccs binding unless the inventory names where", () => {
    const t = endpointTarget({ kind: "ccs", endpoint: "443" }, host);
    expect(t.check).toBe(false);
    if (!t.check) expect(t.reason).toMatch(/central certificate store/);
    const o = endpointTarget({ kind: "ccs", endpoint: "443" }, { address: "10.0.0.11", tls: { endpoints: { "443": "127.0.0.1:40004" } } });
    expect(o).toMatchObject({ check: true, host: "127.0.0.1", port: 40004 });
  });

  it("an unreadable endpoint is not checked, with the reason", () => {
    const t = endpointTarget({ kind: "ipport", endpoint: "garbage" }, host);
    expect(t).toEqual({ check: false, reason: "cannot read endpoint garbage" });
  });
});

describe("splitHostPort", () => {
  it("reads IPv4, bracketed IPv6 and names, and refuses the rest", () => {
    expect(splitHostPort("10.0.0.1:443")).toEqual({ host: "10.0.0.1", port: 443 });
    expect(splitHostPort("[::]:443")).toEqual({ host: "::", port: 443 });
    expect(splitHostPort("www.example.com:8443")).toEqual({ host: "www.example.com", port: 8443 });
    expect(splitHostPort("443")).toBeNull();
    expect(splitHostPort("::1:443")).toBeNull();
  });
});
