/**
 * Reading the operator's PFX on the controller, before any host is contacted: the certificate, its
 * private key and its chain, with every reason to refuse it as an InputError (exit 2) that names
 * the file and the problem. `readPfx` is pure (bytes, password and "now" in); `readPfxFile` and
 * `pfxPasswordFromEnv` are the edges.
 *
 * node-forge opens the PKCS#12 container (MAC check, PBES1 3DES/RC2 and PBES2 AES); node:crypto
 * judges what is inside (key type and size, which certificate the key belongs to, CA flags,
 * validity), because forge only understands RSA keys and certificates.
 *
 * No message built here contains the password, the key or forge's own error text (which can quote
 * input).
 */
import { createPrivateKey, X509Certificate, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import forge from "node-forge";
import { InputError } from "../model/errors.js";
import type { NewCertificate } from "./target.js";
import { describeDer } from "./read-file.js";
import { keyProblem, type KeyDescription } from "./key-policy.js";
import { Secret } from "../model/secret.js";

export interface ChainCertificate {
  der: Buffer;
  thumbprint: string;
  subject: string;
}

export interface PfxContents {
  file: string;
  /** the end-entity certificate the key belongs to (public: DER, thumbprint, names, validity). */
  leaf: { der: Buffer; certificate: NewCertificate };
  /** the private key as PKCS#8 DER. */
  key: Secret<Buffer>;
  keyDescription: KeyDescription;
  /** issuing CAs from the leaf upwards, self-signed roots left out: these go to the `CA` store. */
  intermediates: ChainCertificate[];
  /** certificates in the file that certfleet will not install (roots, CAs outside the chain), and why. */
  ignored: Array<ChainCertificate & { reason: string }>;
}

const FLAG = "--new";

function refuse(file: string, problem: string): InputError {
  return new InputError(`${file}: ${problem}`, file, FLAG);
}

/** The PFX password from `--pfx-password-env NAME`. The value is never put into a message. */
export function pfxPasswordFromEnv(name: string, env: NodeJS.ProcessEnv = process.env): Secret<string> {
  const value = env[name];
  if (value === undefined) {
    throw new InputError(`--pfx-password-env: the environment variable ${name} is not set`, undefined, "--pfx-password-env");
  }
  return new Secret(value);
}

export function readPfxFile(file: string, password: Secret<string>, now: Date = new Date()): PfxContents {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "unreadable";
    throw refuse(file, `cannot read the file (${code})`);
  }
  return readPfx(file, bytes, password, now);
}

interface Opened {
  certs: Buffer[];
  keys: Buffer[];
}

function openContainer(file: string, bytes: Buffer, password: Secret<string>): Opened {
  let asn1: forge.asn1.Asn1;
  try {
    asn1 = forge.asn1.fromDer(forge.util.createBuffer(bytes.toString("binary")));
  } catch {
    throw refuse(file, "not a PKCS#12 (.pfx/.p12) file");
  }
  let p12: forge.pkcs12.Pkcs12Pfx;
  const pass = password.reveal();
  try {
    p12 = forge.pkcs12.pkcs12FromAsn1(asn1, pass);
  } catch (err) {
    const text = err instanceof Error ? err.message : "";
    if (/MAC could not be verified|wrong password|Invalid password/i.test(text)) {
      throw refuse(file, "wrong password (the file's integrity check failed with the password given)");
    }
    // A non-ASCII password: the MAC and PKCS#12 PBE take it as BMPString, PBES2 (AES) as UTF-8
    // bytes (RFC 8018, OpenSSL), and forge passes one form to both. The MAC was right with the
    // text form, so decrypt with the UTF-8 form, the MAC already checked.
    const retried = /[^\x00-\x7f]/.test(pass) && macVerifies(asn1, pass) ? withoutMac(asn1, forge.util.encodeUtf8(pass)) : null;
    if (retried === null) {
      // Never forge's text: it can quote bytes of the input.
      throw refuse(file, "cannot open the PKCS#12 file (wrong password, or an encryption certfleet cannot read)");
    }
    p12 = retried;
  }
  const certs: Buffer[] = [];
  const keys: Buffer[] = [];
  for (const safe of p12.safeContents) {
    for (const bag of safe.safeBags) {
      const raw = bag as forge.pkcs12.Bag & { asn1?: forge.asn1.Asn1 };
      if (bag.type === forge.pki.oids.certBag) {
        const a = bag.cert ? forge.pki.certificateToAsn1(bag.cert) : raw.asn1;
        if (a) certs.push(Buffer.from(forge.asn1.toDer(a).getBytes(), "binary"));
      } else if (bag.type === forge.pki.oids.keyBag || bag.type === forge.pki.oids.pkcs8ShroudedKeyBag) {
        const a = bag.key ? forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(bag.key)) : raw.asn1;
        if (a) keys.push(Buffer.from(forge.asn1.toDer(a).getBytes(), "binary"));
      }
    }
  }
  return { certs, keys };
}

const MAC_DIGESTS: Record<string, [() => forge.md.MessageDigest, "sha1" | "sha256" | "sha384" | "sha512", number]> = {
  [forge.pki.oids.sha1!]: [() => forge.md.sha1.create(), "sha1", 20],
  [forge.pki.oids.sha256!]: [() => forge.md.sha256.create(), "sha256", 32],
  [forge.pki.oids.sha384!]: [() => forge.md.sha384.create(), "sha384", 48],
  [forge.pki.oids.sha512!]: [() => forge.md.sha512.create(), "sha512", 64],
};

/** Checks the PFX MAC (PKCS#12 key derivation, password as BMPString) for a primitive authSafe. */
function macVerifies(pfx: forge.asn1.Asn1, password: string): boolean {
  try {
    const [, authSafe, macData] = pfx.value as forge.asn1.Asn1[];
    const content = ((authSafe!.value as forge.asn1.Asn1[])[1]!.value as forge.asn1.Asn1[])[0]!;
    if (typeof content.value !== "string" || macData === undefined) return false;
    const [digestInfo, salt, iterations] = macData.value as forge.asn1.Asn1[];
    const [algId, digest] = digestInfo!.value as forge.asn1.Asn1[];
    const oid = forge.asn1.derToOid((algId!.value as forge.asn1.Asn1[])[0]!.value as string);
    const md = MAC_DIGESTS[oid];
    if (!md) return false;
    const count = iterations ? parseInt(forge.util.bytesToHex(iterations.value as string), 16) : 1;
    const key = forge.pkcs12.generateKey(password, forge.util.createBuffer(salt!.value as string), 3, count, md[2], md[0]());
    const hmac = forge.hmac.create();
    hmac.start(md[1], key);
    hmac.update(content.value);
    return hmac.digest().getBytes() === digest!.value;
  } catch {
    return false;
  }
}

function withoutMac(pfx: forge.asn1.Asn1, password: string): forge.pkcs12.Pkcs12Pfx | null {
  try {
    const [version, authSafe] = pfx.value as forge.asn1.Asn1[];
    const bare = forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.SEQUENCE, true, [version!, authSafe!]);
    return forge.pkcs12.pkcs12FromAsn1(bare, password);
  } catch {
    return null;
  }
}

export function keyDescriptionOf(key: KeyObject): KeyDescription {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === "rsa") return { algorithm: "rsa", bits: details.modulusLength ?? 0 };
  if (key.asymmetricKeyType === "ec") return { algorithm: "ec", curve: details.namedCurve ?? "unknown" };
  return { algorithm: "other", name: key.asymmetricKeyType ?? "unknown" };
}

const isSelfSigned = (c: X509Certificate): boolean => c.checkIssued(c) && c.verify(c.publicKey);

function chainEntry(x: X509Certificate): ChainCertificate {
  const d = describeDer(Buffer.from(x.raw));
  return { der: Buffer.from(x.raw), thumbprint: d.thumbprint, subject: d.subject ?? "" };
}

export function readPfx(file: string, bytes: Buffer, password: Secret<string>, now: Date): PfxContents {
  const { certs: certDers, keys: keyDers } = openContainer(file, bytes, password);

  const certs: X509Certificate[] = [];
  for (const der of certDers) {
    try {
      certs.push(new X509Certificate(der));
    } catch {
      throw refuse(file, "holds a certificate that is not readable X.509");
    }
  }
  if (certs.length === 0) throw refuse(file, "holds no certificate");
  if (keyDers.length === 0) throw refuse(file, "holds no private key; certfleet needs the certificate with its key (export it again with the private key)");
  if (keyDers.length > 1) throw refuse(file, `holds ${keyDers.length} private keys; certfleet delivers one certificate with its key`);

  let key: KeyObject;
  try {
    key = createPrivateKey({ key: keyDers[0]!, format: "der", type: "pkcs8" });
  } catch {
    throw refuse(file, "holds a private key certfleet cannot read");
  }

  const leaves = certs.filter((c) => !c.ca);
  if (leaves.length > 1) {
    const names = leaves.map((c) => describeDer(Buffer.from(c.raw)).thumbprint).join(", ");
    throw refuse(file, `holds ${leaves.length} end-entity certificates (${names}); certfleet delivers exactly one`);
  }
  const owners = certs.filter((c) => c.checkPrivateKey(key));
  if (owners.length === 0) throw refuse(file, "its private key belongs to none of its certificates");
  const leaf = owners[0]!;
  if (leaf.ca) throw refuse(file, "its certificate is a CA certificate (basic constraints CA:TRUE); certfleet delivers server certificates only");

  const certificate = describeDer(Buffer.from(leaf.raw));
  if (certificate.notAfter && now.getTime() > Date.parse(certificate.notAfter)) {
    throw refuse(file, `the certificate ${certificate.thumbprint} expired on ${certificate.notAfter}`);
  }
  if (certificate.notBefore && now.getTime() < Date.parse(certificate.notBefore)) {
    throw refuse(file, `the certificate ${certificate.thumbprint} is not valid before ${certificate.notBefore}`);
  }

  const keyDescription = keyDescriptionOf(key);
  const problem = keyProblem(keyDescription);
  if (problem !== null) throw refuse(file, problem);

  // The chain from the leaf upwards, by signature, not by name alone.
  const rest = certs.filter((c) => c !== leaf);
  const intermediates: ChainCertificate[] = [];
  const used = new Set<X509Certificate>();
  let current = leaf;
  for (;;) {
    const issuer = rest.find((c) => !used.has(c) && current.checkIssued(c) && current.verify(c.publicKey));
    if (!issuer || isSelfSigned(issuer)) break;
    used.add(issuer);
    intermediates.push(chainEntry(issuer));
    current = issuer;
  }
  const ignored = rest
    .filter((c) => !used.has(c))
    .map((c) => ({
      ...chainEntry(c),
      reason: isSelfSigned(c) ? "a self-signed root: certfleet never installs into Root" : "not in the certificate's chain",
    }));

  return {
    file,
    leaf: { der: Buffer.from(leaf.raw), certificate },
    key: new Secret(keyDers[0]!),
    keyDescription,
    intermediates,
    ignored,
  };
}
