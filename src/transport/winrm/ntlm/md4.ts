/**
 * MD4 (RFC 1320). NTLM's NT hash is MD4 of the UTF-16LE password, and Node 20's OpenSSL 3 only
 * offers MD4 through the legacy provider, which is off by default; so it is written here, small,
 * and tested against the RFC's vectors. Used for nothing but the NT hash.
 */
const rotl = (x: number, s: number): number => ((x << s) | (x >>> (32 - s))) >>> 0;

const ROUND2_ORDER = [0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15];
const ROUND3_ORDER = [0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15];
const ROUND1_SHIFTS = [3, 7, 11, 19];
const ROUND2_SHIFTS = [3, 5, 9, 13];
const ROUND3_SHIFTS = [3, 9, 11, 15];

export function md4(input: Buffer): Buffer {
  const length = input.length;
  const padded = Buffer.alloc(Math.ceil((length + 9) / 64) * 64);
  input.copy(padded);
  padded[length] = 0x80;
  // Message length in bits, 64-bit little-endian.
  padded.writeUInt32LE((length * 8) >>> 0, padded.length - 8);
  padded.writeUInt32LE(Math.floor(length / 0x20000000), padded.length - 4);

  const state = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];
  const x = new Array<number>(16);
  for (let block = 0; block < padded.length; block += 64) {
    for (let i = 0; i < 16; i++) x[i] = padded.readUInt32LE(block + i * 4);
    let [a, b, c, d] = state as [number, number, number, number];
    for (let i = 0; i < 16; i++) {
      const f = (b & c) | (~b & d);
      const t = rotl((a + f + x[i]!) >>> 0, ROUND1_SHIFTS[i % 4]!);
      [a, b, c, d] = [d, t, b, c];
    }
    for (let i = 0; i < 16; i++) {
      const g = (b & c) | (b & d) | (c & d);
      const t = rotl((a + g + x[ROUND2_ORDER[i]!]! + 0x5a827999) >>> 0, ROUND2_SHIFTS[i % 4]!);
      [a, b, c, d] = [d, t, b, c];
    }
    for (let i = 0; i < 16; i++) {
      const h = b ^ c ^ d;
      const t = rotl((a + h + x[ROUND3_ORDER[i]!]! + 0x6ed9eba1) >>> 0, ROUND3_SHIFTS[i % 4]!);
      [a, b, c, d] = [d, t, b, c];
    }
    state[0] = (state[0]! + a) >>> 0;
    state[1] = (state[1]! + b) >>> 0;
    state[2] = (state[2]! + c) >>> 0;
    state[3] = (state[3]! + d) >>> 0;
  }
  const out = Buffer.alloc(16);
  state.forEach((word, i) => out.writeUInt32LE(word, i * 4));
  return out;
}
