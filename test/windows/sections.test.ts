import { describe, expect, it } from "vitest";
import { splitMarkedSections } from "../../src/windows/sections.js";

describe("splitMarkedSections", () => {
  it("splits cmd.exe output (trailing space on each marker, CRLF)", () => {
    const text = [
      "==CF:whoami== ",
      "",
      "GROUP INFORMATION",
      "==CF:certutil== ",
      'My "Personal"',
      "CertUtil: -store command completed successfully.",
      "==CF:netsh== ",
      "",
      "SSL Certificate bindings:",
      "==CF:end==",
      "",
    ].join("\r\n");
    expect([...splitMarkedSections(text)]).toEqual([
      ["whoami", "\nGROUP INFORMATION"],
      ["certutil", 'My "Personal"\nCertUtil: -store command completed successfully.'],
      ["netsh", "\nSSL Certificate bindings:"],
      ["end", ""],
    ]);
  });

  it("splits PowerShell output and keeps a banner under the empty name", () => {
    const text = "Welcome\n==CF:whoami==\nS-1-16-12288\n==CF:netsh==\nx\n";
    expect([...splitMarkedSections(text)]).toEqual([
      ["", "Welcome"],
      ["whoami", "S-1-16-12288"],
      ["netsh", "x\n"],
    ]);
  });

  it("finds a marker glued to output that had no final newline", () => {
    const sections = splitMarkedSections("==CF:certutil==\nlast line==CF:netsh== \nbody\n==CF:end==");
    expect(sections.get("certutil")).toBe("last line");
    expect(sections.get("netsh")).toBe("body");
    expect(sections.get("end")).toBe("");
  });

  it("a missing end marker shows as a missing end section", () => {
    expect(splitMarkedSections("==CF:whoami==\nx").has("end")).toBe(false);
  });
});
