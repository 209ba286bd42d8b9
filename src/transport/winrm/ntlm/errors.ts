import { CertfleetError } from "../../../model/errors.js";

/**
 * Why an NTLM step failed:
 * - `refused`: the credentials do not match (wrong password, unknown user, NTLMv1 or anonymous).
 * - `unsupported`: the peer did not offer what certfleet insists on (NTLMv2 with extended
 *   session security, 128-bit keys, signing and sealing).
 * - `malformed`: a message is not a well-formed NTLM message.
 * - `integrity`: a signature or MIC did not verify (tampering, or keys out of step).
 * - `state`: a call out of order (authenticate before negotiate, reuse of a one-shot object).
 *
 * Messages never carry a password, hash, key, challenge response or signature value.
 */
export type NtlmFailure = "refused" | "unsupported" | "malformed" | "integrity" | "state";

export class NtlmError extends CertfleetError {
  constructor(
    readonly failure: NtlmFailure,
    message: string,
  ) {
    super(failure === "refused" || failure === "unsupported" ? "auth" : "parse", message);
    this.name = "NtlmError";
  }
}
