/**
 * The three NTLM messages (MS-NLMP 2.2.1) and AV pairs (2.2.2.1): bytes in, values out, and
 * back. Pure; every length and offset is bounds-checked, and a malformed message is an
 * `NtlmError("malformed")` that says which field, never the bytes.
 */
import { NtlmError } from "./errors.js";
import { hasFlag, NegotiateFlag } from "./flags.js";

const SIGNATURE = Buffer.from("NTLMSSP\0", "latin1");

export const MessageType = { NEGOTIATE: 1, CHALLENGE: 2, AUTHENTICATE: 3 } as const;

/** AV pair ids (MS-NLMP 2.2.2.1). */
export const AvId = {
  EOL: 0,
  NB_COMPUTER_NAME: 1,
  NB_DOMAIN_NAME: 2,
  DNS_COMPUTER_NAME: 3,
  DNS_DOMAIN_NAME: 4,
  DNS_TREE_NAME: 5,
  FLAGS: 6,
  TIMESTAMP: 7,
  SINGLE_HOST: 8,
  TARGET_NAME: 9,
  CHANNEL_BINDINGS: 10,
} as const;

/** MsvAvFlags bit: the AUTHENTICATE message carries a MIC. */
export const AV_FLAG_MIC_PRESENT = 0x00000002;

export interface AvPair {
  readonly id: number;
  readonly value: Buffer;
}

/**
 * The VERSION structure certfleet sends (MS-NLMP 2.2.2.10). Its content is informational only;
 * NTLMSSP_REVISION_W2K3 (15) is the one revision in use.
 */
export const OUR_VERSION = Buffer.from([10, 0, 0x7c, 0x4f, 0, 0, 0, 0x0f]);

/** Offset of the MIC in an AUTHENTICATE message that has a VERSION field (MS-NLMP 2.2.1.3). */
export const MIC_OFFSET = 72;
const AUTHENTICATE_HEADER_WITH_MIC = 88;

function malformed(what: string): NtlmError {
  return new NtlmError("malformed", `malformed NTLM message: ${what}`);
}

function checkHeader(buf: Buffer, type: number, minLength: number, name: string): void {
  if (buf.length < minLength) throw malformed(`${name} message too short (${buf.length} bytes)`);
  if (!buf.subarray(0, 8).equals(SIGNATURE)) throw malformed(`${name} message lacks the NTLMSSP signature`);
  const actual = buf.readUInt32LE(8);
  if (actual !== type) throw malformed(`expected a ${name} message (type ${type}), got type ${actual}`);
}

/** Reads a (length, maxLength, offset) field at `at` and returns the bytes it points to. */
function readField(buf: Buffer, at: number, name: string): Buffer {
  const length = buf.readUInt16LE(at);
  const offset = buf.readUInt32LE(at + 4);
  if (length === 0) return Buffer.alloc(0);
  if (offset + length > buf.length) throw malformed(`${name} field runs past the end of the message`);
  return Buffer.from(buf.subarray(offset, offset + length));
}

function fieldOffset(buf: Buffer, at: number): number | undefined {
  return buf.readUInt16LE(at) === 0 ? undefined : buf.readUInt32LE(at + 4);
}

function writeField(header: Buffer, at: number, length: number, offset: number): void {
  header.writeUInt16LE(length, at);
  header.writeUInt16LE(length, at + 2);
  header.writeUInt32LE(offset, at + 4);
}

function encodeText(text: string, flags: number): Buffer {
  return hasFlag(flags, NegotiateFlag.UNICODE) ? Buffer.from(text, "utf16le") : Buffer.from(text, "latin1");
}

function decodeText(bytes: Buffer, flags: number, name: string): string {
  if (!hasFlag(flags, NegotiateFlag.UNICODE)) return bytes.toString("latin1");
  if (bytes.length % 2 !== 0) throw malformed(`${name} has an odd UTF-16 length`);
  return bytes.toString("utf16le");
}

export function encodeAvPairs(pairs: readonly AvPair[]): Buffer {
  const parts: Buffer[] = [];
  for (const pair of pairs) {
    if (pair.id === AvId.EOL) continue;
    const head = Buffer.alloc(4);
    head.writeUInt16LE(pair.id, 0);
    head.writeUInt16LE(pair.value.length, 2);
    parts.push(head, pair.value);
  }
  parts.push(Buffer.alloc(4));
  return Buffer.concat(parts);
}

/** The pairs up to MsvAvEOL (which is not returned). A list without EOL is malformed. */
export function decodeAvPairs(buf: Buffer): AvPair[] {
  const pairs: AvPair[] = [];
  let at = 0;
  while (at + 4 <= buf.length) {
    const id = buf.readUInt16LE(at);
    const length = buf.readUInt16LE(at + 2);
    if (id === AvId.EOL) return pairs;
    if (at + 4 + length > buf.length) throw malformed("an AV pair runs past the end of the list");
    pairs.push({ id, value: Buffer.from(buf.subarray(at + 4, at + 4 + length)) });
    at += 4 + length;
  }
  throw malformed("the AV pair list has no end marker");
}

export function findAvPair(pairs: readonly AvPair[], id: number): Buffer | undefined {
  return pairs.find((p) => p.id === id)?.value;
}

export function avText(text: string): Buffer {
  return Buffer.from(text, "utf16le");
}

// ---------------------------------------------------------------- NEGOTIATE (type 1)

export interface NegotiateMessage {
  readonly flags: number;
}

export function encodeNegotiate(flags: number): Buffer {
  const msg = Buffer.alloc(40);
  SIGNATURE.copy(msg, 0);
  msg.writeUInt32LE(MessageType.NEGOTIATE, 8);
  msg.writeUInt32LE(flags >>> 0, 12);
  // Domain and workstation fields stay empty (no OEM_*_SUPPLIED flag): offsets point at the end.
  writeField(msg, 16, 0, 40);
  writeField(msg, 24, 0, 40);
  OUR_VERSION.copy(msg, 32);
  return msg;
}

export function decodeNegotiate(buf: Buffer): NegotiateMessage {
  checkHeader(buf, MessageType.NEGOTIATE, 16, "NEGOTIATE");
  return { flags: buf.readUInt32LE(12) };
}

// ---------------------------------------------------------------- CHALLENGE (type 2)

export interface ChallengeMessage {
  readonly flags: number;
  readonly serverChallenge: Buffer;
  readonly targetName: string;
  readonly targetInfo: readonly AvPair[];
}

/** `version` defaults to `OUR_VERSION` (tests pass the specification's to reproduce its bytes). */
export function encodeChallenge(msg: ChallengeMessage, version: Buffer = OUR_VERSION): Buffer {
  const header = Buffer.alloc(56);
  SIGNATURE.copy(header, 0);
  header.writeUInt32LE(MessageType.CHALLENGE, 8);
  const targetName = encodeText(msg.targetName, msg.flags);
  const targetInfo = encodeAvPairs(msg.targetInfo);
  writeField(header, 12, targetName.length, 56);
  header.writeUInt32LE(msg.flags >>> 0, 20);
  if (msg.serverChallenge.length !== 8) throw new RangeError("the server challenge is 8 bytes");
  msg.serverChallenge.copy(header, 24);
  writeField(header, 40, targetInfo.length, 56 + targetName.length);
  version.copy(header, 48);
  return Buffer.concat([header, targetName, targetInfo]);
}

export function decodeChallenge(buf: Buffer): ChallengeMessage {
  checkHeader(buf, MessageType.CHALLENGE, 48, "CHALLENGE");
  const flags = buf.readUInt32LE(20);
  const targetName = decodeText(readField(buf, 12, "TargetName"), flags, "TargetName");
  const serverChallenge = Buffer.from(buf.subarray(24, 32));
  const info = hasFlag(flags, NegotiateFlag.TARGET_INFO) ? readField(buf, 40, "TargetInfo") : Buffer.alloc(0);
  const targetInfo = info.length > 0 ? decodeAvPairs(info) : [];
  return { flags, serverChallenge, targetName, targetInfo };
}

// ---------------------------------------------------------------- AUTHENTICATE (type 3)

export interface AuthenticateMessage {
  readonly flags: number;
  readonly lmChallengeResponse: Buffer;
  readonly ntChallengeResponse: Buffer;
  readonly domain: string;
  readonly user: string;
  readonly workstation: string;
  readonly encryptedRandomSessionKey: Buffer;
  /** True when the payload starts after a 16-byte MIC field (offset 72..88). */
  readonly hasMicField: boolean;
}

/** Encodes with a zeroed MIC field when `hasMicField` (the caller fills it in: see `withMic`). */
export function encodeAuthenticate(msg: AuthenticateMessage, version: Buffer = OUR_VERSION): Buffer {
  const headerLength = msg.hasMicField ? AUTHENTICATE_HEADER_WITH_MIC : MIC_OFFSET;
  const header = Buffer.alloc(headerLength);
  SIGNATURE.copy(header, 0);
  header.writeUInt32LE(MessageType.AUTHENTICATE, 8);
  const domain = encodeText(msg.domain, msg.flags);
  const user = encodeText(msg.user, msg.flags);
  const workstation = encodeText(msg.workstation, msg.flags);
  // Payload order as Windows writes it: domain, user, workstation, LM, NT, session key.
  let offset = headerLength;
  const place = (at: number, bytes: Buffer): Buffer => {
    writeField(header, at, bytes.length, offset);
    offset += bytes.length;
    return bytes;
  };
  const payload = [
    place(28, domain),
    place(36, user),
    place(44, workstation),
    place(12, msg.lmChallengeResponse),
    place(20, msg.ntChallengeResponse),
    place(52, msg.encryptedRandomSessionKey),
  ];
  header.writeUInt32LE(msg.flags >>> 0, 60);
  version.copy(header, 64);
  return Buffer.concat([header, ...payload]);
}

/** A copy of an encoded AUTHENTICATE message with `mic` written into its MIC field. */
export function withMic(authenticate: Buffer, mic: Buffer): Buffer {
  const out = Buffer.from(authenticate);
  mic.copy(out, MIC_OFFSET);
  return out;
}

export function decodeAuthenticate(buf: Buffer): AuthenticateMessage {
  checkHeader(buf, MessageType.AUTHENTICATE, 64, "AUTHENTICATE");
  const flags = buf.readUInt32LE(60);
  const fieldAt = [12, 20, 28, 36, 44, 52];
  const offsets = fieldAt.map((at) => fieldOffset(buf, at)).filter((o): o is number => o !== undefined);
  const payloadStart = offsets.length > 0 ? Math.min(...offsets) : buf.length;
  return {
    flags,
    lmChallengeResponse: readField(buf, 12, "LmChallengeResponse"),
    ntChallengeResponse: readField(buf, 20, "NtChallengeResponse"),
    domain: decodeText(readField(buf, 28, "DomainName"), flags, "DomainName"),
    user: decodeText(readField(buf, 36, "UserName"), flags, "UserName"),
    workstation: decodeText(readField(buf, 44, "Workstation"), flags, "Workstation"),
    encryptedRandomSessionKey: readField(buf, 52, "EncryptedRandomSessionKey"),
    hasMicField: payloadStart >= AUTHENTICATE_HEADER_WITH_MIC && buf.length >= AUTHENTICATE_HEADER_WITH_MIC,
  };
}
