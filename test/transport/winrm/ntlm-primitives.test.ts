import { describe, expect, it } from "vitest";
import { md4 } from "../../../src/transport/winrm/ntlm/md4.js";
import { Rc4, rc4k } from "../../../src/transport/winrm/ntlm/rc4.js";

// RFC 1320 appendix A.5 test suite.
const MD4_VECTORS: [string, string][] = [
  ["", "31d6cfe0d16ae931b73c59d7e0c089c0"],
  ["a", "bde52cb31de33e46245e05fbdbd6fb24"],
  ["abc", "a448017aaf21d8525fc10ae87aa6729d"],
  ["message digest", "d9130a8164549fe818874806e1c7014b"],
  ["abcdefghijklmnopqrstuvwxyz", "d79e1c308aa5bbcdeea8ed63df412da9"],
  ["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "043f8582f241db351ce627e153e7f0e4"],
  ["12345678901234567890123456789012345678901234567890123456789012345678901234567890", "e33b4ddc9c38f2199c3e7b164fcc0536"],
];

describe("md4", () => {
  it.each(MD4_VECTORS)("RFC 1320: MD4(%j)", (input, digest) => {
    expect(md4(Buffer.from(input, "latin1")).toString("hex")).toBe(digest);
  });

  it("pads correctly around the 64-byte block edge", () => {
    // Digests of n letters "a" from OpenSSL's legacy MD4 (`openssl dgst -md4 -provider legacy`).
    const expected: [number, string][] = [
      [55, "c889c81dd86c4d2e025778944ea02881"],
      [56, "d5f9a9e9257077a5f08b0b92f348b0ad"],
      [63, "7ea3da77432d44c323671097d1348fc8"],
      [64, "52f5076fabd22680234a3fa9f9dc5732"],
      [65, "330e377bf231f3cacfecc2c182fe7e5b"],
    ];
    for (const [n, digest] of expected) expect(md4(Buffer.alloc(n, 0x61)).toString("hex")).toBe(digest);
  });
});

describe("rc4", () => {
  it("RFC 6229: 40-bit key 0102030405, keystream bytes 0..31", () => {
    expect(rc4k(Buffer.from("0102030405", "hex"), Buffer.alloc(32)).toString("hex")).toBe(
      "b2396305f03dc027ccc3524a0a1118a86982944f18fc82d589c403a47a0d0919",
    );
  });

  it("RFC 6229: 128-bit key 0102..10, keystream bytes 0..31", () => {
    expect(rc4k(Buffer.from("0102030405060708090a0b0c0d0e0f10", "hex"), Buffer.alloc(32)).toString("hex")).toBe(
      "9ac7cc9a609d1ef7b2932899cde41b975248c4959014126a6e8a84f11d1a9e1c",
    );
  });

  it("keeps its keystream across calls (bytes 4096..4111 reached in uneven steps)", () => {
    const rc4 = new Rc4(Buffer.from("0102030405060708090a0b0c0d0e0f10", "hex"));
    let consumed = 0;
    for (const step of [1, 7, 500, 3000, 588]) {
      rc4.update(Buffer.alloc(step));
      consumed += step;
    }
    expect(consumed).toBe(4096);
    // Keystream at offset 4096 for this key, from OpenSSL's legacy RC4 (`openssl enc -rc4`).
    expect(rc4.update(Buffer.alloc(16)).toString("hex")).toBe("a36a4c301ae8ac13610ccbc12256cacc");
  });

  it("rejects an empty key", () => {
    expect(() => new Rc4(Buffer.alloc(0))).toThrow(RangeError);
  });
});
