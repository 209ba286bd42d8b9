/**
 * `--new THUMBPRINT|CERTFILE`: a thumbprint as users paste it, or a certificate file read locally
 * (.cer/.crt/.der/.pem, or .pfx/.p12 with the password from an environment variable) for its
 * thumbprint, subject, SANs and validity. The PFX password never leaves this function.
 */
import { createHash, X509Certificate } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { extname } from "node:path";
import forge from "node-forge";
import { InputError } from "../model/errors.js";
import { normalizeThumbprint } from "../model/thumbprint.js";
import type { NewCertificate } from "./target.js";
import { sanDnsNames } from "./names.js";

export interface NewCertificateOptions {
  /** name of the env var holding the PFX password (`--pfx-password-env`). */
  pfxPasswordEnv?: string;
  env?: NodeJS.ProcessEnv;
}

export function resolveNewCertificate(arg: string, options: NewCertificateOptions = {}): NewCertificate {
  const thumb = normalizeThumbprint(arg);
  if (thumb) return { thumbprint: thumb, source: "thumbprint" };
  if (!existsSync(arg)) {
    throw new InputError(`--new: ${JSON.stringify(arg.slice(0, 80))} is neither a SHA-1 thumbprint (40 hex digits) nor a certificate file that exists`, arg, "--new");
  }
  const ext = extname(arg).toLowerCase();
  let bytes: Buffer;
  try {
    bytes = readFileSync(arg);
  } catch (err) {
    // A directory (`--new .`) or an unreadable file is bad input, not an internal error.
    const code = (err as NodeJS.ErrnoException).code ?? "unreadable";
    throw new InputError(`--new: cannot read ${JSON.stringify(arg.slice(0, 80))} as a certificate file (${code})`, arg, "--new");
  }
  const der = ext === ".pfx" || ext === ".p12" ? pfxLeaf(arg, bytes, options) : certificateDer(arg, bytes);
  return describeDer(der);
}

export function describeDer(der: Buffer): NewCertificate {
  const x509 = new X509Certificate(der);
  const dnsNames = sanDnsNames(x509);
  return {
    thumbprint: createHash("sha1").update(der).digest("hex"),
    // Windows prints the subject most-specific first (`CN=..., O=...`); OpenSSL order is the reverse.
    subject: x509.subject.split("\n").reverse().join(", "),
    dnsNames,
    notBefore: new Date(x509.validFrom).toISOString(),
    notAfter: new Date(x509.validTo).toISOString(),
    source: "file",
  };
}

function certificateDer(file: string, bytes: Buffer): Buffer {
  const text = bytes.toString("latin1");
  const pem = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(text);
  try {
    const der = pem ? Buffer.from(pem[1]!.replace(/\s+/g, ""), "base64") : bytes;
    new X509Certificate(der);
    return der;
  } catch {
    throw new InputError(`${file}: not a readable X.509 certificate (PEM or DER)`, file, "--new");
  }
}

function pfxLeaf(file: string, bytes: Buffer, options: NewCertificateOptions): Buffer {
  const env = options.env ?? process.env;
  const password = options.pfxPasswordEnv ? env[options.pfxPasswordEnv] : "";
  if (options.pfxPasswordEnv && password === undefined) {
    throw new InputError(`--pfx-password-env: the environment variable ${options.pfxPasswordEnv} is not set`, file, "--pfx-password-env");
  }
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    const asn1 = forge.asn1.fromDer(forge.util.createBuffer(bytes.toString("binary")));
    p12 = forge.pkcs12.pkcs12FromAsn1(asn1, password ?? "");
  } catch {
    // Never echo the password, nor forge's message (it can quote input).
    throw new InputError(`${file}: cannot open the PKCS#12 file (wrong password, or not a PFX)`, file, "--new");
  }
  const oids = forge.pki.oids as Record<string, string>;
  const bagsOf = (type: string): forge.pkcs12.Bag[] => p12.getBags({ bagType: type })[type] ?? [];
  const bags = bagsOf(oids.certBag!);
  const keyBags = [...bagsOf(oids.pkcs8ShroudedKeyBag!), ...bagsOf(oids.keyBag!)];
  const certs = bags.map((b) => b.cert).filter((c): c is forge.pki.Certificate => c !== undefined);
  if (certs.length === 0) throw new InputError(`${file}: the PKCS#12 file holds no certificate`, file, "--new");
  // The leaf is the certificate whose public key matches the private key; else the one no other certifies.
  const key = keyBags[0]?.key as forge.pki.rsa.PrivateKey | undefined;
  const leaf =
    (key && certs.find((c: forge.pki.Certificate) => (c.publicKey as forge.pki.rsa.PublicKey).n?.equals?.(key.n))) ??
    certs.find((c: forge.pki.Certificate) => !certs.some((o: forge.pki.Certificate) => o !== c && o.issuer.hash === c.subject.hash)) ??
    certs[0]!;
  return Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(leaf)).getBytes(), "binary");
}
