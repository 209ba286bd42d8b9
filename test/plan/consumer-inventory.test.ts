import { describe, expect, it } from "vitest";
import type { Binding } from "../../src/model/binding.js";
import { Consumer } from "../../src/model/consumer.js";
import { consumersOf, consumersUsing, ownerMismatches, winrmHostnameBlock } from "../../src/plan/consumer-inventory.js";
import { parseRegBinaryHash } from "../../src/windows/reg-parse.js";
import { parseWinrmListeners } from "../../src/windows/winrm-listener-parse.js";
import { sample } from "../windows/helpers.js";

const OLD = "4b42446edee4a5ad0509b53e0c409675cd4cf186";
const NEW = "a".repeat(40);
const binding = (endpoint: string, certHash: string, appId: string): Binding => ({ kind: "ipport", endpoint, certHash, appId, storeName: null, settings: {} });
const WINRM = "{afebb9ad-9b97-4a91-9ab5-daf4d59122f6}";
const IIS = "{4dc3e181-e14b-4a21-b022-59fc669b0914}";
const ADFS = "{5d89a20c-beab-4389-9447-324788eb944a}";

const listeners = parseWinrmListeners(sample("consumers/winrm-enumerate-listener-https-wrapped-ko.txt")).listeners;
const rdpPresent = parseRegBinaryHash(`\r\nHKEY_LOCAL_MACHINE\\X\r\n    SSLCertificateSHA1Hash    REG_BINARY    ${OLD.toUpperCase()}\r\n`, "SSLCertificateSHA1Hash");
const wmsvcNew = parseRegBinaryHash(`\r\nHKEY_LOCAL_MACHINE\\Y\r\n    SslCertificateHash    REG_BINARY    ${NEW}\r\n`, "SslCertificateHash");

describe("consumersOf", () => {
  it("lists bindings by owner, the WinRM HTTPS listener and both registry values, each a valid Consumer", () => {
    const consumers = consumersOf({
      bindings: [binding("0.0.0.0:443", OLD, IIS), binding("0.0.0.0:5986", OLD, WINRM), binding("0.0.0.0:8172", NEW, "{00000000-0000-0000-0000-000000000000}"), binding("0.0.0.0:49443", OLD, ADFS)],
      winrmListeners: listeners,
      rdp: rdpPresent,
      wmsvc: wmsvcNew,
    });
    for (const c of consumers) expect(Consumer.parse(c)).toEqual(c);
    expect(consumers.map((c) => [c.source, c.owner, c.handling, c.certHash])).toEqual([
      ["binding", "iis", "netsh", OLD],
      ["binding", "winrm-https", "with-owner-setting", OLD],
      ["binding", "wmsvc", "with-owner-setting", NEW],
      ["binding", "adfs", "owner-managed", OLD],
      ["winrm-listener", "winrm-https", "with-owner-setting", OLD],
      ["registry", "wmsvc", "with-owner-setting", NEW],
      ["registry", "rdp", "owner-setting", OLD],
    ]);
    expect(consumersUsing(consumers, OLD).map((c) => c.name)).toEqual([
      "0.0.0.0:443",
      "0.0.0.0:5986",
      "0.0.0.0:49443",
      "Listener?Address=*+Transport=HTTPS",
      "RDP-Tcp\\SSLCertificateSHA1Hash",
    ]);
  });

  it("an absent RDP value is a consumer of no certificate (self-signed); an absent WMSvc value is no consumer", () => {
    const absent = parseRegBinaryHash("ERROR: The system was unable to find the specified registry key or value.\r\n", "x");
    const consumers = consumersOf({ bindings: [], winrmListeners: null, rdp: absent, wmsvc: absent });
    expect(consumers).toEqual([expect.objectContaining({ owner: "rdp", certHash: null })]);
  });
});

describe("ownerMismatches (drift)", () => {
  it("a 5986 binding on the new certificate while the listener names the old is a mismatch", () => {
    const m = ownerMismatches({ bindings: [binding("0.0.0.0:5986", NEW, WINRM)], winrmListeners: listeners, rdp: null, wmsvc: null });
    expect(m).toEqual([{ owner: "winrm-https", binding: "0.0.0.0:5986", bindingHash: NEW, ownerSetting: "Listener?Address=*+Transport=HTTPS", ownerHash: "4b42446edee4a5ad0509b53e0c409675cd4cf186" }]);
  });

  it("agreeing owners are no mismatch; WMSvc registry against its 8172 binding", () => {
    expect(ownerMismatches({ bindings: [binding("0.0.0.0:5986", OLD, WINRM), binding("0.0.0.0:8172", NEW, IIS)], winrmListeners: listeners, rdp: null, wmsvc: wmsvcNew })).toEqual([]);
    expect(ownerMismatches({ bindings: [binding("0.0.0.0:8172", OLD, IIS)], winrmListeners: null, rdp: null, wmsvc: wmsvcNew })).toEqual([
      expect.objectContaining({ owner: "wmsvc", bindingHash: OLD, ownerHash: NEW }),
    ]);
  });
});

describe("winrmHostnameBlock", () => {
  const withHost = parseWinrmListeners(sample("consumers/winrm-enumerate-listener-http-https-hostname-harness.txt")).listeners;
  it("blocks when the new certificate does not cover the listener's Hostname", () => {
    expect(winrmHostnameBlock(withHost, ["*.example.com"])).toMatch(/EC2AMAZ-Q0MO0AP is not covered/);
    expect(winrmHostnameBlock(withHost, ["EC2AMAZ-Q0MO0AP"])).toBeNull();
  });
  it("a listener without a Hostname never blocks", () => {
    expect(winrmHostnameBlock(listeners, [])).toBeNull();
  });
});
