import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  commandEnvelope,
  createShellEnvelope,
  parseCommandResponse,
  parseCreateResponse,
  parseEmptyResponse,
  parseReceiveResponse,
  receiveEnvelope,
  sendEnvelope,
  signalEnvelope,
  WsmanFault,
  NS,
} from "../../../src/transport/winrm/soap.js";
import { find, parseXml, XmlSyntaxError } from "../../../src/transport/winrm/xml.js";

const fixture = (name: string): string => readFileSync(join(import.meta.dirname, "../../fixtures/winrm", name), "utf8");

describe("recorded Windows responses (pywinrm test_xmls)", () => {
  it("Create: the ShellId", () => {
    expect(parseCreateResponse(fixture("create-response.xml"))).toBe("11111111-1111-1111-1111-111111111111");
  });

  it("Command: the CommandId", () => {
    expect(parseCommandResponse(fixture("command-response.xml"))).toBe("0DA15A6E-0960-43FF-B54A-91A1A9D36131");
  });

  it("Receive: ipconfig output joined from three fragments, Done, exit 0", () => {
    const r = parseReceiveResponse(fixture("receive-done-ipconfig.xml"));
    expect(r.done).toBe(true);
    expect(r.exitCode).toBe(0);
    expect(r.stderr.length).toBe(0);
    const text = r.stdout.toString("latin1");
    expect(text.startsWith("\r\nWindows IP Configuration\r\n\r\n   Host Name . . . . . . . . . . . . : Server2016\r\n")).toBe(true);
    expect(text.endsWith("   NetBIOS over Tcpip. . . . . . . . : Disabled\r\n")).toBe(true);
    expect(text).toContain("Tunnel adapter isatap.{E4044119-39BD-4E86-BB32-05D907917C22}:");
  });

  it("Receive: stderr text and exit code 1", () => {
    const r = parseReceiveResponse(fixture("receive-done-stderr-exit1.xml"));
    expect(r).toEqual({
      stdout: Buffer.alloc(0),
      stderr: Buffer.from("'fake' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n"),
      done: true,
      exitCode: 1,
    });
  });

  it("the OperationTimeout fault is a WsmanFault that means 'poll again'", () => {
    let caught: unknown;
    try {
      parseReceiveResponse(fixture("fault-operation-timeout.xml"));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(WsmanFault);
    const f = caught as WsmanFault;
    expect(f.isOperationTimeout).toBe(true);
    expect(f.code).toBe("s:Receiver");
    expect(f.subcode).toBe("w:TimedOut");
    expect(f.wsmanCode).toBe("2150858793");
    expect(f.machine).toBe("192.168.1.6");
    expect(f.reason).toBe("The WS-Management service cannot complete the operation within the time specified in OperationTimeout.");
  });

  it("Receive after the timeout: 'Test\\n', Done, exit 0", () => {
    const r = parseReceiveResponse(fixture("receive-done-after-timeout.xml"));
    expect(r.stdout.toString()).toBe("Test\n");
    expect(r.done).toBe(true);
    expect(r.exitCode).toBe(0);
  });

  it("Signal and Delete responses carry no fault", () => {
    expect(() => parseEmptyResponse(fixture("signal-response.xml"))).not.toThrow();
    expect(() => parseEmptyResponse(fixture("delete-response.xml"))).not.toThrow();
  });
});

describe("receive details", () => {
  const receive = (inner: string): string =>
    `<s:Envelope xmlns:s="${NS.s}" xmlns:rsp="${NS.rsp}"><s:Body><rsp:ReceiveResponse>${inner}</rsp:ReceiveResponse></s:Body></s:Envelope>`;

  it("a Running state is not done and has no exit code", () => {
    const r = parseReceiveResponse(
      receive(`<rsp:Stream Name="stdout" CommandId="C">YQ==</rsp:Stream><rsp:CommandState CommandId="C" State="http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Running"/>`),
    );
    expect(r).toEqual({ stdout: Buffer.from("a"), stderr: Buffer.alloc(0), done: false, exitCode: null });
  });

  it("a negative ExitCode (an HRESULT) reads back as the unsigned DWORD", () => {
    const r = parseReceiveResponse(
      receive(
        `<rsp:CommandState CommandId="C" State="http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Done"><rsp:ExitCode>-2147024894</rsp:ExitCode></rsp:CommandState>`,
      ),
    );
    expect(r.exitCode).toBe(0x80070002);
  });

  it("a fragment that is not base64 is refused", () => {
    expect(() => parseReceiveResponse(receive(`<rsp:Stream Name="stdout" CommandId="C">&lt;html&gt;</rsp:Stream>`))).toThrow(/not base64/);
  });

  it("a fault without a WSManFault detail keeps code, subcode and reason", () => {
    const xml = `<s:Envelope xmlns:s="${NS.s}"><s:Body><s:Fault><s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value>w:QuotaLimit</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en-US">The WS-Management service cannot process the request. This user is allowed a maximum number of 30 concurrent shells, which has been exceeded.</s:Text></s:Reason></s:Fault></s:Body></s:Envelope>`;
    expect(() => parseEmptyResponse(xml)).toThrow(/s:Sender \/ w:QuotaLimit: The WS-Management service cannot process the request. This user is allowed a maximum number of 30/);
  });
});

describe("envelopes", () => {
  const ctx = { to: "http://10.0.0.5:5985/wsman", operationTimeoutS: 20, messageId: "uuid:00000000-0000-0000-0000-000000000001" };

  it("Create sets the code page and the cmd resource URI", () => {
    const env = parseXml(createShellEnvelope(ctx).xml);
    const options = Object.fromEntries(
      (find(env, NS.w, "OptionSet")?.children ?? []).map((o) => [o.attrs.Name, o.text]),
    );
    expect(options).toEqual({ WINRS_NOPROFILE: "FALSE", WINRS_CODEPAGE: "65001" });
    expect(find(env, NS.w, "ResourceURI")?.text).toBe("http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd");
    expect(find(env, NS.w, "OperationTimeout")?.text).toBe("PT20S");
    expect(find(env, NS.rsp, "OutputStreams")?.text).toBe("stdout stderr");
  });

  it("Command escapes the command line and names the shell", () => {
    const line = `netsh http show sslcert ipport=0.0.0.0:443 & echo "<done>"`;
    const env = parseXml(commandEnvelope(ctx, "SHELL-1", line).xml);
    expect(find(env, NS.rsp, "Command")?.text).toBe(line);
    expect(find(env, NS.w, "Selector")?.text).toBe("SHELL-1");
    expect(find(env, NS.w, "Selector")?.attrs.Name).toBe("ShellId");
  });

  it("Command refuses control characters XML cannot carry", () => {
    expect(() => commandEnvelope(ctx, "S", "echo a\u0007b")).toThrow(/control characters/);
    expect(() => commandEnvelope(ctx, "S", "echo a\tb")).not.toThrow();
  });

  it("Send, Receive and Signal reference the command", () => {
    const send = parseXml(sendEnvelope(ctx, "S", "C", Buffer.from([0, 1, 2, 255]), true).xml);
    const stream = find(send, NS.rsp, "Stream")!;
    expect(stream.attrs).toEqual({ Name: "stdin", CommandId: "C", End: "true" });
    expect(Buffer.from(stream.text, "base64")).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(find(parseXml(receiveEnvelope(ctx, "S", "C").xml), NS.rsp, "DesiredStream")?.attrs.CommandId).toBe("C");
    const sig = find(parseXml(signalEnvelope(ctx, "S", "C").xml), NS.rsp, "Signal")!;
    expect(sig.attrs.CommandId).toBe("C");
    expect(sig.children[0]?.text).toBe("http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/terminate");
  });
});

describe("xml reader", () => {
  it("refuses a DTD (no entity expansion)", () => {
    expect(() => parseXml(`<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>`)).toThrow(XmlSyntaxError);
  });
  it("refuses mismatched tags and undeclared prefixes", () => {
    expect(() => parseXml(`<a><b></a></b>`)).toThrow(XmlSyntaxError);
    expect(() => parseXml(`<q:a/>`)).toThrow(/undeclared namespace prefix q/);
  });
  it("decodes entities and character references", () => {
    expect(parseXml(`<a>&lt;&#x41;&#66;&amp;</a>`).text).toBe("<AB&");
  });
});
