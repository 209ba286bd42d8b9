/** NEGOTIATE flags (MS-NLMP 2.2.2.5), the ones certfleet reads or sets. */
export const NegotiateFlag = {
  UNICODE: 0x00000001,
  OEM: 0x00000002,
  REQUEST_TARGET: 0x00000004,
  SIGN: 0x00000010,
  SEAL: 0x00000020,
  LM_KEY: 0x00000080,
  NTLM: 0x00000200,
  ANONYMOUS: 0x00000800,
  ALWAYS_SIGN: 0x00008000,
  TARGET_TYPE_DOMAIN: 0x00010000,
  TARGET_TYPE_SERVER: 0x00020000,
  EXTENDED_SESSIONSECURITY: 0x00080000,
  TARGET_INFO: 0x00800000,
  VERSION: 0x02000000,
  KEY_128: 0x20000000,
  KEY_EXCH: 0x40000000,
  KEY_56: 0x80000000,
} as const;

const F = NegotiateFlag;

/** What a client asks for so that Windows grants signing and sealing (the WinRM encryption). */
export const CLIENT_NEGOTIATE_FLAGS =
  (F.UNICODE |
    F.REQUEST_TARGET |
    F.NTLM |
    F.ALWAYS_SIGN |
    F.EXTENDED_SESSIONSECURITY |
    F.TARGET_INFO |
    F.VERSION |
    F.KEY_128 |
    F.KEY_EXCH |
    F.SIGN |
    F.SEAL |
    F.KEY_56) >>>
  0;

/**
 * What certfleet insists on after negotiation, on either side: NTLMv2 session security with
 * 128-bit keys and a fresh random session key, signing and sealing. Anything less is weak enough
 * that refusing it is the right answer.
 */
export const REQUIRED_SESSION_FLAGS =
  (F.EXTENDED_SESSIONSECURITY | F.KEY_128 | F.KEY_EXCH | F.SIGN | F.SEAL) >>> 0;

export function hasFlag(flags: number, flag: number): boolean {
  return ((flags & flag) >>> 0) === flag >>> 0;
}

/** Names of the required flags missing from `flags`, for an error message. */
export function missingRequiredFlags(flags: number): string[] {
  const names: Record<number, string> = {
    [F.EXTENDED_SESSIONSECURITY]: "EXTENDED_SESSIONSECURITY",
    [F.KEY_128]: "128",
    [F.KEY_EXCH]: "KEY_EXCH",
    [F.SIGN]: "SIGN",
    [F.SEAL]: "SEAL",
  };
  return Object.entries(names)
    .filter(([bit]) => !hasFlag(flags, Number(bit)))
    .map(([, name]) => name);
}
