/**
 * Real X.509 material for the simulated fleet, made at run time.
 *
 * RSA key generation is the slow part of any PKI fixture, so one leaf key pair and one CA key pair
 * are generated per process and shared: the simulator cares about certificates (subject, SANs,
 * dates, thumbprints), not about distinct keys. Signing uses node-forge.
 */
import { createHash, generateKeyPairSync, randomBytes } from "node:crypto";
import forge from "node-forge";

export interface SimCertificate {
  certPem: string;
  keyPem: string;
  der: Buffer;
  /** SHA-1 of the DER, 40 lowercase hex digits: what Windows calls the thumbprint. */
  thumbprint: string;
  /** `CN=www.example.com, O=Example` in the order Windows prints it (most specific first). */
  subject: string;
  issuer: string;
  notBefore: Date;
  notAfter: Date;
  dnsNames: string[];
  /** lowercase hex, as certutil prints it */
  serial: string;
}

export interface SimCa {
  name: string;
  cert: SimCertificate;
}

export interface CertificateOptions {
  /** a bare CN (`www.example.com`) or a DN (`CN=www.example.com, O=Example, C=US`) */
  subject: string;
  dnsNames: string[];
  notBefore: Date;
  notAfter: Date;
  issuer?: SimCa;
  /** hex; random when absent */
  serial?: string;
}

interface KeyPair {
  privatePem: string;
  publicPem: string;
}

let leafKeys: KeyPair | undefined;
let caKeys: KeyPair | undefined;

function rsaKeyPair(): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
  });
  return { privatePem: privateKey, publicPem: publicKey };
}

function sharedLeafKeys(): KeyPair {
  leafKeys ??= rsaKeyPair();
  return leafKeys;
}

function sharedCaKeys(): KeyPair {
  caKeys ??= rsaKeyPair();
  return caKeys;
}

const SHORT_NAMES: Record<string, string> = {
  CN: "commonName",
  O: "organizationName",
  OU: "organizationalUnitName",
  C: "countryName",
  L: "localityName",
  S: "stateOrProvinceName",
  ST: "stateOrProvinceName",
  DC: "domainComponent",
  E: "emailAddress",
};

/** `CN=a, O=b` -> forge attributes; a bare name is a CN. */
function parseDn(text: string): forge.pki.CertificateField[] {
  const source = text.includes("=") ? text : `CN=${text}`;
  return source.split(/,\s*/).map((part) => {
    const eq = part.indexOf("=");
    const key = part.slice(0, eq).trim().toUpperCase();
    const value = part.slice(eq + 1).trim();
    const name = SHORT_NAMES[key];
    if (name === "domainComponent") return { type: "0.9.2342.19200300.100.1.25", value };
    return name ? { name, value } : { type: key, value };
  });
}

function dnText(text: string): string {
  return text.includes("=") ? text.split(/,\s*/).join(", ") : `CN=${text}`;
}

function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f; // positive INTEGER without a leading zero byte
  if (bytes[0] === 0) bytes[0] = 0x11;
  return bytes.toString("hex");
}

function sign(opts: {
  subject: string;
  issuerDn: string;
  dnsNames: string[];
  notBefore: Date;
  notAfter: Date;
  serial: string;
  publicPem: string;
  signerPrivatePem: string;
  isCa: boolean;
}): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(opts.publicPem);
  cert.serialNumber = opts.serial;
  cert.validity.notBefore = opts.notBefore;
  cert.validity.notAfter = opts.notAfter;
  // Windows prints a name most-specific first (`CN=..., O=..., C=US`), the reverse of the DER
  // order (`C, O, CN`): encode it the way a real CA does, so a .cer read locally names the same
  // subject that certutil prints on the host.
  cert.setSubject(parseDn(opts.subject).reverse());
  cert.setIssuer(parseDn(opts.issuerDn).reverse());
  const extensions: object[] = [
    { name: "basicConstraints", cA: opts.isCa, critical: opts.isCa },
    opts.isCa
      ? { name: "keyUsage", keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true }
      : { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
  ];
  if (!opts.isCa) extensions.push({ name: "extKeyUsage", serverAuth: true, clientAuth: true });
  if (opts.dnsNames.length > 0) {
    extensions.push({ name: "subjectAltName", altNames: opts.dnsNames.map((value) => ({ type: 2, value })) });
  }
  extensions.push({ name: "subjectKeyIdentifier" });
  cert.setExtensions(extensions);
  cert.sign(forge.pki.privateKeyFromPem(opts.signerPrivatePem), forge.md.sha256.create());
  return cert;
}

function toSim(cert: forge.pki.Certificate, keyPem: string, opts: { subject: string; issuer: string; dnsNames: string[] }): SimCertificate {
  const der = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), "binary");
  return {
    certPem: forge.pki.certificateToPem(cert),
    keyPem,
    der,
    thumbprint: createHash("sha1").update(der).digest("hex"),
    subject: opts.subject,
    issuer: opts.issuer,
    notBefore: cert.validity.notBefore,
    notAfter: cert.validity.notAfter,
    dnsNames: [...opts.dnsNames],
    serial: cert.serialNumber.toLowerCase(),
  };
}

/** A self-signed root CA. */
export function createCa(name: string, validity?: { notBefore?: Date; notAfter?: Date }): SimCa {
  const keys = sharedCaKeys();
  const notBefore = validity?.notBefore ?? new Date(Date.now() - 365 * 86_400_000);
  const notAfter = validity?.notAfter ?? new Date(Date.now() + 10 * 365 * 86_400_000);
  const dn = dnText(name);
  const cert = sign({
    subject: dn,
    issuerDn: dn,
    dnsNames: [],
    notBefore,
    notAfter,
    serial: randomSerial(),
    publicPem: keys.publicPem,
    signerPrivatePem: keys.privatePem,
    isCa: true,
  });
  return { name, cert: toSim(cert, keys.privatePem, { subject: dn, issuer: dn, dnsNames: [] }) };
}

/** A TLS server certificate, signed by `issuer` or self-signed. */
export function createCertificate(opts: CertificateOptions): SimCertificate {
  const keys = sharedLeafKeys();
  const subject = dnText(opts.subject);
  const issuer = opts.issuer ? opts.issuer.cert.subject : subject;
  const cert = sign({
    subject,
    issuerDn: issuer,
    dnsNames: opts.dnsNames,
    notBefore: opts.notBefore,
    notAfter: opts.notAfter,
    serial: opts.serial ?? randomSerial(),
    publicPem: keys.publicPem,
    signerPrivatePem: opts.issuer ? opts.issuer.cert.keyPem : keys.privatePem,
    isCa: false,
  });
  return toSim(cert, keys.privatePem, { subject, issuer, dnsNames: opts.dnsNames });
}

/** PKCS#12 (DER) holding the certificate, its key and the optional chain. */
export function toPfx(cert: SimCertificate, password: string, chain: SimCertificate[] = []): Buffer {
  const p12 = forge.pkcs12.toPkcs12Asn1(
    forge.pki.privateKeyFromPem(cert.keyPem),
    [cert, ...chain].map((c) => forge.pki.certificateFromPem(c.certPem)),
    password,
    { algorithm: "3des", friendlyName: cert.dnsNames[0] ?? cert.subject },
  );
  return Buffer.from(forge.asn1.toDer(p12).getBytes(), "binary");
}

/** A `.cer` file as Windows exports it by default: DER. */
export function toCerFile(cert: SimCertificate): Buffer {
  return Buffer.from(cert.der);
}

export function toPem(cert: SimCertificate): string {
  return cert.certPem;
}
