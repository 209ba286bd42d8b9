import { describe, expect, it } from "vitest";
import { classifyNetshResult, NetshResult } from "../../src/windows/netsh-result.js";

// netsh prints an empty line first, then the result (docs/messages.md), CRLF on the wire.
const out = (...lines: string[]): string => ["", ...lines, ""].join("\r\n");

describe("classifyNetshResult: every message in docs/messages.md", () => {
  it.each([
    ["SSL Certificate successfully added", "added"],
    ["SSL Certificate successfully deleted", "deleted"],
    ["SSL Certificate successfully updated", "updated"],
  ] as const)("success: %s", (line, verb) => {
    const result = classifyNetshResult(out(line), 0);
    expect(result).toEqual({ ok: true, verb });
    expect(NetshResult.parse(result)).toEqual(result);
  });

  it("the wrong word order some code checks for still counts as success by exit code", () => {
    expect(classifyNetshResult(out("SSL Certificate added successfully"), 0)).toEqual({ ok: true });
  });

  it.each([
    [
      "add on an existing binding",
      out("SSL Certificate add failed, Error: 183", "Cannot create a file when that file already exists."),
      { reason: "already-exists", code: 183 },
    ],
    [
      "certificate without a usable private key",
      out(
        "SSL Certificate add failed, Error: 1312",
        "A specified logon session does not exist. It may already have been terminated.",
      ),
      { reason: "no-such-logon-session", code: 1312 },
    ],
    ["unquoted {GUID} under PowerShell", out("The parameter is incorrect."), { reason: "invalid-parameter", code: 87 }],
    [
      "Pode's wrapper around the same message",
      out("Failed to attach certificate:", "The parameter is incorrect."),
      { reason: "invalid-parameter", code: 87 },
    ],
    ["Error: 87 with its text", out("SSL Certificate add failed, Error: 87", "The parameter is incorrect."), { reason: "invalid-parameter", code: 87 }],
    [
      "delete of a missing binding",
      out("SSL Certificate deletion failed, Error: 2", "The system cannot find the file specified."),
      { reason: "not-found", code: 2 },
    ],
    ["show of a missing binding", out("The system cannot find the file specified."), { reason: "not-found", code: 2 }],
    ["not elevated (line 1 only)", out("SSL Certificate add failed, Error: 5"), { reason: "access-denied", code: 5 }],
    ["not elevated (both lines)", out("SSL Certificate add failed, Error: 5", "Access is denied."), { reason: "access-denied", code: 5 }],
    [
      "elevation text",
      out("The requested operation requires elevation (Run as administrator)."),
      { reason: "elevation-required", code: 740 },
    ],
    [
      "missing or unknown parameter",
      out(
        "One or more essential parameters were not entered.",
        "Verify the required parameters, and reenter them.",
        "The syntax supplied for this command is not valid. Check help for the correct syntax.",
        "",
        "Usage: add sslcert hostnameport=<name:port> | ipport=<ipaddr:port> | ccs=<port>",
        "        appid=<GUID>",
        "        [certhash=<string>]",
        "        [enablesessionticket=enable|disable]",
        "",
        "Parameters",
      ),
      { reason: "syntax" },
    ],
    [
      "unsupported parameter (syntax line only)",
      out("The syntax supplied for this command is not valid. Check help for the correct syntax."),
      { reason: "syntax" },
    ],
    [
      "no update verb on 2012 R2",
      out(
        "The following command was not found: http update sslcert ipport=0.0.0.0:443 certhash= appid={00000000-0000-0000-0000-000000000000}.",
      ),
      { reason: "command-not-found" },
    ],
    [
      "the same, behind Milestone's cmdlet prefix",
      "Failed to update certificate binding.\r\nThe following command was not found: http update sslcert ipport=0.0.0.0:443 certhash= appid={00000000-0000-0000-0000-000000000000}.\r\n",
      { reason: "command-not-found" },
    ],
    ["an update failure with an unmapped code", out("SSL Certificate update failed, Error: 1168", "Element not found."), { reason: "unknown", code: 1168 }],
    ["a localized error number (constructed French)", out("Échec de l'ajout du certificat SSL, Erreur : 183"), { reason: "already-exists", code: 183 }],
    ["a localized error number (constructed German)", out("Fehler beim Hinzufügen des SSL-Zertifikats, Fehler: 1312"), { reason: "no-such-logon-session", code: 1312 }],
  ])("failure: %s", (_name, text, expected) => {
    const result = classifyNetshResult(text, 1);
    expect(result).toEqual({ ok: false, ...expected, text: text.replace(/\r\n/g, "\n").trim() });
    expect(NetshResult.parse(result)).toEqual(result);
  });

  it("decides by exit code and failure words when nothing is recognised", () => {
    expect(classifyNetshResult("\r\n", 0)).toEqual({ ok: true });
    expect(classifyNetshResult("\r\n", 1)).toEqual({ ok: false, reason: "unknown", text: "" });
    expect(classifyNetshResult(out("Something failed"), 0)).toEqual({ ok: false, reason: "unknown", text: "Something failed" });
    expect(classifyNetshResult(out("SSL Certificate successfully added"), null)).toEqual({ ok: true, verb: "added" });
    expect(classifyNetshResult(out("?"), null)).toEqual({ ok: false, reason: "unknown", text: "?" });
  });

  it("the error number wins over a success exit code", () => {
    expect(classifyNetshResult(out("SSL Certificate add failed, Error: 183"), 0)).toMatchObject({ ok: false, reason: "already-exists" });
  });
});
