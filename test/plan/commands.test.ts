import { describe, expect, it } from "vitest";
import type { Binding } from "../../src/model/binding.js";
import { CertfleetError } from "../../src/model/errors.js";
import {
  addBindingCommand,
  addParamsFor,
  deleteBindingCommand,
  sameBinding,
  showBindingCommand,
  updateBindingCommand,
} from "../../src/windows/commands.js";
import { APP_ADFS, APP_IIS, DEFAULT_SETTINGS, T_NEW, binding } from "./fixtures.js";

/** Every setting away from its http.sys default. */
const ALL_FLAGS: Record<string, string> = {
  ...DEFAULT_SETTINGS,
  verifyclientcertrevocation: "Disabled",
  verifyrevocationwithcachedclientcertonly: "Enabled",
  usagecheck: "Disabled",
  revocationfreshnesstime: "3600",
  urlretrievaltimeout: "15000",
  sslctlidentifier: "Contoso_CTL-1",
  sslctlstorename: "AdfsTrustedDevices",
  dsmapperusage: "Enabled",
  clientcertnegotiation: "Enabled",
  reject: "Enabled",
  disablehttp2: "Set",
  disablequic: "Set",
  disabletls12: "Set",
  disabletls13: "Set",
  disableocspstapling: "Set",
  enabletokenbinding: "Set",
  logextendedevents: "Set",
  disablelegacytls: "Set",
  enablesessionticket: "Set",
  disablesessionid: "Set",
};

const EXPECTED_ALL = [
  ["certhash", T_NEW],
  ["appid", APP_ADFS],
  ["certstorename", "WebHosting"],
  ["verifyclientcertrevocation", "disable"],
  ["verifyrevocationwithcachedclientcertonly", "enable"],
  ["usagecheck", "disable"],
  ["revocationfreshnesstime", "3600"],
  ["urlretrievaltimeout", "15000"],
  ["sslctlidentifier", "Contoso_CTL-1"],
  ["sslctlstorename", "AdfsTrustedDevices"],
  ["dsmapperusage", "enable"],
  ["clientcertnegotiation", "enable"],
  ["reject", "enable"],
  ["disablehttp2", "enable"],
  ["disablequic", "enable"],
  ["disablelegacytls", "enable"],
  ["disabletls12", "enable"],
  ["disabletls13", "enable"],
  ["disableocspstapling", "enable"],
  ["enabletokenbinding", "enable"],
  ["logextendedevents", "enable"],
  ["enablesessionticket", "enable"],
  ["disablesessionid", "enable"],
];

const full: Binding = binding("sts.example.com:443", T_NEW, { appId: APP_ADFS, storeName: "WebHosting", settings: ALL_FLAGS });

describe("addParamsFor", () => {
  it("carries hash, appid, store and every non-default setting, in usage order", () => {
    const r = addParamsFor(full);
    expect(r.problems).toEqual([]);
    expect(r.params).toEqual(EXPECTED_ALL);
  });

  it("sends only what differs from the default", () => {
    const r = addParamsFor(binding("0.0.0.0:443", T_NEW, { storeName: null }));
    expect(r.params).toEqual([
      ["certhash", T_NEW],
      ["appid", APP_IIS],
    ]);
    const one = addParamsFor(binding("0.0.0.0:443", T_NEW, { settings: { ...DEFAULT_SETTINGS, disablehttp2: "Set" } }));
    expect(one.params).toEqual([
      ["certhash", T_NEW],
      ["appid", APP_IIS],
      ["certstorename", "MY"],
      ["disablehttp2", "enable"],
    ]);
  });

  it("keeps the store name as read (null is not sent: http.sys treats it as MY)", () => {
    expect(addParamsFor(binding("0.0.0.0:443", T_NEW, { storeName: "my" })).params).toContainEqual(["certstorename", "my"]);
    expect(addParamsFor(binding("0.0.0.0:443", T_NEW, { storeName: null })).params.map(([n]) => n)).not.toContain("certstorename");
  });

  it("default extended properties and unset 2025 fields are not problems", () => {
    const b = binding("0.0.0.0:443", T_NEW, {
      settings: {
        ...DEFAULT_SETTINGS,
        enablecachingclienthello: "Not Set",
        "propertyid0.receivewindow": "1048576",
        "propertyid1.maxsettingsperframe": "2796202",
        "propertyid1.maxsettingsperminute": "4294967295",
        "label:Some Future Field": "Not Set",
      },
    });
    expect(addParamsFor(b).problems).toEqual([]);
  });

  it("what add cannot express is unrepresentable, not unsafe", () => {
    const b = binding("0.0.0.0:443", T_NEW, {
      settings: { ...DEFAULT_SETTINGS, enablecachingclienthello: "Set", "propertyid0.receivewindow": "65536", "label:Future Flag": "Enabled" },
    });
    const r = addParamsFor(b);
    expect(r.unsafe).toEqual([]);
    expect(r.unrepresentable).toHaveLength(3);
    expect(r.unrepresentable.join("\n")).toMatch(/Caching Client Hello/);
    expect(r.unrepresentable.join("\n")).toMatch(/receivewindow is 65536/);
    expect(r.unrepresentable.join("\n")).toMatch(/Future Flag/);
  });

  it("values outside the grammar are unsafe", () => {
    const cases: Array<Partial<Binding>> = [
      { storeName: "My & calc.exe" },
      { settings: { ...DEFAULT_SETTINGS, sslctlstorename: "Adfs'; Remove-Item C:\\ -Recurse; '" } },
      { settings: { ...DEFAULT_SETTINGS, revocationfreshnesstime: "99999999999" } },
      { settings: { ...DEFAULT_SETTINGS, disablehttp2: "Maybe" } },
      { certHash: null },
      { appId: null },
    ];
    for (const over of cases) {
      const r = addParamsFor(binding("0.0.0.0:443", T_NEW, over));
      expect(r.unsafe.length, JSON.stringify(over)).toBeGreaterThan(0);
    }
  });
});

describe("addBindingCommand / updateBindingCommand", () => {
  const paramsText = EXPECTED_ALL.map(([n, v]) => `${n}=${v}`);

  it("cmd.exe: bare name=value tokens, every flag carried", () => {
    expect(addBindingCommand("cmd", full)).toBe(`netsh http add sslcert hostnameport=sts.example.com:443 ${paramsText.join(" ")}`);
    expect(updateBindingCommand("cmd", full)).toBe(`netsh http update sslcert hostnameport=sts.example.com:443 ${paramsText.join(" ")}`);
  });

  it("PowerShell: every token single-quoted, so {GUID} is not a script block", () => {
    const cmd = addBindingCommand("powershell", full);
    expect(cmd).toBe(`netsh http add sslcert 'hostnameport=sts.example.com:443' ${paramsText.map((t) => `'${t}'`).join(" ")}`);
    expect(cmd).toContain(`'appid=${APP_ADFS}'`);
    expect(updateBindingCommand("powershell", full)).toMatch(/^netsh http update sslcert 'hostnameport=sts\.example\.com:443' 'certhash=/);
  });

  it("IPv6 and IPv4 endpoints, show and delete", () => {
    const v6 = binding("[::]:443", T_NEW);
    expect(showBindingCommand("cmd", v6)).toBe("netsh http show sslcert ipport=[::]:443");
    expect(deleteBindingCommand("powershell", v6)).toBe("netsh http delete sslcert 'ipport=[::]:443'");
    expect(addBindingCommand("cmd", binding("10.0.0.5:8443", T_NEW, { storeName: null }))).toBe(
      `netsh http add sslcert ipport=10.0.0.5:8443 certhash=${T_NEW} appid=${APP_IIS}`,
    );
  });

  it("Enable Caching Client Hello: update is allowed, add (delete+add) is refused", () => {
    const b = binding("0.0.0.0:443", T_NEW, { settings: { ...DEFAULT_SETTINGS, enablecachingclienthello: "Set" } });
    expect(updateBindingCommand("cmd", b)).toBe(`netsh http update sslcert ipport=0.0.0.0:443 certhash=${T_NEW} appid=${APP_IIS} certstorename=MY`);
    expect(() => addBindingCommand("cmd", b, "web07")).toThrow(CertfleetError);
    expect(() => addBindingCommand("cmd", b, "web07")).toThrow(/Caching Client Hello/);
  });

  it("a value outside the grammar is refused before any command exists", () => {
    const bad: Array<[string, () => string]> = [
      ["store", () => addBindingCommand("cmd", binding("0.0.0.0:443", T_NEW, { storeName: "MY & del *" }), "web01")],
      ["ctl", () => updateBindingCommand("powershell", binding("0.0.0.0:443", T_NEW, { settings: { ...DEFAULT_SETTINGS, sslctlstorename: "x'y" } }), "web01")],
      ["endpoint", () => addBindingCommand("cmd", binding("www.example.com:443&calc", T_NEW), "web01")],
      ["endpoint-show", () => showBindingCommand("cmd", { kind: "hostnameport", endpoint: "a b:443" }, "web01")],
      ["endpoint-delete", () => deleteBindingCommand("powershell", { kind: "ipport", endpoint: "[fe80::1%12]:443" }, "web01")],
      ["hash", () => addBindingCommand("cmd", binding("0.0.0.0:443", "z".repeat(40)), "web01")],
    ];
    for (const [what, build] of bad) {
      let err: unknown;
      try {
        build();
      } catch (e) {
        err = e;
      }
      expect(err, what).toBeInstanceOf(CertfleetError);
      expect((err as CertfleetError).kind, what).toBe("precondition");
      expect((err as CertfleetError).host, what).toBe("web01");
    }
  });
});

describe("sameBinding", () => {
  it("null store equals MY in any case; settings compare case- and space-insensitively", () => {
    const a = binding("0.0.0.0:443", T_NEW, { storeName: null });
    expect(sameBinding(a, { ...a, storeName: "my" })).toBe(true);
    expect(sameBinding(a, { ...a, settings: { ...a.settings, disablehttp2: " not set " } })).toBe(true);
    expect(sameBinding(a, { ...a, settings: { ...a.settings, disablehttp2: "Set" } })).toBe(false);
    expect(sameBinding(a, { ...a, appId: APP_ADFS })).toBe(false);
    expect(sameBinding(a, { ...a, storeName: "WebHosting" })).toBe(false);
  });
});
