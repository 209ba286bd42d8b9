import iconv from "iconv-lite";
import { describe, expect, it } from "vitest";
import { decodeWindowsOutput } from "../../src/windows/decode.js";
import { constructed, sample } from "./helpers.js";

const LOCALIZED = [
  sample("netsh-show-fr-FR-iisexpress-fixture-partial.txt"),
  sample("netsh-show-de-DE-verbose-prefixed-partial-scriptrunner.txt"),
  constructed("netsh-show-fr-FR-full-lab.txt"),
  constructed("netsh-show-de-DE-full-constructed.txt"),
  constructed("certutil-store-my-de-DE-constructed.txt"),
  // ’ has no cp850/437 byte; the console prints an ASCII apostrophe for it.
  sample("certutil-store-root-fr-FR-spaced-hash-salt-docstring.txt").replace(/\u2019/g, "'"),
];

describe("decodeWindowsOutput", () => {
  it.each(["cp850", "cp437"])("decodes the French and German samples from %s bytes with CRLF", (cp) => {
    for (const text of LOCALIZED) {
      expect(decodeWindowsOutput(iconv.encode(text.replace(/\n/g, "\r\n"), cp))).toBe(text);
    }
  });

  it("takes valid UTF-8 as UTF-8 and strips a BOM", () => {
    const text = "AUSFÜHRLICH: Zertifikathash : x\nNuméro de série : 00\n";
    expect(decodeWindowsOutput(Buffer.from(text, "utf8"))).toBe(text);
    expect(decodeWindowsOutput(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, "utf8")]))).toBe(text);
  });

  it("reads cp850 bytes that would be mojibake as UTF-8 (Ü is 0x9A)", () => {
    expect(decodeWindowsOutput(Buffer.from([0x41, 0x55, 0x53, 0x46, 0x9a, 0x48, 0x52, 0x4c, 0x49, 0x43, 0x48, 0x3a]))).toBe(
      "AUSFÜHRLICH:",
    );
  });

  it("honours a UTF-16LE BOM", () => {
    const text = "Liaisons de certificat SSL :\r\n";
    expect(decodeWindowsOutput(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]))).toBe(
      "Liaisons de certificat SSL :\n",
    );
  });

  it("normalises CRLF, lone CR and doubled CR to LF", () => {
    expect(decodeWindowsOutput(Buffer.from("a\r\nb\rc\r\r\nd\n"))).toBe("a\nb\nc\nd\n");
  });

  it("decodes empty input to an empty string", () => {
    expect(decodeWindowsOutput(Buffer.alloc(0))).toBe("");
  });
});

describe("the host's code page from chcp", () => {
  it("reads the number from chcp in any language", async () => {
    const { parseActiveCodePage } = await import("../../src/windows/decode.js");
    expect(parseActiveCodePage("Active code page: 437\n")).toBe(437);
    expect(parseActiveCodePage("Page de codes active : 850\r\n")).toBe(850);
    expect(parseActiveCodePage("Aktive Codepage: 850.")).toBe(850);
    expect(parseActiveCodePage("Текущая кодовая страница: 866")).toBe(866);
    expect(parseActiveCodePage("活动代码页: 936")).toBe(936);
    expect(parseActiveCodePage("no number here")).toBeUndefined();
  });

  it("decodes OEM bytes with the learned code page (Cyrillic 866, Chinese 936), UTF-8 still first", async () => {
    const iconv = (await import("iconv-lite")).default;
    const ru = "Привязки SSL-сертификатов:\r\n";
    const zh = "证书哈希(sha1): 12 34\r\n";
    expect(decodeWindowsOutput(iconv.encode(ru, "cp866"), 866)).toBe(ru.replace(/\r\n/g, "\n"));
    expect(decodeWindowsOutput(iconv.encode(zh, "cp936"), 936)).toBe(zh.replace(/\r\n/g, "\n"));
    expect(decodeWindowsOutput(Buffer.from(ru, "utf8"), 866)).toBe(ru.replace(/\r\n/g, "\n"));
    // an unknown code page falls back to 850 rather than failing
    expect(decodeWindowsOutput(iconv.encode("Zertifikathash", "cp850"), 12345)).toBe("Zertifikathash");
  });
});
