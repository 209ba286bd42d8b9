/**
 * Which private keys certfleet delivers to Windows hosts (decided here, documented in
 * docs/pfx-delivery.md). The rule is one for the whole fleet: the certificate has to work on every
 * build certfleet supports (Server 2012 R2, build 9600, through Server 2025), so a key type that only
 * newer builds can use is refused on the controller, before any host is contacted.
 *
 * - RSA: 2048 bits or more (CNG's limit of 16384 at most). Shorter keys import, but every current
 *   browser and the CA/Browser Forum baseline refuse them.
 * - EC: NIST P-256 and P-384, the two curves Schannel enables by default on every one of those
 *   builds. P-521 and the Brainpool curves are refused: since Windows 10 1607 / Server 2016 they
 *   are "supported by the Microsoft Schannel Provider, but not enabled by default" (Microsoft
 *   Learn, "TLS Elliptic Curves in Windows 10 1607 and later"), and CNG names the Brainpool
 *   curves only "beginning in Windows 10" (so not on 2012 R2): a handshake could fail on some
 *   hosts and succeed on others.
 * - Everything else (RSA-PSS-only keys, Ed25519/Ed448, DSA) is refused: Schannel server
 *   certificates on these builds do not use them.
 */
export type KeyDescription =
  | { algorithm: "rsa"; bits: number }
  | { algorithm: "ec"; curve: string }
  | { algorithm: "other"; name: string };

export const RSA_MIN_BITS = 2048;
export const RSA_MAX_BITS = 16384;

/** OpenSSL curve names (what node:crypto reports) and the names Windows and operators use. */
export const ACCEPTED_CURVES: Readonly<Record<string, string>> = {
  prime256v1: "P-256",
  secp384r1: "P-384",
};

export function describeKey(desc: KeyDescription): string {
  switch (desc.algorithm) {
    case "rsa":
      return `RSA ${desc.bits}-bit`;
    case "ec":
      return `EC ${ACCEPTED_CURVES[desc.curve] ?? desc.curve}`;
    case "other":
      return desc.name;
  }
}

/** Null when the key is usable on every target build; else the reason, for an InputError. */
export function keyProblem(desc: KeyDescription): string | null {
  switch (desc.algorithm) {
    case "rsa":
      if (desc.bits < RSA_MIN_BITS) return `its key is RSA ${desc.bits}-bit; certfleet needs at least ${RSA_MIN_BITS} bits`;
      if (desc.bits > RSA_MAX_BITS) return `its key is RSA ${desc.bits}-bit; Windows CNG takes at most ${RSA_MAX_BITS} bits`;
      return null;
    case "ec":
      if (ACCEPTED_CURVES[desc.curve] !== undefined) return null;
      return `its key is on the EC curve ${desc.curve}, which not every target Windows build (Server 2012 R2 to 2025) can use for TLS; use P-256 or P-384`;
    case "other":
      return `its key type (${desc.name}) cannot serve TLS on the target Windows builds; use RSA (2048 bits or more) or EC P-256/P-384`;
  }
}
