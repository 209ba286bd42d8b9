/**
 * The client side of NTLMv2: NEGOTIATE, then AUTHENTICATE from the server's CHALLENGE, then an
 * `NtlmSession` for signing and sealing. One object per authentication; pure apart from the
 * injected clock and random source.
 */
import { randomBytes } from "node:crypto";
import { NtlmError } from "./errors.js";
import { CLIENT_NEGOTIATE_FLAGS, hasFlag, missingRequiredFlags, NegotiateFlag } from "./flags.js";
import {
  fileTime,
  hmacMd5,
  lmv2Response,
  ntlmv2Blob,
  ntlmv2Response,
  ntowfv2,
} from "./keys.js";
import {
  AV_FLAG_MIC_PRESENT,
  AvId,
  decodeChallenge,
  encodeAuthenticate,
  encodeAvPairs,
  encodeNegotiate,
  findAvPair,
  withMic,
  type AvPair,
} from "./messages.js";
import { rc4k } from "./rc4.js";
import { NtlmSessionSecurity, type NtlmSession } from "./session.js";

export interface NtlmCredentials {
  readonly username: string;
  /** NetBIOS or DNS domain; "" for a local account. */
  readonly domain: string;
  readonly password: string;
}

export interface NtlmInitiatorOptions {
  /** Workstation name sent in AUTHENTICATE (informational). Default "". */
  readonly workstation?: string;
  /** Clock for the NTLMv2 timestamp when the server sends none. */
  readonly now?: () => Date;
  /** Source of the client challenge and the exported session key. */
  readonly random?: (n: number) => Buffer;
  /**
   * Over HTTPS: `tlsServerEndPointBindings(<the server's certificate, DER>)`, so a server that
   * enforces Extended Protection accepts the logon. Default: 16 zero bytes (no binding).
   */
  readonly channelBindings?: Buffer;
}

/**
 * Splits "DOMAIN\\user" into user and domain, as Windows clients do. A bare name is a local
 * account (domain ""); a UPN ("user@example.com") stays whole with domain "", which is how
 * Windows sends it.
 */
export function splitUserName(name: string): { username: string; domain: string } {
  const backslash = name.indexOf("\\");
  if (backslash >= 0) return { domain: name.slice(0, backslash), username: name.slice(backslash + 1) };
  return { domain: "", username: name };
}

export class NtlmInitiator {
  readonly #creds: NtlmCredentials;
  readonly #workstation: string;
  readonly #now: () => Date;
  readonly #random: (n: number) => Buffer;
  readonly #channelBindings: Buffer;
  #negotiate?: Buffer;
  #session?: NtlmSession;

  constructor(creds: NtlmCredentials, opts: NtlmInitiatorOptions = {}) {
    this.#creds = { ...creds };
    this.#workstation = opts.workstation ?? "";
    this.#now = opts.now ?? (() => new Date());
    this.#random = opts.random ?? randomBytes;
    if (opts.channelBindings !== undefined && opts.channelBindings.length !== 16) {
      throw new RangeError("channel bindings are a 16-byte MD5");
    }
    this.#channelBindings = opts.channelBindings ?? Buffer.alloc(16);
  }

  /** The NEGOTIATE message (type 1). */
  negotiate(): Buffer {
    if (this.#negotiate) throw new NtlmError("state", "NTLM negotiate was already sent; start a new authentication");
    this.#negotiate = encodeNegotiate(CLIENT_NEGOTIATE_FLAGS);
    return this.#negotiate;
  }

  /** The AUTHENTICATE message (type 3) answering the server's CHALLENGE (type 2). */
  authenticate(challengeBytes: Buffer): Buffer {
    if (!this.#negotiate) throw new NtlmError("state", "NTLM authenticate before negotiate");
    if (this.#session) throw new NtlmError("state", "NTLM authenticate was already sent; start a new authentication");
    const challenge = decodeChallenge(challengeBytes);
    const flags = (challenge.flags & CLIENT_NEGOTIATE_FLAGS) >>> 0;
    const missing = missingRequiredFlags(flags);
    if (missing.length > 0) {
      throw new NtlmError(
        "unsupported",
        `the server did not grant NTLM ${missing.join(", ")}; certfleet needs NTLMv2 with 128-bit signing and sealing (check the server's LmCompatibilityLevel and NTLM minimum session security policy)`,
      );
    }
    if (!hasFlag(flags, NegotiateFlag.UNICODE)) {
      throw new NtlmError("unsupported", "the server did not accept Unicode NTLM messages");
    }
    if (challenge.targetInfo.length === 0) {
      throw new NtlmError("unsupported", "the server's NTLM challenge has no target information: NTLMv2 is not possible");
    }

    const serverTime = findAvPair(challenge.targetInfo, AvId.TIMESTAMP);
    const timestamp = serverTime ?? fileTime(this.#now());
    const clientChallenge = this.#random(8);
    const pairs = clientAvPairs(challenge.targetInfo, serverTime !== undefined, this.#channelBindings);
    const { username, domain, password } = this.#creds;
    const responseKey = ntowfv2(password, username, domain);
    const blob = ntlmv2Blob(timestamp, clientChallenge, encodeAvPairs(pairs));
    const nt = ntlmv2Response(responseKey, challenge.serverChallenge, blob);
    // With a server timestamp the LM response is 24 zero bytes (MS-NLMP 3.1.5.1.2).
    const lm = serverTime ? Buffer.alloc(24) : lmv2Response(responseKey, challenge.serverChallenge, clientChallenge);

    // NTLMv2: KeyExchangeKey = SessionBaseKey; KEY_EXCH is required, so a fresh random key.
    const exportedSessionKey = this.#random(16);
    const encryptedRandomSessionKey = rc4k(nt.sessionBaseKey, exportedSessionKey);
    const message = encodeAuthenticate({
      flags,
      lmChallengeResponse: lm,
      ntChallengeResponse: nt.ntChallengeResponse,
      domain,
      user: username,
      workstation: this.#workstation,
      encryptedRandomSessionKey,
      hasMicField: true,
    });
    const authenticate = serverTime
      ? withMic(message, hmacMd5(exportedSessionKey, this.#negotiate, challengeBytes, message))
      : message;
    this.#session = new NtlmSessionSecurity(exportedSessionKey, flags, "initiator");
    return authenticate;
  }

  /** The signing/sealing context, once `authenticate` has run. */
  get session(): NtlmSession {
    if (!this.#session) throw new NtlmError("state", "NTLM session used before authentication");
    return this.#session;
  }
}

/**
 * The AV pairs the client puts in its blob: the server's, with MsvAvFlags' MIC bit when the
 * server sent a timestamp, and MsvAvChannelBindings (all zero when there is no TLS to bind to),
 * as Windows clients do.
 */
function clientAvPairs(serverPairs: readonly AvPair[], micPresent: boolean, channelBindings: Buffer): AvPair[] {
  const pairs = serverPairs.filter((p) => p.id !== AvId.FLAGS && p.id !== AvId.CHANNEL_BINDINGS);
  const serverFlags = findAvPair(serverPairs, AvId.FLAGS);
  let avFlags = serverFlags && serverFlags.length === 4 ? serverFlags.readUInt32LE(0) : 0;
  if (micPresent) avFlags = (avFlags | AV_FLAG_MIC_PRESENT) >>> 0;
  if (avFlags !== 0) {
    const value = Buffer.alloc(4);
    value.writeUInt32LE(avFlags);
    pairs.push({ id: AvId.FLAGS, value });
  }
  pairs.push({ id: AvId.CHANNEL_BINDINGS, value: channelBindings });
  return pairs;
}
