/**
 * NTLMv2 computations (MS-NLMP 3.3.2) and the session-security keys (3.4.5). Pure functions of
 * their inputs; MD5/HMAC-MD5 from node:crypto, MD4 and RC4 from this folder.
 */
import { createHash, createHmac } from "node:crypto";
import { hasFlag, NegotiateFlag } from "./flags.js";
import { md4 } from "./md4.js";

export function hmacMd5(key: Buffer, ...data: Buffer[]): Buffer {
  const h = createHmac("md5", key);
  for (const d of data) h.update(d);
  return h.digest();
}

function md5(...data: Buffer[]): Buffer {
  const h = createHash("md5");
  for (const d of data) h.update(d);
  return h.digest();
}

/** The NT hash: MD4 of the UTF-16LE password. */
export function ntHash(password: string): Buffer {
  return md4(Buffer.from(password, "utf16le"));
}

/**
 * Upper case as Windows does it (RtlUpcaseUnicodeString): one UTF-16 unit for one, so a letter
 * whose full upper case is longer ("ß" -> "SS") stays as it is.
 */
export function windowsUpperCase(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const unit = text[i]!;
    const upper = unit.toUpperCase();
    out += upper.length === 1 ? upper : unit;
  }
  return out;
}

/** NTOWFv2 = HMAC_MD5(MD4(UNICODE(password)), UNICODE(Uppercase(user) + domain)). */
export function ntowfv2(password: string, user: string, domain: string): Buffer {
  return hmacMd5(ntHash(password), Buffer.from(windowsUpperCase(user) + domain, "utf16le"));
}

/** Windows FILETIME: 100 ns intervals since 1601-01-01, 8 bytes little-endian. */
export function fileTime(date: Date): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE((BigInt(date.getTime()) + 11_644_473_600_000n) * 10_000n);
  return out;
}

/**
 * The NTLMv2 client blob ("temp" in MS-NLMP 3.3.2): response versions, time, client challenge,
 * the AV pairs (already encoded, with their EOL) and 4 zero bytes.
 */
export function ntlmv2Blob(timestamp: Buffer, clientChallenge: Buffer, encodedAvPairs: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from([1, 1, 0, 0, 0, 0, 0, 0]),
    timestamp,
    clientChallenge,
    Buffer.alloc(4),
    encodedAvPairs,
    Buffer.alloc(4),
  ]);
}

/** Offset of the AV pairs inside an NTLMv2 blob (after the 28-byte fixed part). */
export const BLOB_AV_PAIRS_OFFSET = 28;

export interface Ntlmv2Response {
  readonly ntProofStr: Buffer;
  /** NtChallengeResponse = NTProofStr || blob. */
  readonly ntChallengeResponse: Buffer;
  readonly sessionBaseKey: Buffer;
}

export function ntlmv2Response(responseKeyNt: Buffer, serverChallenge: Buffer, blob: Buffer): Ntlmv2Response {
  const ntProofStr = hmacMd5(responseKeyNt, serverChallenge, blob);
  return {
    ntProofStr,
    ntChallengeResponse: Buffer.concat([ntProofStr, blob]),
    sessionBaseKey: hmacMd5(responseKeyNt, ntProofStr),
  };
}

/** LMv2 = HMAC_MD5(ResponseKeyLM, ServerChallenge || ClientChallenge) || ClientChallenge. */
export function lmv2Response(responseKeyLm: Buffer, serverChallenge: Buffer, clientChallenge: Buffer): Buffer {
  return Buffer.concat([hmacMd5(responseKeyLm, serverChallenge, clientChallenge), clientChallenge]);
}

const magic = (text: string): Buffer => Buffer.from(`${text}\0`, "latin1");
const CLIENT_SIGN = magic("session key to client-to-server signing key magic constant");
const SERVER_SIGN = magic("session key to server-to-client signing key magic constant");
const CLIENT_SEAL = magic("session key to client-to-server sealing key magic constant");
const SERVER_SEAL = magic("session key to server-to-client sealing key magic constant");

export type Direction = "client-to-server" | "server-to-client";

/** SIGNKEY with extended session security (MS-NLMP 3.4.5.2). */
export function signKey(exportedSessionKey: Buffer, direction: Direction): Buffer {
  return md5(exportedSessionKey, direction === "client-to-server" ? CLIENT_SIGN : SERVER_SIGN);
}

/** SEALKEY with extended session security (MS-NLMP 3.4.5.3): 128, 56 or 40 bits of the key. */
export function sealKey(exportedSessionKey: Buffer, flags: number, direction: Direction): Buffer {
  const length = hasFlag(flags, NegotiateFlag.KEY_128) ? 16 : hasFlag(flags, NegotiateFlag.KEY_56) ? 7 : 5;
  return md5(exportedSessionKey.subarray(0, length), direction === "client-to-server" ? CLIENT_SEAL : SERVER_SEAL);
}
