import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import iconv from "iconv-lite";
import { expect } from "vitest";
import { decodeWindowsOutput } from "../../src/windows/decode.js";

const FIXTURES = fileURLToPath(new URL("../fixtures/", import.meta.url));

export function sample(name: string): string {
  return readFileSync(`${FIXTURES}windows-samples/${name}`, "utf8");
}
export function constructed(name: string): string {
  return readFileSync(`${FIXTURES}constructed/${name}`, "utf8");
}

/**
 * The forms a captured output can reach a parser in: LF as stored, CRLF as Windows writes it
 * (raw and through the decoder), and for localized samples the console's OEM code-page bytes
 * (850 and 437) through decodeWindowsOutput.
 */
export function variants(text: string, opts: { oem?: boolean } = {}): Array<[string, string]> {
  const crlf = text.replace(/\n/g, "\r\n");
  const out: Array<[string, string]> = [
    ["LF", text],
    ["CRLF", crlf],
    ["CRLF utf-8 bytes", decodeWindowsOutput(Buffer.from(crlf, "utf8"))],
  ];
  if (opts.oem) {
    out.push(["CRLF cp850 bytes", decodeWindowsOutput(iconv.encode(crlf, "cp850"))]);
    out.push(["CRLF cp437 bytes", decodeWindowsOutput(iconv.encode(crlf, "cp437"))]);
  }
  return out;
}

/** toEqual ignores key order; settings must also keep the order netsh printed them in. */
export function expectSameOrder(actual: Record<string, string>, expected: Record<string, string>): void {
  expect(actual).toEqual(expected);
  expect(Object.keys(actual)).toEqual(Object.keys(expected));
}
