/**
 * Re-packaging the certificate for one host: the leaf and its key only (intermediates travel as
 * their own .cer files into the `CA` store, so that `-importpfx` never puts anything into Root),
 * under a fresh one-time password, in the format the host's build can read.
 *
 * - Builds older than 17763 (Server 2016 and older) cannot read PBES2/AES PFX files: certutil
 *   answers 0x80070056 "The specified network password is not correct." (ansible.windows#582,
 *   acme.sh#6805, docs/messages.md). They get the legacy format Windows itself exports as
 *   "TripleDES-SHA1": key bag pbeWithSHAAnd3-KeyTripleDES-CBC, MAC HMAC-SHA1.
 * - Newer builds get Windows' "AES256-SHA256" (OpenSSL 3's default too): key bag PBES2 with
 *   PBKDF2-HMAC-SHA256 and AES-256-CBC, MAC HMAC-SHA256.
 *
 * The container is assembled here from node-forge's primitives rather than with
 * `pkcs12.toPkcs12Asn1`, which takes only RSA keys and always writes an HMAC-SHA1 MAC.
 * The certificate bag is not encrypted: it is public, and both Windows formats accept that.
 */
import { createHash, randomBytes } from "node:crypto";
import forge from "node-forge";
import type { PfxContents } from "./pfx-read.js";
import type { PfxFormat } from "../model/pfx-format.js";
import { Secret } from "../model/secret.js";

export { AES_PFX_MIN_BUILD, pfxFormatFor, type PfxFormat } from "../model/pfx-format.js";

/** Letters and digits only: nothing cmd.exe or PowerShell gives meaning to (see ONE_TIME_PASSWORD). */
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
export const ONE_TIME_PASSWORD_LENGTH = 32;

/** A fresh random password for one host's import: 32 characters of 62, about 190 bits. */
export function oneTimePassword(random: (n: number) => Buffer = randomBytes): Secret<string> {
  let out = "";
  // Rejection sampling: 248 = 4 * 62, so every letter is equally likely.
  while (out.length < ONE_TIME_PASSWORD_LENGTH) {
    for (const byte of random(ONE_TIME_PASSWORD_LENGTH * 2)) {
      if (byte < 248 && out.length < ONE_TIME_PASSWORD_LENGTH) out += ALPHABET[byte % 62];
    }
  }
  return new Secret(out);
}

const ITERATIONS = 2048;
const { asn1, pki } = forge;
const U = asn1.Class.UNIVERSAL;
const T = asn1.Type;

const oid = (id: string) => asn1.create(U, T.OID, false, asn1.oidToDer(id).getBytes());
const octets = (bytes: string) => asn1.create(U, T.OCTETSTRING, false, bytes);
const seq = (items: forge.asn1.Asn1[]) => asn1.create(U, T.SEQUENCE, true, items);
const explicit0 = (item: forge.asn1.Asn1) => asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [item]);
const der = (a: forge.asn1.Asn1) => asn1.toDer(a).getBytes();

/** A PKCS#7 `data` ContentInfo around one SafeContents. */
const dataContent = (safeContents: forge.asn1.Asn1) => seq([oid(pki.oids.data!), explicit0(octets(der(safeContents)))]);

function bagAttributes(localKeyId: string, friendlyName: string | undefined): forge.asn1.Asn1 {
  const attrs = [seq([oid(pki.oids.localKeyId!), asn1.create(U, T.SET, true, [octets(localKeyId)])])];
  if (friendlyName !== undefined) {
    attrs.push(seq([oid(pki.oids.friendlyName!), asn1.create(U, T.SET, true, [asn1.create(U, T.BMPSTRING, false, friendlyName)])]));
  }
  return asn1.create(U, T.SET, true, attrs);
}

export interface RepackageOptions {
  /** shown in certlm.msc; plain ASCII. */
  friendlyName?: string;
}

/** The host's PFX bytes (a secret: they hold the key under a password that travels with them). */
export function repackagePfx(
  contents: Pick<PfxContents, "leaf" | "key">,
  format: PfxFormat,
  password: Secret<string>,
  options: RepackageOptions = {},
): Secret<Buffer> {
  const pass = password.reveal();
  const certDer = contents.leaf.der;
  // Windows pairs the key with its certificate through localKeyId; the SHA-1 of the certificate, as OpenSSL and Windows write it.
  const localKeyId = createHash("sha1").update(certDer).digest().toString("binary");
  const attrs = bagAttributes(localKeyId, options.friendlyName);

  const certBag = seq([
    oid(pki.oids.certBag!),
    explicit0(seq([oid(pki.oids.x509Certificate!), explicit0(octets(certDer.toString("binary")))])),
    attrs,
  ]);

  const keyInfo = asn1.fromDer(forge.util.createBuffer(contents.key.reveal().toString("binary")));
  const encrypted =
    format === "legacy-3des-sha1"
      ? pki.encryptPrivateKeyInfo(keyInfo, pass, { algorithm: "3des", count: ITERATIONS, saltSize: 8 })
      : pki.encryptPrivateKeyInfo(keyInfo, pass, { algorithm: "aes256", count: ITERATIONS, saltSize: 16, prfAlgorithm: "sha256" });
  const keyBag = seq([oid(pki.oids.pkcs8ShroudedKeyBag!), explicit0(encrypted), attrs]);

  const authSafe = seq([dataContent(seq([certBag])), dataContent(seq([keyBag]))]);
  const authSafeDer = der(authSafe);

  const sha256 = format === "aes256-sha256";
  const macSalt = forge.util.createBuffer(randomBytes(sha256 ? 16 : 8).toString("binary"));
  const macKey = forge.pkcs12.generateKey(pass, macSalt.copy(), 3, ITERATIONS, sha256 ? 32 : 20, sha256 ? forge.md.sha256.create() : forge.md.sha1.create());
  const hmac = forge.hmac.create();
  hmac.start(sha256 ? "sha256" : "sha1", macKey);
  hmac.update(authSafeDer);
  const macData = seq([
    seq([seq([oid(sha256 ? pki.oids.sha256! : pki.oids.sha1!), asn1.create(U, T.NULL, false, "")]), octets(hmac.digest().getBytes())]),
    octets(macSalt.bytes()),
    asn1.create(U, T.INTEGER, false, asn1.integerToDer(ITERATIONS).getBytes()),
  ]);

  const pfx = seq([
    asn1.create(U, T.INTEGER, false, asn1.integerToDer(3).getBytes()),
    seq([oid(pki.oids.data!), explicit0(octets(authSafeDer))]),
    macData,
  ]);
  return new Secret(Buffer.from(der(pfx), "binary"));
}
