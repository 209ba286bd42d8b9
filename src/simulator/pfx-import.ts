/**
 * `certutil -importpfx`, `-addstore` and `-delstore` the way Windows runs them, over the host's
 * simulated file system and certificate stores:
 *
 * - `-importpfx [-f] [-p PASSWORD] [My] FILE [NoExport,NoRoot,NoChain,...]` imports into the
 *   LocalMachine store with the machine key set. Builds older than 17763 (2012 R2, 2016) cannot
 *   read a PBES2/AES PFX and answer 0x80070056 "The specified network password is not correct.",
 *   whatever the password (ansible.windows#582, acme.sh#6805, the German Server 2016 sample in
 *   test/fixtures/windows-samples). A wrong password gives the same answer on every build. A PFX
 *   without a key imports its certificate without one. CA certificates in the PFX go where
 *   certutil puts them: self-signed ones to Root, others to CA (unless NoRoot / NoChain). An
 *   existing certificate is replaced (-f); a PFX without a key leaves an existing key in place.
 *   NoExport is recorded on the entry.
 * - `-addstore STORE FILE` adds a .cer (DER or PEM) without a key.
 * - `-delstore STORE THUMBPRINT` removes it (CRYPT_E_NOT_FOUND when absent).
 *
 * Texts: English and German are real (docs/messages.md); French is constructed around the real
 * Win32 message texts. The exit status is the HRESULT, as cmd.exe hands it back.
 *
 * Written independently of src/certificate and src/windows (it only shares node-forge), so that
 * a fault in certfleet's own PFX writer is not mirrored here.
 */
import { createHash, createPrivateKey, X509Certificate } from "node:crypto";
import forge from "node-forge";
import { normalizeWindowsPath, type SimFileSystem } from "./files.js";
import { lines } from "./netsh-text.js";
import type { ProgramResult } from "./netsh.js";
import type { SimCertificate } from "./pki.js";
import { osAtLeast, type SimLanguage, type SimOs, type SimStoreEntry } from "./state.js";

export interface CertutilDeliveryHost {
  os: SimOs;
  language: SimLanguage;
  elevated: boolean;
  files: SimFileSystem;
  certificates: SimStoreEntry[];
  /** the import "succeeds" without the key (a fault) */
  importDropsKey?: boolean;
}

const PBES2 = "1.2.840.113549.1.5.13";

interface Failure {
  hresult: number;
  symbol: string;
  text: Record<SimLanguage, string>;
}

const INVALID_PASSWORD: Failure = {
  hresult: 0x80070056,
  symbol: "WIN32: 86 ERROR_INVALID_PASSWORD",
  text: { en: "The specified network password is not correct.", de: "Das angegebene Netzwerkkennwort ist falsch.", fr: "Le mot de passe réseau spécifié est incorrect." },
};
const ACCESS_DENIED: Failure = {
  hresult: 0x80070005,
  symbol: "WIN32: 5 ERROR_ACCESS_DENIED",
  text: { en: "Access is denied.", de: "Zugriff verweigert", fr: "Accès refusé." },
};
const FILE_NOT_FOUND: Failure = {
  hresult: 0x80070002,
  symbol: "WIN32: 2 ERROR_FILE_NOT_FOUND",
  text: { en: "The system cannot find the file specified.", de: "Das System kann die angegebene Datei nicht finden.", fr: "Le fichier spécifié est introuvable." },
};
const NOT_FOUND: Failure = {
  hresult: 0x80092004,
  symbol: "-2146885628 CRYPT_E_NOT_FOUND",
  text: { en: "Cannot find object or property.", de: "Objekt oder Eigenschaft wurde nicht gefunden.", fr: "Impossible de trouver l'objet ou la propriété." },
};
const BAD_DATA: Failure = {
  hresult: 0x8009310b,
  symbol: "-2146881269 CRYPT_E_ASN1_BADTAG",
  text: { en: "ASN1 bad tag value met.", de: "Ungültiger ASN1-Tagwert.", fr: "Valeur de balise ASN1 incorrecte." },
};

const VERB_NAME: Record<string, string> = { importpfx: "-importPFX", addstore: "-addstore", delstore: "-delstore", decode: "-decode" };
const FILE_EXISTS: Failure = {
  hresult: 0x80070050,
  symbol: "WIN32: 80 ERROR_FILE_EXISTS",
  text: { en: "The file exists.", de: "Die Datei ist vorhanden.", fr: "Le fichier existe." },
};
const BAD_BASE64: Failure = {
  hresult: 0x80090005,
  symbol: "-2146893819 NTE_BAD_DATA",
  text: { en: "Bad Data.", de: "Ungültige Daten.", fr: "Données incorrectes." },
};

function failed(lang: SimLanguage, verb: string, f: Failure): ProgramResult {
  const hr = `0x${f.hresult.toString(16)} (${f.symbol})`;
  const first = {
    en: `CertUtil: ${verb} command FAILED: ${hr}`,
    de: `CertUtil: ${verb}-Befehl ist fehlgeschlagen: ${hr}`,
    fr: `CertUtil: ${verb} La commande a échoué : ${hr}`,
  }[lang];
  return { stdout: lines(first, `CertUtil: ${f.text[lang]}`), stderr: "", code: f.hresult >>> 0 };
}

function completed(lang: SimLanguage, verb: string, before: string[]): ProgramResult {
  const last = {
    en: `CertUtil: ${verb} command completed successfully.`,
    de: `CertUtil: ${verb}-Befehl wurde erfolgreich ausgeführt.`,
    fr: `CertUtil: ${verb} La commande s'est terminée correctement.`,
  }[lang];
  return { stdout: lines(...before, ...(before.length > 0 ? [""] : []), last), stderr: "", code: 0 };
}

const ADDED: Record<SimLanguage, (n: string) => string> = {
  en: (n) => `Certificate "${n}" added to store.`,
  de: (n) => `Das Zertifikat "${n}" wurde dem Speicher hinzugefügt.`,
  fr: (n) => `Le certificat « ${n} » a été ajouté au magasin.`,
};
const ALREADY: Record<SimLanguage, (n: string) => string> = {
  en: (n) => `Certificate "${n}" already in store.`,
  de: (n) => `Das Zertifikat "${n}" befindet sich bereits im Speicher.`,
  fr: (n) => `Le certificat « ${n} » est déjà dans le magasin.`,
};

/** Every OID in a DER structure, descending into OCTET STRINGs that hold DER. */
function oidsIn(der: string): Set<string> {
  const out = new Set<string>();
  const walk = (node: forge.asn1.Asn1, depth: number) => {
    if (depth > 40) return;
    if (node.type === forge.asn1.Type.OID && typeof node.value === "string") out.add(forge.asn1.derToOid(node.value));
    if (Array.isArray(node.value)) for (const c of node.value) walk(c, depth + 1);
    else if (node.type === forge.asn1.Type.OCTETSTRING && typeof node.value === "string" && node.value.length > 1) {
      try {
        walk(forge.asn1.fromDer(node.value), depth + 1);
      } catch {
        /* raw bytes */
      }
    }
  };
  walk(forge.asn1.fromDer(der), 0);
  return out;
}

type Opened = { kind: "ok"; certs: Buffer[]; keys: Buffer[] } | { kind: "bad-password" } | { kind: "bad-data" };

function openPfx(bytes: Buffer, password: string, os: SimOs): Opened {
  const binary = bytes.toString("binary");
  let asn1: forge.asn1.Asn1;
  try {
    asn1 = forge.asn1.fromDer(binary);
  } catch {
    return { kind: "bad-data" };
  }
  // Server 2016 and older: PFXImportCertStore cannot decrypt PBES2 and reports a bad password.
  if (!osAtLeast(os, "2022") && oidsIn(binary).has(PBES2)) return { kind: "bad-password" };
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    p12 = forge.pkcs12.pkcs12FromAsn1(asn1, password);
  } catch {
    return { kind: "bad-password" };
  }
  const certs: Buffer[] = [];
  const keys: Buffer[] = [];
  for (const safe of p12.safeContents) {
    for (const bag of safe.safeBags) {
      const raw = (bag as { asn1?: forge.asn1.Asn1 }).asn1;
      if (bag.type === forge.pki.oids.certBag) {
        const a = bag.cert ? forge.pki.certificateToAsn1(bag.cert) : raw;
        if (a) certs.push(Buffer.from(forge.asn1.toDer(a).getBytes(), "binary"));
      } else {
        const a = bag.key ? forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(bag.key)) : raw;
        if (a) keys.push(Buffer.from(forge.asn1.toDer(a).getBytes(), "binary"));
      }
    }
  }
  return { kind: "ok", certs, keys };
}

/** A SimCertificate from DER (and the key PEM when there is one), names in Windows order. */
export function simCertificateFromDer(der: Buffer, keyPem = ""): SimCertificate {
  const x = new X509Certificate(der);
  const windowsName = (dn: string) => dn.split("\n").reverse().join(", ");
  return {
    certPem: x.toString(),
    keyPem,
    der: Buffer.from(der),
    thumbprint: createHash("sha1").update(der).digest("hex"),
    subject: windowsName(x.subject),
    issuer: windowsName(x.issuer),
    notBefore: new Date(x.validFrom),
    notAfter: new Date(x.validTo),
    dnsNames: (x.subjectAltName ?? "")
      .split(/,\s*/)
      .filter((s) => s.startsWith("DNS:"))
      .map((s) => s.slice(4)),
    serial: x.serialNumber.toLowerCase(),
  };
}

const displayName = (c: SimCertificate): string => /CN=([^,]+)/.exec(c.subject)?.[1] ?? c.subject;

interface Parsed {
  verb: string | undefined;
  force: boolean;
  password: string;
  rest: string[];
}

function parseArgs(argv: string[]): Parsed {
  const out: Parsed = { verb: undefined, force: false, password: "", rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const flag = /^[-/](.+)$/.exec(a)?.[1]?.toLowerCase();
    if (out.verb === undefined && flag === "f") out.force = true;
    else if (out.verb === undefined && flag === "p") out.password = argv[++i] ?? "";
    else if (out.verb === undefined && (flag === "user" || flag === "enterprise")) continue;
    else if (out.verb === undefined && flag !== undefined && ["importpfx", "addstore", "delstore", "store", "decode"].includes(flag)) out.verb = flag;
    else out.rest.push(a);
  }
  return out;
}

function putEntry(host: CertutilDeliveryHost, entry: SimStoreEntry): "added" | "replaced" {
  const i = host.certificates.findIndex((e) => e.store.toLowerCase() === entry.store.toLowerCase() && e.cert.thumbprint === entry.cert.thumbprint);
  if (i < 0) {
    host.certificates.push(entry);
    return "added";
  }
  const old = host.certificates[i]!;
  // A PFX without a key does not take away a key the store already has for this certificate.
  host.certificates[i] = entry.hasPrivateKey ? entry : { ...entry, cert: { ...entry.cert, keyPem: old.cert.keyPem }, hasPrivateKey: old.hasPrivateKey, ...(old.exportable !== undefined ? { exportable: old.exportable } : {}) };
  return "replaced";
}

function importPfx(host: CertutilDeliveryHost, p: Parsed): ProgramResult {
  const verb = VERB_NAME.importpfx!;
  const lang = host.language;
  // `-importpfx [STORE] FILE [OPTIONS]`: the store is optional (My by default).
  const args = [...p.rest];
  const store = args.length >= 2 && !/[\\/.]/.test(args[0]!) ? args.shift()! : "My";
  const file = args.shift();
  const options = new Set((args.shift() ?? "").split(",").map((o) => o.trim().toLowerCase()).filter(Boolean));
  if (!host.elevated) return failed(lang, verb, ACCESS_DENIED);
  const path = file === undefined ? null : normalizeWindowsPath(file);
  const bytes = path === null ? undefined : host.files.readFile(path);
  if (bytes === undefined) return failed(lang, verb, FILE_NOT_FOUND);
  const opened = openPfx(bytes, p.password, host.os);
  if (opened.kind === "bad-password") return failed(lang, verb, INVALID_PASSWORD);
  if (opened.kind === "bad-data") return failed(lang, verb, BAD_DATA);

  const certs = opened.certs.map((der) => new X509Certificate(der));
  const key = opened.keys[0] === undefined ? undefined : createPrivateKey({ key: opened.keys[0], format: "der", type: "pkcs8" });
  const leaf = (key && certs.find((c) => c.checkPrivateKey(key))) ?? certs.find((c) => !c.ca) ?? certs[0];
  const said: string[] = [];
  for (const c of certs) {
    const isLeaf = c === leaf;
    const selfSigned = c.checkIssued(c);
    const target = isLeaf ? store : selfSigned ? "Root" : "CA";
    if (!isLeaf && ((target === "Root" && options.has("noroot")) || options.has("nochain"))) continue;
    const withKey = isLeaf && key !== undefined && c.checkPrivateKey(key) && !host.importDropsKey;
    const sim = simCertificateFromDer(Buffer.from(c.raw), withKey ? key!.export({ type: "pkcs8", format: "pem" }).toString() : "");
    const entry: SimStoreEntry = {
      cert: sim,
      hasPrivateKey: withKey,
      store: target,
      ...(withKey ? { exportable: !options.has("noexport") } : {}),
    };
    const how = putEntry(host, entry);
    said.push((how === "added" ? ADDED : ALREADY)[lang](displayName(sim)));
  }
  return completed(lang, verb, said);
}

function addStore(host: CertutilDeliveryHost, p: Parsed): ProgramResult {
  const verb = VERB_NAME.addstore!;
  const [store, file] = p.rest;
  if (!host.elevated) return failed(host.language, verb, ACCESS_DENIED);
  const path = file === undefined ? null : normalizeWindowsPath(file);
  const bytes = path === null ? undefined : host.files.readFile(path);
  if (bytes === undefined || store === undefined) return failed(host.language, verb, FILE_NOT_FOUND);
  const pem = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(bytes.toString("latin1"));
  let sim: SimCertificate;
  try {
    sim = simCertificateFromDer(pem ? Buffer.from(pem[1]!.replace(/\s+/g, ""), "base64") : bytes);
  } catch {
    return failed(host.language, verb, BAD_DATA);
  }
  const how = putEntry(host, { cert: sim, hasPrivateKey: false, store });
  return completed(host.language, verb, [(how === "added" ? ADDED : ALREADY)[host.language](displayName(sim))]);
}

/**
 * `certutil [-f] -decode in out`: base64 text (with or without a `-----BEGIN ...-----` header)
 * to bytes; without -f an existing output file is refused. Prints both lengths, as Windows does.
 */
function decode(host: CertutilDeliveryHost, p: Parsed): ProgramResult {
  const verb = VERB_NAME.decode!;
  const [input, output] = p.rest.map((a) => normalizeWindowsPath(a));
  const text = input ? host.files.readFile(input) : undefined;
  if (!input || !output || text === undefined) return failed(host.language, verb, FILE_NOT_FOUND);
  if (!host.elevated && (host.files.adminOnly(input) || host.files.adminOnly(output))) return failed(host.language, verb, ACCESS_DENIED);
  if (host.files.exists(output) && !p.force) return failed(host.language, verb, FILE_EXISTS);
  const body = text.toString("latin1").replace(/-----(BEGIN|END) [^-]*-----/g, "").replace(/\s+/g, "");
  if (body === "" || !/^[A-Za-z0-9+/]*={0,2}$/.test(body) || body.length % 4 === 1) return failed(host.language, verb, BAD_BASE64);
  const bytes = Buffer.from(body, "base64");
  if (!host.files.writeFile(output, bytes)) return failed(host.language, verb, FILE_NOT_FOUND);
  const done = completed(host.language, verb, []);
  return { ...done, stdout: lines(`Input Length = ${text.length}`, `Output Length = ${bytes.length}`) + done.stdout };
}

function delStore(host: CertutilDeliveryHost, p: Parsed): ProgramResult {
  const verb = VERB_NAME.delstore!;
  const [store, id] = p.rest;
  if (!host.elevated) return failed(host.language, verb, ACCESS_DENIED);
  const wanted = (id ?? "").toLowerCase().replace(/\s/g, "");
  const matches = host.certificates.filter(
    (e) => e.store.toLowerCase() === (store ?? "").toLowerCase() && (e.cert.thumbprint === wanted || e.cert.serial === wanted),
  );
  if (matches.length === 0) return failed(host.language, verb, NOT_FOUND);
  host.certificates = host.certificates.filter((e) => !matches.includes(e));
  return completed(
    host.language,
    verb,
    matches.map((_, i) => ({ en: `Deleting Certificate ${i}`, de: `Zertifikat ${i} wird gelöscht`, fr: `Suppression du certificat ${i}` })[host.language]),
  );
}

/** The delivery verbs of certutil; null for any other verb (`-store` stays where it was). */
export function runCertutilDelivery(host: CertutilDeliveryHost, argv: string[]): ProgramResult | null {
  const p = parseArgs(argv);
  switch (p.verb) {
    case "importpfx":
      return importPfx(host, p);
    case "addstore":
      return addStore(host, p);
    case "delstore":
      return delStore(host, p);
    case "decode":
      return decode(host, p);
    default:
      return null;
  }
}
