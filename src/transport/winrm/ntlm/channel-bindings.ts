/**
 * Channel binding for NTLM over HTTPS (Extended Protection for Authentication): the MD5 of a
 * gss_channel_bindings_struct (RFC 2744) whose application data is "tls-server-end-point:" and
 * the hash of the server's TLS certificate (RFC 5929). The client puts it in
 * MsvAvChannelBindings; a server with CbtHardeningLevel Strict requires it to match its own
 * certificate, which ties the logon to that TLS connection. Pure.
 */
import { createHash } from "node:crypto";

const PREFIX = Buffer.from("tls-server-end-point:", "latin1");

/** Signature algorithm OIDs (DER content bytes) whose hash is not SHA-256. */
const SHA384_OIDS = ["2a864886f70d01010c" /* sha384WithRSA */, "2a8648ce3d040303" /* ecdsa-with-SHA384 */];
const SHA512_OIDS = ["2a864886f70d01010d" /* sha512WithRSA */, "2a8648ce3d040304" /* ecdsa-with-SHA512 */];

/** Reads one DER TLV at `at`: where its content starts and ends. */
function tlv(der: Buffer, at: number): { tag: number; start: number; end: number } {
  if (at + 2 > der.length) throw new RangeError("truncated DER");
  const tag = der[at]!;
  let length = der[at + 1]!;
  let start = at + 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    if (n === 0 || n > 4 || start + n > der.length) throw new RangeError("bad DER length");
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + der[start + i]!;
    start += n;
  }
  if (start + length > der.length) throw new RangeError("truncated DER");
  return { tag, start, end: start + length };
}

/**
 * The hash RFC 5929 prescribes for a certificate: that of its signature algorithm, except that
 * MD5 and SHA-1 (and anything unrecognised) become SHA-256.
 */
export function certificateBindingHash(certificateDer: Buffer): "sha256" | "sha384" | "sha512" {
  const certificate = tlv(certificateDer, 0);
  const tbs = tlv(certificateDer, certificate.start);
  const algorithm = tlv(certificateDer, tbs.end);
  const oid = tlv(certificateDer, algorithm.start);
  if (oid.tag !== 0x06) throw new RangeError("certificate has no signature algorithm OID");
  const hex = certificateDer.subarray(oid.start, oid.end).toString("hex");
  if (SHA384_OIDS.includes(hex)) return "sha384";
  if (SHA512_OIDS.includes(hex)) return "sha512";
  return "sha256";
}

/** MD5 of the gss_channel_bindings_struct with only application data (addresses empty). */
export function channelBindingsHash(applicationData: Buffer): Buffer {
  const struct = Buffer.alloc(20 + applicationData.length);
  struct.writeUInt32LE(applicationData.length, 16);
  applicationData.copy(struct, 20);
  return createHash("md5").update(struct).digest();
}

/** The MsvAvChannelBindings value for a TLS connection to a server with this certificate. */
export function tlsServerEndPointBindings(certificateDer: Buffer): Buffer {
  const digest = createHash(certificateBindingHash(certificateDer)).update(certificateDer).digest();
  return channelBindingsHash(Buffer.concat([PREFIX, digest]));
}
