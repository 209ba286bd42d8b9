/**
 * NTLM session security with extended session security (MS-NLMP 3.4.2-3.4.4.2): signing and
 * sealing of messages after authentication. One RC4 handle and one sequence number per direction,
 * kept across messages (connection-oriented mode: the RC4 keystream continues from message to
 * message, which is why both ends must process every message, in order).
 *
 * The keys live in private fields: they do not show in `util.inspect`, `JSON.stringify` or a
 * debugger's plain property list.
 */
import { timingSafeEqual } from "node:crypto";
import { NtlmError } from "./errors.js";
import { hasFlag, NegotiateFlag } from "./flags.js";
import { hmacMd5, sealKey, signKey, type Direction } from "./keys.js";
import { Rc4 } from "./rc4.js";

export type NtlmRole = "initiator" | "acceptor";

export interface SealedMessage {
  /** The 16-byte NTLMSSP_MESSAGE_SIGNATURE. */
  readonly signature: Buffer;
  readonly sealed: Buffer;
}

/** What the WS-Management encryption needs from an authenticated NTLM context. */
export interface NtlmSession {
  /** Encrypts `message` for the peer and signs it (the next outgoing sequence number). */
  seal(message: Buffer): SealedMessage;
  /** Decrypts a message from the peer and verifies its signature; throws `NtlmError("integrity")`. */
  unseal(sealed: Buffer, signature: Buffer): Buffer;
  /** Signs `message` for the peer without encrypting it. */
  sign(message: Buffer): Buffer;
  /** Verifies a signature from the peer over `message`; throws `NtlmError("integrity")`. */
  verify(message: Buffer, signature: Buffer): void;
  /** The negotiated flags (as in the AUTHENTICATE message). */
  readonly flags: number;
}

class DirectionState {
  readonly #signKey: Buffer;
  readonly #handle: Rc4;
  #seq = 0;

  constructor(exportedSessionKey: Buffer, flags: number, direction: Direction) {
    this.#signKey = signKey(exportedSessionKey, direction);
    this.#handle = new Rc4(sealKey(exportedSessionKey, flags, direction));
  }

  crypt(data: Buffer): Buffer {
    return this.#handle.update(data);
  }

  /** MAC with extended session security (MS-NLMP 3.4.4.2); consumes one sequence number. */
  mac(message: Buffer, keyExchange: boolean): Buffer {
    const seq = Buffer.alloc(4);
    seq.writeUInt32LE(this.#seq);
    this.#seq = (this.#seq + 1) >>> 0;
    let checksum = hmacMd5(this.#signKey, seq, message).subarray(0, 8);
    if (keyExchange) checksum = this.#handle.update(checksum);
    const signature = Buffer.alloc(16);
    signature.writeUInt32LE(1, 0);
    checksum.copy(signature, 4);
    seq.copy(signature, 12);
    return signature;
  }
}

export class NtlmSessionSecurity implements NtlmSession {
  readonly #outgoing: DirectionState;
  readonly #incoming: DirectionState;
  readonly #keyExchange: boolean;
  /** Set by a failed verification: the RC4 streams may be out of step, so nothing more is trusted. */
  #broken = false;

  constructor(
    exportedSessionKey: Buffer,
    readonly flags: number,
    readonly role: NtlmRole,
  ) {
    if (!hasFlag(flags, NegotiateFlag.EXTENDED_SESSIONSECURITY)) {
      throw new NtlmError("unsupported", "NTLM session security without extended session security is not supported");
    }
    const mine: Direction = role === "initiator" ? "client-to-server" : "server-to-client";
    const theirs: Direction = role === "initiator" ? "server-to-client" : "client-to-server";
    this.#outgoing = new DirectionState(exportedSessionKey, flags, mine);
    this.#incoming = new DirectionState(exportedSessionKey, flags, theirs);
    this.#keyExchange = hasFlag(flags, NegotiateFlag.KEY_EXCH);
  }

  seal(message: Buffer): SealedMessage {
    this.#usable();
    if (!hasFlag(this.flags, NegotiateFlag.SEAL)) {
      throw new NtlmError("unsupported", "NTLM sealing was not negotiated");
    }
    const sealed = this.#outgoing.crypt(message);
    return { sealed, signature: this.#outgoing.mac(message, this.#keyExchange) };
  }

  unseal(sealed: Buffer, signature: Buffer): Buffer {
    this.#usable();
    if (!hasFlag(this.flags, NegotiateFlag.SEAL)) {
      throw new NtlmError("unsupported", "NTLM sealing was not negotiated");
    }
    const message = this.#incoming.crypt(sealed);
    this.#check(this.#incoming.mac(message, this.#keyExchange), signature);
    return message;
  }

  sign(message: Buffer): Buffer {
    this.#usable();
    return this.#outgoing.mac(message, this.#keyExchange);
  }

  verify(message: Buffer, signature: Buffer): void {
    this.#usable();
    this.#check(this.#incoming.mac(message, this.#keyExchange), signature);
  }

  #usable(): void {
    if (this.#broken) {
      throw new NtlmError("state", "the NTLM session failed a signature check earlier and cannot be used; authenticate again on a new connection");
    }
  }

  #check(expected: Buffer, actual: Buffer): void {
    if (actual.length !== 16 || !timingSafeEqual(expected, actual)) {
      this.#broken = true;
      throw new NtlmError(
        "integrity",
        "NTLM message signature does not verify: the message was altered, or a message was lost and the two ends are out of step",
      );
    }
  }
}
