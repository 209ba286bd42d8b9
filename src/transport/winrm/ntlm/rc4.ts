/**
 * RC4, the cipher of NTLM session security (MS-NLMP 3.4) and of its key exchange. Node 20's
 * OpenSSL 3 has it only in the legacy provider, off by default; written here and tested against
 * RFC 6229. A `Rc4` object is a keystream that continues across calls, which NTLM needs: one
 * handle per direction lives for the whole session.
 */
export class Rc4 {
  readonly #s = new Uint8Array(256);
  #i = 0;
  #j = 0;

  constructor(key: Buffer) {
    if (key.length === 0 || key.length > 256) throw new RangeError("RC4 key length must be 1..256 bytes");
    const s = this.#s;
    for (let i = 0; i < 256; i++) s[i] = i;
    let j = 0;
    for (let i = 0; i < 256; i++) {
      j = (j + s[i]! + key[i % key.length]!) & 0xff;
      const t = s[i]!;
      s[i] = s[j]!;
      s[j] = t;
    }
  }

  /** Encrypts (or decrypts: the same operation) `data`, advancing the keystream. */
  update(data: Buffer): Buffer {
    const s = this.#s;
    const out = Buffer.alloc(data.length);
    let i = this.#i;
    let j = this.#j;
    for (let n = 0; n < data.length; n++) {
      i = (i + 1) & 0xff;
      j = (j + s[i]!) & 0xff;
      const t = s[i]!;
      s[i] = s[j]!;
      s[j] = t;
      out[n] = data[n]! ^ s[(s[i]! + s[j]!) & 0xff]!;
    }
    this.#i = i;
    this.#j = j;
    return out;
  }
}

/** One-shot RC4 with a fresh key (MS-NLMP's RC4K). */
export function rc4k(key: Buffer, data: Buffer): Buffer {
  return new Rc4(key).update(data);
}
