/**
 * The server side of NTLMv2, for the simulated Windows hosts' WinRM listener: CHALLENGE from the
 * client's NEGOTIATE, then verification of the AUTHENTICATE against a password lookup (NTLMv2
 * response, then MIC when the client says it sent one), then the same `NtlmSession` keys as the
 * client. Acts like a standalone Windows server with default policy: NTLMv2 only, 128-bit
 * session security required. One object per authentication.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { NtlmError } from "./errors.js";
import { missingRequiredFlags, NegotiateFlag, REQUIRED_SESSION_FLAGS } from "./flags.js";
import { BLOB_AV_PAIRS_OFFSET, fileTime, hmacMd5, ntlmv2Response, ntowfv2 } from "./keys.js";
import {
  AV_FLAG_MIC_PRESENT,
  AvId,
  avText,
  decodeAuthenticate,
  decodeAvPairs,
  decodeNegotiate,
  encodeChallenge,
  findAvPair,
  MIC_OFFSET,
  withMic,
  type AvPair,
} from "./messages.js";
import { rc4k } from "./rc4.js";
import { NtlmSessionSecurity, type NtlmSession } from "./session.js";

/** Returns the password of `user` as the server knows it, or undefined for an unknown user. */
export type PasswordLookup = (user: string, domain: string) => string | undefined;

export interface NtlmAcceptorOptions {
  /** NetBIOS computer name (MsvAvNbComputerName, and the target name). Default "WIN-CERTFLEET". */
  readonly computerName?: string;
  /** NetBIOS domain name; a standalone server uses its computer name. Default: `computerName`. */
  readonly domainName?: string;
  /** DNS computer name (MsvAvDnsComputerName). Default: `computerName` in lower case. */
  readonly dnsComputerName?: string;
  /** DNS domain name (MsvAvDnsDomainName). Default: `dnsComputerName`. */
  readonly dnsDomainName?: string;
  readonly now?: () => Date;
  readonly random?: (n: number) => Buffer;
  /**
   * Over HTTPS: `tlsServerEndPointBindings(<own certificate, DER>)`. A client that sends
   * channel bindings must send these (Windows' CbtHardeningLevel "Relaxed", its default for
   * WinRM); a client that sends none or zeros is still accepted.
   */
  readonly channelBindings?: Buffer;
}

/** Flags the server grants when the client asks for them. */
const GRANTABLE =
  (NegotiateFlag.SIGN |
    NegotiateFlag.SEAL |
    NegotiateFlag.ALWAYS_SIGN |
    NegotiateFlag.EXTENDED_SESSIONSECURITY |
    NegotiateFlag.VERSION |
    NegotiateFlag.KEY_128 |
    NegotiateFlag.KEY_EXCH |
    NegotiateFlag.KEY_56) >>>
  0;

/**
 * Flags the server always sets. UNICODE even when the client offered only OEM: ntlm-auth (the
 * NTLM of pywinrm) sends an OEM-only NEGOTIATE yet handles a Unicode CHALLENGE. REQUEST_TARGET
 * even when not asked, as Windows does: ntlm-auth echoes the challenge's flags into its
 * AUTHENTICATE after subtracting OEM, which without REQUEST_TARGET would clear SIGN instead.
 */
const ALWAYS =
  (NegotiateFlag.UNICODE |
    NegotiateFlag.REQUEST_TARGET | NegotiateFlag.NTLM | NegotiateFlag.TARGET_TYPE_SERVER | NegotiateFlag.TARGET_INFO) >>> 0;

const REFUSED = "the user name or password is incorrect (NTLMv2 response does not verify)";

export class NtlmAcceptor {
  readonly #lookup: PasswordLookup;
  readonly #opts: Required<Omit<NtlmAcceptorOptions, "now" | "random" | "channelBindings">>;
  readonly #channelBindings: Buffer | undefined;
  readonly #now: () => Date;
  readonly #random: (n: number) => Buffer;
  #negotiate?: Buffer;
  #challenge?: Buffer;
  #serverChallenge?: Buffer;
  #done = false;
  #user?: { readonly username: string; readonly domain: string };

  constructor(lookup: PasswordLookup, opts: NtlmAcceptorOptions = {}) {
    this.#lookup = lookup;
    const computerName = opts.computerName ?? "WIN-CERTFLEET";
    const dnsComputerName = opts.dnsComputerName ?? computerName.toLowerCase();
    this.#opts = {
      computerName,
      domainName: opts.domainName ?? computerName,
      dnsComputerName,
      dnsDomainName: opts.dnsDomainName ?? dnsComputerName,
    };
    this.#now = opts.now ?? (() => new Date());
    this.#random = opts.random ?? randomBytes;
    if (opts.channelBindings !== undefined && opts.channelBindings.length !== 16) {
      throw new RangeError("channel bindings are a 16-byte MD5");
    }
    this.#channelBindings = opts.channelBindings;
  }

  /** The CHALLENGE message (type 2) answering the client's NEGOTIATE (type 1). */
  challenge(negotiateBytes: Buffer): Buffer {
    if (this.#challenge) throw new NtlmError("state", "NTLM challenge was already sent; start a new authentication");
    const negotiate = decodeNegotiate(negotiateBytes);
    const flags = ((negotiate.flags & GRANTABLE) | ALWAYS) >>> 0;
    const missing = missingRequiredFlags(flags);
    if (missing.length > 0) {
      throw new NtlmError("unsupported", `the client did not request NTLM ${missing.join(", ")}, which this server requires`);
    }
    const o = this.#opts;
    const targetInfo: AvPair[] = [
      { id: AvId.NB_DOMAIN_NAME, value: avText(o.domainName) },
      { id: AvId.NB_COMPUTER_NAME, value: avText(o.computerName) },
      { id: AvId.DNS_DOMAIN_NAME, value: avText(o.dnsDomainName) },
      { id: AvId.DNS_COMPUTER_NAME, value: avText(o.dnsComputerName) },
      { id: AvId.TIMESTAMP, value: fileTime(this.#now()) },
    ];
    this.#serverChallenge = this.#random(8);
    this.#negotiate = Buffer.from(negotiateBytes);
    this.#challenge = encodeChallenge({
      flags,
      serverChallenge: this.#serverChallenge,
      targetName: o.domainName,
      targetInfo,
    });
    return this.#challenge;
  }

  /**
   * Verifies the client's AUTHENTICATE (type 3) and returns the session. Wrong credentials are an
   * `NtlmError("refused")`; the error says nothing about which part was wrong.
   */
  accept(authenticateBytes: Buffer): NtlmSession {
    if (!this.#challenge || !this.#serverChallenge || !this.#negotiate) {
      throw new NtlmError("state", "NTLM authenticate received before any challenge");
    }
    if (this.#done) throw new NtlmError("state", "NTLM authenticate was already processed; start a new authentication");
    this.#done = true;

    const auth = decodeAuthenticate(authenticateBytes);
    if (auth.user === "" && auth.ntChallengeResponse.length === 0) {
      throw new NtlmError("refused", "anonymous NTLM logon is not accepted");
    }
    if (auth.ntChallengeResponse.length <= 24) {
      throw new NtlmError("refused", "NTLMv1 responses are not accepted (only NTLMv2)");
    }
    const missing = missingRequiredFlags(auth.flags & REQUIRED_SESSION_FLAGS);
    if (missing.length > 0) {
      throw new NtlmError("unsupported", `the client's NTLM AUTHENTICATE lacks ${missing.join(", ")}`);
    }
    const proof = auth.ntChallengeResponse.subarray(0, 16);
    const blob = auth.ntChallengeResponse.subarray(16);
    if (blob.length < BLOB_AV_PAIRS_OFFSET + 4 || blob[0] !== 1 || blob[1] !== 1) {
      throw new NtlmError("malformed", "malformed NTLM message: the NTLMv2 response blob is not version 1");
    }
    const clientPairs = decodeAvPairs(blob.subarray(BLOB_AV_PAIRS_OFFSET));

    const password = this.#lookup(auth.user, auth.domain);
    // An unknown user costs the same work as a known one, and gets the same answer.
    const responseKey = ntowfv2(password ?? "", auth.user, auth.domain);
    const nt = ntlmv2Response(responseKey, this.#serverChallenge, blob);
    if (password === undefined || !timingSafeEqual(nt.ntProofStr, proof)) {
      throw new NtlmError("refused", REFUSED);
    }

    if (auth.encryptedRandomSessionKey.length !== 16) {
      throw new NtlmError("malformed", "malformed NTLM message: the encrypted session key is not 16 bytes");
    }
    const exportedSessionKey = rc4k(nt.sessionBaseKey, auth.encryptedRandomSessionKey);

    const avFlags = findAvPair(clientPairs, AvId.FLAGS);
    const micPresent = avFlags !== undefined && avFlags.length === 4 && (avFlags.readUInt32LE(0) & AV_FLAG_MIC_PRESENT) !== 0;
    if (micPresent) {
      if (!auth.hasMicField) throw new NtlmError("malformed", "malformed NTLM message: MIC announced but absent");
      const mic = authenticateBytes.subarray(MIC_OFFSET, MIC_OFFSET + 16);
      const zeroed = withMic(authenticateBytes, Buffer.alloc(16));
      const expected = hmacMd5(exportedSessionKey, this.#negotiate, this.#challenge, zeroed);
      if (!timingSafeEqual(expected, mic)) {
        throw new NtlmError("integrity", "the NTLM message integrity code (MIC) does not verify: the exchange was altered");
      }
    }

    const bindings = findAvPair(clientPairs, AvId.CHANNEL_BINDINGS);
    if (bindings !== undefined && !bindings.equals(Buffer.alloc(16)) && this.#channelBindings !== undefined) {
      if (bindings.length !== 16 || !timingSafeEqual(bindings, this.#channelBindings)) {
        throw new NtlmError(
          "refused",
          "the NTLM channel binding does not match this server's TLS certificate (Extended Protection): the client is talking to another endpoint, or through a TLS-terminating proxy",
        );
      }
    }

    this.#user = { username: auth.user, domain: auth.domain };
    return new NtlmSessionSecurity(exportedSessionKey, auth.flags, "acceptor");
  }

  /** Who authenticated, once `accept` has succeeded. */
  get user(): { readonly username: string; readonly domain: string } | undefined {
    return this.#user;
  }
}
