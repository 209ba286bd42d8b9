import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFleet, type SimFleet } from "../../src/simulator/index.js";
import { IIS, hostSpec, testCerts } from "./fixture.js";
import { closeConnections, run, servedThumbprint } from "./helpers.js";

let fleet: SimFleet;

beforeAll(async () => {
  const { otherCert } = testCerts();
  fleet = await startFleet([
    hostSpec("web", { os: "2022" }),
    hostSpec("iis", { os: "2012r2" }, { faults: { staleHandshakes: 2 } }),
    hostSpec("sni", { os: "2016" }, {
      bindings: [
        { kind: "ipport", endpoint: "0.0.0.0:443", certHash: otherCert.thumbprint, appId: IIS },
        { kind: "hostnameport", endpoint: "www.example.com:443", certHash: testCerts().oldCert.thumbprint, appId: IIS, storeName: "MY" },
        { kind: "hostnameport", endpoint: "api.example.com:443", certHash: testCerts().newCert.thumbprint, appId: IIS, storeName: "MY" },
      ],
    }),
  ]);
});

afterAll(async () => {
  await closeConnections();
  await fleet.stop();
});

const endpoint = (host: string, ep: string): string => {
  const address = fleet.host(host).tlsEndpoints()[ep];
  if (!address) throw new Error(`no TLS endpoint ${ep} on ${host}`);
  return address;
};

describe("TLS endpoints", () => {
  it("serve the certificate bound in http.sys", async () => {
    const { oldCert } = testCerts();
    expect(await servedThumbprint(endpoint("web", "0.0.0.0:443"))).toBe(oldCert.thumbprint);
    expect(await servedThumbprint(endpoint("web", "www.example.com:443"), "www.example.com")).toBe(oldCert.thumbprint);
  });

  it("follow an update made over SSH", async () => {
    const { newCert } = testCerts();
    const r = await run(fleet, fleet.host("web"), `netsh http update sslcert ipport=0.0.0.0:443 certhash=${newCert.thumbprint} appid=${IIS}`);
    expect(r.code).toBe(0);
    expect(await servedThumbprint(endpoint("web", "0.0.0.0:443"))).toBe(newCert.thumbprint);
  });

  it("choose by SNI, falling back to the IP binding", async () => {
    const { oldCert, newCert, otherCert } = testCerts();
    const address = endpoint("sni", "www.example.com:443");
    expect(await servedThumbprint(address, "www.example.com")).toBe(oldCert.thumbprint);
    expect(await servedThumbprint(address, "api.example.com")).toBe(newCert.thumbprint);
    expect(await servedThumbprint(address, "unknown.example.org")).toBe(otherCert.thumbprint);
    expect(await servedThumbprint(endpoint("sni", "0.0.0.0:443"), "api.example.com")).toBe(newCert.thumbprint);
    expect(await servedThumbprint(endpoint("sni", "0.0.0.0:443"))).toBe(otherCert.thumbprint);
  });

  it("refuse handshakes while a binding is deleted and serve again on the same port after re-add", async () => {
    const { oldCert, newCert } = testCerts();
    const host = fleet.host("web");
    const address = endpoint("web", "www.example.com:443");
    await run(fleet, host, "netsh http delete sslcert hostnameport=www.example.com:443");
    await expect(servedThumbprint(address, "www.example.com")).rejects.toThrow();
    const add = await run(fleet, host, `netsh http add sslcert hostnameport=www.example.com:443 certhash=${newCert.thumbprint} appid=${IIS} certstorename=MY`);
    expect(add.code).toBe(0);
    expect(endpoint("web", "www.example.com:443")).toBe(address);
    expect(await servedThumbprint(address, "www.example.com")).toBe(newCert.thumbprint);
    expect(newCert.thumbprint).not.toBe(oldCert.thumbprint);
  });

  it("open a listener for a binding added later", async () => {
    const { newCert } = testCerts();
    const host = fleet.host("web");
    expect(host.tlsEndpoints()["10.0.0.5:8443"]).toBeUndefined();
    await run(fleet, host, `netsh http add sslcert ipport=10.0.0.5:8443 certhash=${newCert.thumbprint} appid=${IIS}`);
    expect(await servedThumbprint(endpoint("web", "10.0.0.5:8443"))).toBe(newCert.thumbprint);
  });

  it("honour staleHandshakes: the old certificate for the next N handshakes after a rebind", async () => {
    const { oldCert, newCert } = testCerts();
    const host = fleet.host("iis");
    const address = endpoint("iis", "0.0.0.0:443");
    // 2012 R2: delete + add
    await run(fleet, host, "netsh http delete sslcert ipport=0.0.0.0:443");
    await run(fleet, host, `netsh http add sslcert ipport=0.0.0.0:443 certhash=${newCert.thumbprint} appid=${IIS}`);
    expect(host.bindings.find((b) => b.endpoint === "0.0.0.0:443")?.certHash).toBe(newCert.thumbprint);
    expect(await servedThumbprint(address)).toBe(oldCert.thumbprint);
    expect(await servedThumbprint(address)).toBe(oldCert.thumbprint);
    expect(await servedThumbprint(address)).toBe(newCert.thumbprint);
    expect(await servedThumbprint(address)).toBe(newCert.thumbprint);
  });

  it("fail the handshake when the bound certificate has no private key", async () => {
    const { noKeyCert } = testCerts();
    const host = fleet.host("web");
    await host.putBinding({ kind: "ipport", endpoint: "0.0.0.0:9443", certHash: noKeyCert.thumbprint, appId: IIS });
    await expect(servedThumbprint(endpoint("web", "0.0.0.0:9443"))).rejects.toThrow();
  });

  it("appear in the inventory document", () => {
    const doc = fleet.inventoryDocument() as { hosts: Record<string, { port: number; tls: { endpoints: Record<string, string> } }> };
    expect(doc.hosts.sni?.tls.endpoints["api.example.com:443"]).toBe(endpoint("sni", "api.example.com:443"));
    expect(doc.hosts.sni?.port).toBe(fleet.host("sni").sshPort);
  });
});
