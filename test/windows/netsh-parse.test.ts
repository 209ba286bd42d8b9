import { describe, expect, it } from "vitest";
import { Binding } from "../../src/model/binding.js";
import { parseNetshShowSslcert } from "../../src/windows/netsh-parse.js";
import { constructed, expectSameOrder, sample, variants } from "./helpers.js";

const LEGACY13 = {
  verifyclientcertrevocation: "Enabled",
  verifyrevocationwithcachedclientcertonly: "Disabled",
  usagecheck: "Enabled",
  revocationfreshnesstime: "0",
  urlretrievaltimeout: "0",
  sslctlidentifier: "(null)",
  sslctlstorename: "(null)",
  dsmapperusage: "Disabled",
  clientcertnegotiation: "Disabled",
};
const S2016 = { ...LEGACY13, reject: "Disabled", disablehttp2: "Not Set" };
const FULL = {
  ...S2016,
  disablequic: "Not Set",
  disabletls12: "Not Set",
  disabletls13: "Not Set",
  disableocspstapling: "Not Set",
  enabletokenbinding: "Not Set",
  logextendedevents: "Not Set",
  disablelegacytls: "Not Set",
  enablesessionticket: "Not Set",
};
const EXT01 = {
  "propertyid0.receivewindow": "1048576",
  "propertyid1.maxsettingsperframe": "2796202",
  "propertyid1.maxsettingsperminute": "4294967295",
};
const IIS = "{4dc3e181-e14b-4a21-b022-59fc669b0914}";

function expectBindings(actual: Binding[], expected: Binding[]): void {
  expect(actual).toEqual(expected);
  actual.forEach((b, i) => {
    expectSameOrder(b.settings, expected[i]!.settings);
    expect(Binding.parse(b)).toEqual(b);
  });
}

function check(
  text: string,
  expected: { bindings: Binding[]; warnings: string[] },
  opts: { oem?: boolean } = {},
): void {
  for (const [form, input] of variants(text, opts)) {
    const result = parseNetshShowSslcert(input);
    try {
      expectBindings(result.bindings, expected.bindings);
      expect(result.warnings).toEqual(expected.warnings);
    } catch (err) {
      throw new Error(`${form}: ${(err as Error).message}`, { cause: err });
    }
  }
}

describe("parseNetshShowSslcert on the real samples", () => {
  it("legacy 13-field, leading empty line, (null) store (watson)", () => {
    check(sample("netsh-show-legacy13-null-store-watson.txt"), {
      bindings: [
        {
          kind: "ipport",
          endpoint: "0.0.0.0:443",
          certHash: "d0013e91aab93f437a4443b13e6d18bd60f0279c",
          appId: "{00112233-4455-6677-8899-aabbccddeeff}",
          storeName: null,
          settings: LEGACY13,
        },
      ],
      warnings: [],
    });
  });

  it("legacy SNI bindings with an ADFS CTL store, second one cut off (adfs)", () => {
    const common = {
      kind: "hostnameport" as const,
      certHash: "2d125f4d735def823178e8f17e6579d04fb97b7a",
      appId: "{5d89a20c-beab-4389-9447-324788eb944a}",
      storeName: "my",
    };
    check(sample("netsh-show-legacy13-sni-adfs-ctlstore-partial.txt"), {
      bindings: [
        {
          ...common,
          endpoint: "sts.margiestravel.com:443",
          settings: { ...LEGACY13, sslctlstorename: "adfstrusteddevices" },
        },
        {
          ...common,
          endpoint: "sts.margiestravel.com:49443",
          settings: { verifyclientcertrevocation: "Enabled", verifyrevocationwithcachedclientcertonly: "Disabled" },
        },
      ],
      warnings: [],
    });
  });

  it("IPv6 [::]:443 next to a WebHosting binding, redacted hashes reported (win-acme)", () => {
    check(sample("netsh-show-legacy13-ipv6-webhosting-redacted-partial.txt"), {
      bindings: [
        {
          kind: "ipport",
          endpoint: "0.0.0.0:443",
          certHash: null,
          appId: IIS,
          storeName: "WebHosting",
          settings: LEGACY13,
        },
        {
          kind: "ipport",
          endpoint: "[::]:443",
          certHash: null,
          appId: "{ba195980-cd49-458b-9e23-c84ee0adcd75}",
          storeName: "MY",
          settings: { verifyclientcertrevocation: "Enabled", verifyrevocationwithcachedclientcertonly: "Disabled", usagecheck: "Enabled" },
        },
      ],
      warnings: [
        'netsh binding ipport=0.0.0.0:443: certificate hash "redacted" is not a SHA-1 thumbprint; left empty',
        'netsh binding ipport=[::]:443: certificate hash "redacted" is not a SHA-1 thumbprint; left empty',
      ],
    });
  });

  it("Server 2016 layout: Reject Connections and Disable HTTP2 (citrix)", () => {
    check(sample("netsh-show-2016-reject-http2-null-store-citrix.txt"), {
      bindings: [
        {
          kind: "ipport",
          endpoint: "0.0.0.0:443",
          certHash: "e0e9f94df7f055979999a8641e00c75ba3a70249",
          appId: "{b46ab86f-c090-1a64-f966-ba2e0b30b1d7}",
          storeName: null,
          settings: S2016,
        },
      ],
      warnings: [],
    });
  });

  it("full layout with extended properties and no header at all (nbstrat)", () => {
    check(sample("netsh-show-modern-extprops-ipport-nbstrat.txt"), {
      bindings: [
        {
          kind: "ipport",
          endpoint: "0.0.0.0:44307",
          certHash: "61d34f532da121bbab64723c4871e72c92f03735",
          appId: "{214124cd-d05b-4309-9af9-9caa44b2b74a}",
          storeName: "MY",
          settings: { ...FULL, ...EXT01 },
        },
      ],
      warnings: [],
    });
  });

  it("newest layout: caching client hello and empty PropertyId 2-4, placeholders reported (BC)", () => {
    check(sample("netsh-show-newest-cachingclienthello-propid234-bc.txt"), {
      bindings: [
        {
          kind: "ipport",
          endpoint: "0.0.0.0:7048",
          certHash: null,
          appId: null,
          storeName: null,
          settings: {
            ...FULL,
            enablecachingclienthello: "Not Set",
            ...EXT01,
            propertyid2: "",
            propertyid3: "",
            propertyid4: "",
          },
        },
      ],
      warnings: [
        'netsh binding ipport=0.0.0.0:7048: certificate hash "<CERTIFICATE-THUMBPRINT>" is not a SHA-1 thumbprint; left empty',
        'netsh binding ipport=0.0.0.0:7048: application ID "{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}" is not a GUID; left empty',
      ],
    });
  });

  it("French labels, including the doubled separator of the store name (fr-FR fixture)", () => {
    check(
      sample("netsh-show-fr-FR-iisexpress-fixture-partial.txt"),
      {
        bindings: [
          {
            kind: "ipport",
            endpoint: "0.0.0.0:44300",
            certHash: "259a9a2ab37dbd4ee04877fd292a8fe62d56a3dd",
            appId: "{214124cd-d05b-4309-9af9-9caa44b2b74a}",
            storeName: "MY",
            settings: {},
          },
        ],
        warnings: [],
      },
      { oem: true },
    );
  });

  it("German, every line prefixed AUSFÜHRLICH:, non-hex hash, truncated with ... (scriptrunner)", () => {
    check(
      sample("netsh-show-de-DE-verbose-prefixed-partial-scriptrunner.txt"),
      {
        bindings: [
          { kind: "ipport", endpoint: "0.0.0.0:8091", certHash: null, appId: null, storeName: null, settings: {} },
        ],
        warnings: [
          'netsh binding ipport=0.0.0.0:8091: certificate hash "af459df0ed47a6fg4b8f6a20caf2488d3bb6e1bb" is not a SHA-1 thumbprint; left empty',
          "netsh binding ipport=0.0.0.0:8091: no application ID line",
          'netsh output is truncated ("..."): binding ipport=0.0.0.0:8091 may be incomplete',
        ],
      },
      { oem: true },
    );
  });
});

describe("parseNetshShowSslcert on constructed and copied blocks", () => {
  it("a full real French block: colon-less separators, Propriétés étendues, PropertyId 2-4", () => {
    check(
      constructed("netsh-show-fr-FR-full-lab.txt"),
      {
        bindings: [
          {
            kind: "ipport",
            endpoint: "192.168.100.10:8443",
            certHash: "9ad3113b038f01abd70b5d5ec0f4b8e333c756e8",
            appId: IIS,
            storeName: "MY",
            settings: { ...FULL, ...EXT01, propertyid2: "", propertyid3: "", propertyid4: "" },
          },
        ],
        warnings: [],
      },
      { oem: true },
    );
  });

  it("a German full block with constructed labels, two bindings", () => {
    const hash = "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d";
    check(
      constructed("netsh-show-de-DE-full-constructed.txt"),
      {
        bindings: [
          {
            kind: "ipport",
            endpoint: "0.0.0.0:443",
            certHash: hash,
            appId: IIS,
            storeName: "My",
            settings: { ...FULL, disabletls13: "Set", disablelegacytls: "Set", ...EXT01 },
          },
          {
            kind: "hostnameport",
            endpoint: "www.beispiel.de:443",
            certHash: hash,
            appId: IIS,
            storeName: "WebHosting",
            settings: { ...FULL, ...EXT01 },
          },
        ],
        warnings: [],
      },
      { oem: true },
    );
  });

  it("an unknown language (Spanish, invented) falls back to value shape and position", () => {
    const spanishIp = [
      '"Hash de certificado"→certhash',
      '"Id. de aplicación"→appid',
      '"Nombre del almacén de certificados"→certstorename',
      '"Comprobar revocación de certificados de cliente"→verifyclientcertrevocation',
      '"Comprobar revocación solo con certificado de cliente en caché"→verifyrevocationwithcachedclientcertonly',
      '"Comprobación de uso"→usagecheck',
      '"Tiempo de actualización de revocación"→revocationfreshnesstime',
      '"Tiempo de espera de recuperación de URL"→urlretrievaltimeout',
      '"Identificador de CTL"→sslctlidentifier',
      '"Nombre del almacén de CTL"→sslctlstorename',
      '"Uso del asignador DS"→dsmapperusage',
      '"Negociar certificado de cliente"→clientcertnegotiation',
    ];
    check(
      constructed("netsh-show-es-ES-unknown-language-constructed.txt"),
      {
        bindings: [
          {
            kind: "ipport",
            endpoint: "10.0.0.5:443",
            certHash: "3c9e1f0b7a5d4e2f8a6b9c0d1e2f3a4b5c6d7e8f",
            appId: IIS,
            storeName: "WebHosting",
            settings: { ...S2016, disablehttp2: "Set" },
          },
          {
            kind: "ccs",
            endpoint: "8443",
            certHash: null,
            appId: IIS,
            storeName: null,
            settings: { ...LEGACY13, clientcertnegotiation: "Enabled" },
          },
        ],
        warnings: [
          "netsh binding ipport=10.0.0.5:443: labels not recognised (unknown display language): read by value shape and position; " +
            `endpoint from "Dirección IP:puerto"; ${[...spanishIp, '"Rechazar conexiones"→reject', '"Deshabilitar HTTP2"→disablehttp2'].join(", ")}`,
          "netsh binding ccs=8443: labels not recognised (unknown display language): read by value shape and position; " +
            `endpoint from "Almacén central de certificados"; ${spanishIp.join(", ")}`,
        ],
      },
      { oem: true },
    );
  });

  it("a 2022 block with an unknown new field keeps it as label:..., in order, with a warning", () => {
    check(constructed("netsh-show-2022-unknown-field-constructed.txt"), {
      bindings: [
        {
          kind: "ipport",
          endpoint: "0.0.0.0:443",
          certHash: "9ad3113b038f01abd70b5d5ec0f4b8e333c756e8",
          appId: IIS,
          storeName: "MY",
          settings: {
            ...FULL,
            disablequic: "Set",
            disablelegacytls: "Set",
            "label:Enable Client Correlation": "Not Set",
            disablesessionid: "Not Set",
            ...EXT01,
          },
        },
      ],
      warnings: [
        'netsh binding ipport=0.0.0.0:443: unknown field "Enable Client Correlation" kept as label:Enable Client Correlation',
      ],
    });
  });

  it("several Server 2016 bindings: 0.0.0.0, [::], hostname:port and a CCS port", () => {
    const base = { appId: IIS };
    check(constructed("netsh-show-2016-multi-ipv6-sni-ccs-constructed.txt"), {
      bindings: [
        { ...base, kind: "ipport", endpoint: "0.0.0.0:443", certHash: "1".repeat(40), storeName: "My", settings: S2016 },
        {
          ...base,
          kind: "ipport",
          endpoint: "[::]:443",
          certHash: "1".repeat(40),
          storeName: "My",
          settings: { ...S2016, disablehttp2: "Set" },
        },
        {
          ...base,
          kind: "hostnameport",
          endpoint: "shop.example.com:443",
          certHash: "2".repeat(40),
          storeName: "WebHosting",
          settings: S2016,
        },
        { ...base, kind: "ccs", endpoint: "443", certHash: null, storeName: null, settings: S2016 },
      ],
      warnings: [],
    });
  });
});

const BLOCK_2016 = `    IP:port                      : 0.0.0.0:443
    Certificate Hash             : E0E9F94DF7F055979999A8641E00C75BA3A70249
    Application ID               : {B46AB86F-C090-1A64-F966-BA2E0B30B1D7}
    Certificate Store Name       : WebHosting
    Verify Client Certificate Revocation : Enabled
    Verify Revocation Using Cached Client Certificate Only : Disabled
    Usage Check                  : Enabled
    Revocation Freshness Time    : 0
    URL Retrieval Timeout        : 0
    Ctl Identifier               : (null)
    Ctl Store Name               : (null)
    DS Mapper Usage              : Disabled
    Negotiate Client Certificate : Disabled
    Reject Connections           : Disabled
    Disable HTTP2                : Not Set`;
const HEADER = "\nSSL Certificate bindings:\n-------------------------\n\n";
const PARSED_2016: Binding = {
  kind: "ipport",
  endpoint: "0.0.0.0:443",
  certHash: "e0e9f94df7f055979999a8641e00c75ba3a70249",
  appId: "{b46ab86f-c090-1a64-f966-ba2e0b30b1d7}",
  storeName: "WebHosting",
  settings: S2016,
};

describe("parseNetshShowSslcert edge cases", () => {
  it("show of a missing binding and empty output give zero bindings and no warnings", () => {
    for (const text of [
      "The system cannot find the file specified.\n",
      `${HEADER}The system cannot find the file specified.\n\n`,
      HEADER,
      "\nLiaisons de certificat SSL :\n----------------------------\n\n\n\n",
      "",
    ]) {
      check(text, { bindings: [], warnings: [] });
    }
  });

  it("upper-case hash and appid are normalised; trailing spaces are ignored", () => {
    const text = HEADER + BLOCK_2016.replace(/\n/g, "   \n") + "   \n\n";
    check(text, { bindings: [PARSED_2016], warnings: [] });
  });

  it("strips an English VERBOSE: and a French COMMENTAIRES : prefix", () => {
    for (const prefix of ["VERBOSE: ", "COMMENTAIRES : "]) {
      const text = (HEADER + BLOCK_2016)
        .split("\n")
        .map((l) => (l === "" ? prefix.trimEnd() : prefix + l))
        .join("\n");
      check(text, { bindings: [PARSED_2016], warnings: [] });
    }
  });

  it("reports a block that has no endpoint line instead of merging or dropping it", () => {
    const headless = BLOCK_2016.split("\n").slice(1).join("\n");
    const text = `${HEADER}${BLOCK_2016}\n\n${headless}\n`;
    check(text, {
      bindings: [PARSED_2016],
      warnings: [
        'netsh lines 21-34: a block of 14 field(s) with no endpoint line (starts "Certificate Hash : E0E9F94DF7F055979999A8641E00C75BA3A70249"): not read as a binding',
      ],
    });
  });

  it("two captured outputs in a row: the second header is not read as a field", () => {
    const second = BLOCK_2016.replace("0.0.0.0:443", "10.1.2.3:8443");
    const result = parseNetshShowSslcert(`${HEADER}${BLOCK_2016}\n${HEADER}${second}\n`);
    expect(result.bindings.map((b) => b.endpoint)).toEqual(["0.0.0.0:443", "10.1.2.3:8443"]);
    expectSameOrder(result.bindings[1]!.settings, S2016);
    expect(result.warnings).toEqual([]);
  });

  it("reports lines it cannot read", () => {
    check(`${HEADER}${BLOCK_2016}\n\nnetsh>\n`, {
      bindings: [PARSED_2016],
      warnings: ['netsh line 21 not understood, ignored: "netsh>"'],
    });
  });

  it("a repeated field is kept under its label with a warning", () => {
    check(`${HEADER}${BLOCK_2016}\n    Disable HTTP2                : Set\n`, {
      bindings: [{ ...PARSED_2016, settings: { ...S2016, "label:Disable HTTP2": "Set" } }],
      warnings: ['netsh binding ipport=0.0.0.0:443: field "Disable HTTP2" repeats disablehttp2; kept as label:Disable HTTP2'],
    });
  });

  it("an unknown field whose value looks like an endpoint does not start a binding inside a known block", () => {
    check(`${HEADER}${BLOCK_2016}\n    Fallback Endpoint            : backup.example.com:443\n`, {
      bindings: [{ ...PARSED_2016, settings: { ...S2016, "label:Fallback Endpoint": "backup.example.com:443" } }],
      warnings: ['netsh binding ipport=0.0.0.0:443: unknown field "Fallback Endpoint" kept as label:Fallback Endpoint'],
    });
  });

  it("bindings with no blank line between them still split at each endpoint line", () => {
    const second = BLOCK_2016.replace("0.0.0.0:443", "10.1.2.3:8443");
    const result = parseNetshShowSslcert(`${HEADER}${BLOCK_2016}\n${second}\n`);
    expect(result.bindings.map((b) => b.endpoint)).toEqual(["0.0.0.0:443", "10.1.2.3:8443"]);
    expect(result.warnings).toEqual([]);
  });

  // Italian labels, invented: the 20-field `mid` layout maps position 20 to disablelegacytls.
  const ITALIAN_MID = [
    "    Indirizzo IP:porta           : [fe80::1%4]:443",
    "    Hash del certificato         : 61d34f532da121bbab64723c4871e72c92f03735",
    "    ID applicazione              : {214124cd-d05b-4309-9af9-9caa44b2b74a}",
    "    Nome archivio certificati    : (null)",
    "    Verifica revoca certificati client : Disabled",
    "    Verifica revoca solo con certificato client memorizzato : Disabled",
    "    Controllo utilizzo           : Enabled",
    "    Tempo aggiornamento revoca   : 0",
    "    Timeout recupero URL         : 0",
    "    Identificatore CTL           : (null)",
    "    Nome archivio CTL            : (null)",
    "    Utilizzo mapper DS           : Disabled",
    "    Negozia certificato client   : Disabled",
    "    Rifiuta connessioni          : Disabled",
    "    Disabilita HTTP2             : Not Set",
    "    Disabilita QUIC              : Not Set",
    "    Disabilita TLS1.2            : Not Set",
    "    Disabilita TLS1.3            : Not Set",
    "    Disabilita OCSP Stapling     : Not Set",
    "    Disabilita versioni TLS legacy : Set",
    " Proprietà estese:",
    "    ID proprietà                 : 0",
    "    Finestra di ricezione        : 1048576",
    " Proprietà estese:",
    "    ID proprietà                 : 1",
    "    Impostazioni max per frame   : 2796202",
    "    Impostazioni max per minuto  : 4294967295",
    " Proprietà estese:",
    "    ID proprietà                 : 2",
  ].join("\n");

  it("unknown language, mid layout, IPv6 with zone, extended properties read by position", () => {
    const result = parseNetshShowSslcert(`\nAssociazioni certificati SSL:\n-----------------------------\n\n${ITALIAN_MID}\n`);
    expectBindings(result.bindings, [
      {
        kind: "ipport",
        endpoint: "[fe80::1%4]:443",
        certHash: "61d34f532da121bbab64723c4871e72c92f03735",
        appId: "{214124cd-d05b-4309-9af9-9caa44b2b74a}",
        storeName: null,
        settings: {
          ...S2016,
          verifyclientcertrevocation: "Disabled",
          disablequic: "Not Set",
          disabletls12: "Not Set",
          disabletls13: "Not Set",
          disableocspstapling: "Not Set",
          disablelegacytls: "Set",
          ...EXT01,
          propertyid2: "",
        },
      },
    ]);
    expect(result.warnings).toHaveLength(4);
    expect(result.warnings[0]).toMatch(
      /^netsh binding ipport=\[fe80::1%4\]:443: labels not recognised \(unknown display language\): read by value shape and position; endpoint from "Indirizzo IP:porta"; .*"Disabilita versioni TLS legacy"→disablelegacytls$/,
    );
    expect(result.warnings.slice(1)).toEqual([
      'netsh binding ipport=[fe80::1%4]:443: extended property "Finestra di ricezione" (PropertyId 0) not recognised; read by position as receivewindow',
      'netsh binding ipport=[fe80::1%4]:443: extended property "Impostazioni max per frame" (PropertyId 1) not recognised; read by position as maxsettingsperframe',
      'netsh binding ipport=[fe80::1%4]:443: extended property "Impostazioni max per minuto" (PropertyId 1) not recognised; read by position as maxsettingsperminute',
    ]);
  });

  it("unknown language: a value that does not fit its position is kept as label:", () => {
    const text = ITALIAN_MID.split("\n").slice(0, 13).join("\n").replace("Negozia certificato client   : Disabled", "Negozia certificato client   : Forse");
    const result = parseNetshShowSslcert(text);
    expect(result.bindings).toHaveLength(1);
    const { clientcertnegotiation: _replaced, ...before } = LEGACY13;
    expectSameOrder(result.bindings[0]!.settings, {
      ...before,
      verifyclientcertrevocation: "Disabled",
      "label:Negozia certificato client": "Forse",
    });
    expect(result.warnings[0]).toMatch(/kept as label: "Negozia certificato client"$/);
  });

  it("newest 24-field layout in an unknown language maps the last field to enablecachingclienthello", () => {
    const full = sample("netsh-show-newest-cachingclienthello-propid234-bc.txt")
      .replace(/^ {4}([A-Za-z0-9. ]+?)(\s+):/gm, (_m, label: string, pad: string) => `    X-${label.replace(/ /g, "_")}${pad}:`)
      .replace("<CERTIFICATE-THUMBPRINT>", "a".repeat(40))
      .replace("{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}", IIS)
      .replace(/ Extended Properties:[\s\S]*$/, "");
    const result = parseNetshShowSslcert(full);
    expect(result.bindings).toHaveLength(1);
    expectSameOrder(result.bindings[0]!.settings, { ...FULL, enablecachingclienthello: "Not Set" });
    expect(result.bindings[0]!.certHash).toBe("a".repeat(40));
    expect(result.warnings).toHaveLength(1);
  });
});
