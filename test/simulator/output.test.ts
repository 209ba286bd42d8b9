import { readFileSync } from "node:fs";
import iconv from "iconv-lite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFleet, type SimFleet } from "../../src/simulator/index.js";
import { hostSpec, testCerts } from "./fixture.js";
import { closeConnections, run } from "./helpers.js";

const SAMPLES = new URL("../fixtures/windows-samples/", import.meta.url);
const sample = (name: string): string[] => readFileSync(new URL(name, SAMPLES), "utf8").split("\n");

const DISCOVER_CMD =
  "echo ==CF:whoami== & whoami /groups & echo ==CF:certutil== & certutil -store My & echo ==CF:netsh== & netsh http show sslcert & echo ==CF:end==";
const DISCOVER_PS =
  "echo '==CF:whoami=='; whoami /groups; echo '==CF:certutil=='; certutil -store My; echo '==CF:netsh=='; netsh http show sslcert; echo '==CF:end=='";

/** `    Label      : value` -> `    Label      : ` (a label may itself contain `:`). */
const labelOf = (line: string): string => line.slice(0, line.lastIndexOf(":") + 1);

/** Label lines of the first binding block of a `netsh http show sslcert` text. */
function firstBlockLabels(text: string): string[] {
  const ls = text.split("\r\n");
  const start = ls.findIndex((l) => /^ {4}\S/.test(l));
  const end = ls.findIndex((l, i) => i > start && l === "");
  return ls.slice(start, end).map(labelOf);
}

let fleet: SimFleet;

beforeAll(async () => {
  fleet = await startFleet([
    hostSpec("en12", { os: "2012r2", language: "en", shell: "cmd" }),
    hostSpec("en16", { os: "2016", language: "en", shell: "cmd" }),
    hostSpec("en22ps", { os: "2022", language: "en", shell: "powershell" }),
    hostSpec("en25", { os: "2025", language: "en", shell: "cmd" }),
    hostSpec("fr12", { os: "2012r2", language: "fr", shell: "cmd" }, { bindings: [] }),
    hostSpec("fr22", { os: "2022", language: "fr", shell: "cmd" }),
    hostSpec("de25ps", { os: "2025", language: "de", shell: "powershell" }),
    hostSpec("medium", { os: "2022", language: "en", shell: "cmd", elevated: false }),
  ]);
  const fr12 = fleet.host("fr12");
  // the binding of the real fr-FR fixture: store name MY
  await fr12.putBinding({ kind: "ipport", endpoint: "0.0.0.0:44300", certHash: testCerts().oldCert.thumbprint, appId: "{214124cd-d05b-4309-9af9-9caa44b2b74a}", storeName: "MY" });
});

afterAll(async () => {
  await closeConnections();
  await fleet.stop();
});

describe("shell probe", () => {
  it("cmd.exe expands %COMSPEC%", async () => {
    const r = await run(fleet, fleet.host("en12"), "echo CFSHELL=%COMSPEC%");
    expect(r.stdout.toString()).toBe("CFSHELL=C:\\Windows\\system32\\cmd.exe\r\n");
    expect(r.code).toBe(0);
  });

  it("PowerShell prints the text unexpanded", async () => {
    const r = await run(fleet, fleet.host("en22ps"), "echo CFSHELL=%COMSPEC%");
    expect(r.stdout.toString()).toBe("CFSHELL=%COMSPEC%\r\n");
    expect(r.code).toBe(0);
  });
});

describe("discover output", () => {
  it("is CRLF throughout, with the markers in order, under both shells", async () => {
    for (const [name, cmd] of [["en16", DISCOVER_CMD], ["en22ps", DISCOVER_PS]] as const) {
      const r = await run(fleet, fleet.host(name), cmd);
      const text = r.stdout.toString("latin1");
      expect(text).not.toMatch(/[^\r]\n/);
      const markers = [...text.matchAll(/==CF:(\w+)==/g)].map((m) => m[1]);
      expect(markers).toEqual(["whoami", "certutil", "netsh", "end"]);
      expect(text).toContain("S-1-16-12288");
      expect(text).toContain("CertUtil: -store command completed successfully.");
      expect(r.code).toBe(0);
    }
  });

  it("cmd's echo keeps the space before `&`, PowerShell's does not", async () => {
    const cmd = (await run(fleet, fleet.host("en16"), DISCOVER_CMD)).stdout.toString();
    const ps = (await run(fleet, fleet.host("en22ps"), DISCOVER_PS)).stdout.toString();
    expect(cmd.startsWith("==CF:whoami== \r\n")).toBe(true);
    expect(ps.startsWith("==CF:whoami==\r\n")).toBe(true);
  });

  it("French output is OEM 850 and carries the real fr-FR label lines", async () => {
    const r = await run(fleet, fleet.host("fr12"), "netsh http show sslcert");
    expect(r.stdout.includes(Buffer.from("é", "utf8"))).toBe(false);
    expect(r.stdout.includes(0x82)).toBe(true); // é in code page 850
    const text = iconv.decode(r.stdout, "cp850");
    const ours = text.split("\r\n");
    for (const line of sample("netsh-show-fr-FR-iisexpress-fixture-partial.txt").filter((l) => l.includes(":"))) {
      if (line.startsWith("    ")) expect(ours.some((o) => o.startsWith(labelOf(line)))).toBe(true);
      else expect(ours).toContain(line); // header
    }
    expect(ours).toContain("    Nom du magasin de certificats :       : MY");
    expect(ours).toContain("    Adresse IP:port                      : 0.0.0.0:44300");
  });

  it("French 2022 labels follow the real lab block, ragged columns included", async () => {
    const text = iconv.decode((await run(fleet, fleet.host("fr22"), "netsh http show sslcert ipport=0.0.0.0:443")).stdout, "cp850");
    expect(text).toContain("\r\n    Désactiver HTTP2 :Not Set\r\n");
    expect(text).toContain("\r\n    Refuser les connexions : Disabled\r\n");
    expect(text).toContain("\r\n Propriétés étendues :\r\n    PropertyId                   : 1\r\n");
    expect(text).toContain("\r\n    Vérifier la révocation des certificats clients : Enabled\r\n");
  });

  it("German output is OEM 850 with the real German label lines", async () => {
    const r = await run(fleet, fleet.host("de25ps"), DISCOVER_PS);
    const text = iconv.decode(r.stdout, "cp850");
    expect(r.stdout.includes(0x81)).toBe(true); // ü in code page 850
    const real = sample("netsh-show-de-DE-verbose-prefixed-partial-scriptrunner.txt")
      .filter((l) => l.startsWith("AUSFÜHRLICH: "))
      .map((l) => l.slice("AUSFÜHRLICH: ".length));
    const ours = text.split("\r\n");
    expect(ours).toContain(real[2]); // SSL-Zertifikatbindungen:
    expect(ours).toContain(real[3]); // dashes
    for (const line of real.filter((l) => l.startsWith("    "))) {
      expect(ours.some((o) => o.startsWith(labelOf(line)))).toBe(true);
    }
    expect(text).toContain("Zertifikathash(sha1): ");
    expect(text).toContain('My "Eigene Zertifikate"');
  });
});

describe("netsh field sets per Windows generation", () => {
  const cases = [
    ["en12", "netsh-show-legacy13-null-store-watson.txt"],
    ["en16", "netsh-show-2016-reject-http2-null-store-citrix.txt"],
    ["en22ps", "netsh-show-modern-extprops-ipport-nbstrat.txt"],
  ] as const;
  for (const [host, file] of cases) {
    it(`${host} prints the label lines of ${file}`, async () => {
      const text = (await run(fleet, fleet.host(host), "netsh http show sslcert ipport=0.0.0.0:443")).stdout.toString();
      const real = sample(file).filter((l) => l.includes(":")).map((l) => labelOf(l.startsWith("IP:") ? `    ${l}` : l));
      const realBlock = real.filter((l) => l.startsWith("    ") || l.startsWith(" Ext"));
      expect(firstBlockLabels(text)).toEqual(realBlock);
    });
  }

  it("2025 adds Enable Caching Client Hello, Disable Session ID and PropertyId 2-4", async () => {
    const text = (await run(fleet, fleet.host("en25"), "netsh http show sslcert ipport=0.0.0.0:443")).stdout.toString();
    const real = sample("netsh-show-newest-cachingclienthello-propid234-bc.txt")
      .filter((l) => l.startsWith("    ") || l.startsWith(" Ext"))
      .map(labelOf);
    const ours = firstBlockLabels(text);
    expect(ours.filter((l) => !l.includes("Disable Session ID"))).toEqual(real);
    expect(ours).toContain("    Disable Session ID           :");
  });

  it("starts with an empty line, header and dashes; (null) store name", async () => {
    const text = (await run(fleet, fleet.host("en12"), "netsh http show sslcert")).stdout.toString();
    expect(text.startsWith("\r\nSSL Certificate bindings:\r\n-------------------------\r\n\r\n    IP:port                      : 0.0.0.0:443\r\n")).toBe(true);
    expect(text).toContain("    Certificate Store Name       : (null)\r\n");
    expect(text).toContain("    Hostname:port                : www.example.com:443\r\n");
    expect(text.endsWith("\r\n\r\n")).toBe(true);
  });
});

describe("certutil -store My", () => {
  it("spaces the hash on 2012 R2 and not on newer Windows; en-US dates", async () => {
    const { oldCert } = testCerts();
    const spaced = oldCert.thumbprint.match(/../g)?.join(" ");
    const old = (await run(fleet, fleet.host("en12"), "certutil -store My")).stdout.toString();
    const modern = (await run(fleet, fleet.host("en16"), "certutil -store My")).stdout.toString();
    expect(old).toContain(`Cert Hash(sha1): ${spaced}\r\n`);
    expect(modern).toContain(`Cert Hash(sha1): ${oldCert.thumbprint}\r\n`);
    expect(modern).toMatch(/\r\n NotBefore: \d{1,2}\/\d{1,2}\/\d{4} \d{1,2}:\d{2} [AP]M\r\n/);
    expect(modern).toContain(" NotAfter: 1/20/2026 9:05 AM\r\n");
    expect(modern.startsWith('My "Personal"\r\n================ Certificate 0 ================\r\n')).toBe(true);
    expect(modern.endsWith("CertUtil: -store command completed successfully.\r\n")).toBe(true);
  });

  it("marks the certificate without a key with Missing stored keyset", async () => {
    const { noKeyCert, newCert } = testCerts();
    const text = (await run(fleet, fleet.host("en16"), "certutil -store My")).stdout.toString();
    const blocks = text.split(/={16} Certificate \d+ ={16}/);
    const noKey = blocks.find((b) => b.includes(noKeyCert.thumbprint)) ?? "";
    const withKey = blocks.find((b) => b.includes(newCert.thumbprint)) ?? "";
    expect(noKey).toContain("\r\nMissing stored keyset\r\n");
    expect(withKey).toContain("\r\nEncryption test passed\r\n");
    expect(withKey).toContain("\r\nTemplate: WebServer, Web Server\r\n");
  });

  it("French and German use the regional date format and localized labels", async () => {
    const fr = iconv.decode((await run(fleet, fleet.host("fr12"), "certutil -store My")).stdout, "cp850");
    expect(fr).toContain("\r\n NotAfter : 20/01/2026 09:05\r\n");
    expect(fr).toMatch(/\r\nHach\. cert\. \(sha1\) : ([0-9a-f]{2} ){19}[0-9a-f]{2}\r\n/);
    expect(fr).toContain("================ Certificat 0 ================");
    const de = iconv.decode((await run(fleet, fleet.host("de25ps"), "certutil -store My")).stdout, "cp850");
    expect(de).toContain("\r\n Nicht nach: 20.01.2026 09:05\r\n");
  });
});

describe("whoami /groups", () => {
  it("shows High Mandatory Level when elevated and Medium when not", async () => {
    const high = (await run(fleet, fleet.host("en16"), "whoami /groups")).stdout.toString();
    const medium = (await run(fleet, fleet.host("medium"), "whoami /groups")).stdout.toString();
    expect(high).toMatch(/\r\nMandatory Label\\High Mandatory Level +Label +S-1-16-12288 *\r\n/);
    expect(medium).toMatch(/\r\nMandatory Label\\Medium Mandatory Level +Label +S-1-16-8192 *\r\n/);
    expect(medium).not.toContain("S-1-16-12288");
    expect(high).toContain("\r\nGROUP INFORMATION\r\n-----------------\r\n");
  });

  it("keeps the SID whatever the language", async () => {
    const de = iconv.decode((await run(fleet, fleet.host("de25ps"), "whoami /groups")).stdout, "cp850");
    expect(de).toMatch(/Verbindliche Beschriftung\\Hohe Verbindlichkeitsstufe +\S+ +S-1-16-12288/);
  });
});

describe("unknown commands", () => {
  it("cmd.exe: not recognized, errorlevel 9009, on stderr", async () => {
    const r = await run(fleet, fleet.host("en16"), "frobnicate /x");
    expect(r.stderr.toString()).toBe("'frobnicate' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n");
    expect(r.code).toBe(9009);
  });

  it("PowerShell: CommandNotFoundException, exit 1", async () => {
    const r = await run(fleet, fleet.host("en22ps"), "frobnicate /x");
    expect(r.stderr.toString()).toContain("frobnicate : The term 'frobnicate' is not recognized as the name of a cmdlet");
    expect(r.stderr.toString()).toContain("CommandNotFoundException");
    expect(r.code).toBe(1);
  });
});
