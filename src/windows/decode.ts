import iconv from "iconv-lite";

const UTF8_BOM = [0xef, 0xbb, 0xbf];
const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Turns the bytes a Windows console program sent over SSH into text with LF line ends.
 *
 * netsh and certutil write in the console's OEM code page unless the session ran `chcp 65001`,
 * and Win32-OpenSSH passes those bytes through (docs/facts.md §A.4). Text that is valid UTF-8 is
 * taken as UTF-8 (ASCII output, `chcp 65001`, PowerShell with a UTF-8 output encoding); anything
 * else is read in the host's OEM code page when discovery learned it from `chcp` (866, 932, 936,
 * 852, ...), or else as code page 850, which holds the French and German letters at the same
 * byte values as 437, so both decode correctly. A UTF-16LE BOM (PowerShell redirection) is
 * honoured.
 */
export function decodeWindowsOutput(bytes: Buffer, codePage?: number): string {
  let text: string;
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) {
    text = iconv.decode(bytes.subarray(2), "utf16le");
  } else {
    const body = UTF8_BOM.every((b, i) => bytes[i] === b) ? bytes.subarray(3) : bytes;
    try {
      text = STRICT_UTF8.decode(body);
    } catch {
      const cp = codePage !== undefined && codePage !== 65001 && iconv.encodingExists(`cp${codePage}`) ? `cp${codePage}` : "cp850";
      text = iconv.decode(body, cp);
    }
  }
  // `\r\r\n` appears when a CRLF stream passes through a second LF->CRLF conversion.
  return text.replace(/\r*\n|\r/g, "\n");
}

/**
 * The active console code page from `chcp` output, in any display language (`Active code page:
 * 850`, `Page de codes active : 850`, `Aktive Codepage: 850.`): the number is the only digits.
 */
export function parseActiveCodePage(text: string): number | undefined {
  const m = /(\d{3,5})\D*$/.exec(text.trim());
  return m ? Number(m[1]) : undefined;
}
