/**
 * The WS-Management shell protocol (MS-WSMV 3.1.4.x, the WinRS cmd shell) as pure functions:
 * envelopes for Create, Command, Send, Receive, Signal and Delete, and readers for the
 * responses. No I/O here; the transport posts what these build and hands back what it got.
 */
import { randomUUID } from "node:crypto";
import { escapeXml, find, findAll, parseXml, type XmlElement } from "./xml.js";

export const NS = {
  s: "http://www.w3.org/2003/05/soap-envelope",
  a: "http://schemas.xmlsoap.org/ws/2004/08/addressing",
  w: "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
  p: "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd",
  rsp: "http://schemas.microsoft.com/wbem/wsman/1/windows/shell",
  x: "http://schemas.xmlsoap.org/ws/2004/09/transfer",
  f: "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault",
} as const;

export const CMD_RESOURCE_URI = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd";
export const ACTION = {
  create: "http://schemas.xmlsoap.org/ws/2004/09/transfer/Create",
  delete: "http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete",
  command: "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Command",
  send: "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Send",
  receive: "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Receive",
  signal: "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Signal",
} as const;
export const SIGNAL_TERMINATE = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/terminate";
const STATE_DONE = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Done";
/** ERROR_WSMAN_OPERATION_TIMEDOUT: a Receive found no output within OperationTimeout. */
export const WSMAN_OPERATION_TIMEOUT = "2150858793";

/**
 * The shell's console code page. 65001 makes netsh and certutil write UTF-8, which the decoder
 * (src/windows/decode.ts) tries first and reads exactly in every display language; `chcp` in the
 * shell then reports 65001 too, so discovery learns a code page that matches the bytes.
 */
export const SHELL_CODE_PAGE = 65001;

export interface EnvelopeContext {
  /** the endpoint URL, `http://host:5985/wsman` */
  to: string;
  /** seconds the server may hold a request (a Receive) before answering TimedOut */
  operationTimeoutS: number;
  /** bytes; the largest response the server may send */
  maxEnvelopeSize?: number;
  /** `uuid:...`; random when absent */
  messageId?: string;
}

export interface Envelope {
  messageId: string;
  xml: string;
}

function envelope(
  ctx: EnvelopeContext,
  action: string,
  body: string,
  extra: { shellId?: string; options?: Record<string, string> } = {},
): Envelope {
  const messageId = ctx.messageId ?? `uuid:${randomUUID().toUpperCase()}`;
  const selector =
    extra.shellId !== undefined ? `<w:SelectorSet><w:Selector Name="ShellId">${escapeXml(extra.shellId)}</w:Selector></w:SelectorSet>` : "";
  const options =
    extra.options !== undefined
      ? `<w:OptionSet>${Object.entries(extra.options)
          .map(([k, v]) => `<w:Option Name="${escapeXml(k)}">${escapeXml(v)}</w:Option>`)
          .join("")}</w:OptionSet>`
      : "";
  const xml =
    `<?xml version="1.0" encoding="utf-8"?>` +
    `<s:Envelope xmlns:s="${NS.s}" xmlns:a="${NS.a}" xmlns:w="${NS.w}" xmlns:p="${NS.p}" xmlns:rsp="${NS.rsp}">` +
    `<s:Header>` +
    `<a:To>${escapeXml(ctx.to)}</a:To>` +
    `<a:ReplyTo><a:Address s:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>` +
    `<w:MaxEnvelopeSize s:mustUnderstand="true">${ctx.maxEnvelopeSize ?? 153600}</w:MaxEnvelopeSize>` +
    `<a:MessageID>${messageId}</a:MessageID>` +
    `<w:Locale xml:lang="en-US" s:mustUnderstand="false"/>` +
    `<p:DataLocale xml:lang="en-US" s:mustUnderstand="false"/>` +
    `<w:OperationTimeout>PT${Math.max(1, Math.round(ctx.operationTimeoutS))}S</w:OperationTimeout>` +
    `<w:ResourceURI s:mustUnderstand="true">${CMD_RESOURCE_URI}</w:ResourceURI>` +
    `<a:Action s:mustUnderstand="true">${action}</a:Action>` +
    selector +
    options +
    `</s:Header><s:Body>${body}</s:Body></s:Envelope>`;
  return { messageId, xml };
}

export function createShellEnvelope(ctx: EnvelopeContext, codePage = SHELL_CODE_PAGE): Envelope {
  return envelope(ctx, ACTION.create, `<rsp:Shell><rsp:InputStreams>stdin</rsp:InputStreams><rsp:OutputStreams>stdout stderr</rsp:OutputStreams></rsp:Shell>`, {
    options: { WINRS_NOPROFILE: "FALSE", WINRS_CODEPAGE: String(codePage) },
  });
}

/** The whole command line goes in rsp:Command; the shell runs it under `cmd /c` as typed. */
/**
 * `pipedStdin`: the command's input comes from Send (WINRS_CONSOLEMODE_STDIN FALSE, a pipe, as
 * winrs.exe does for redirected input); otherwise the console's.
 */
export function commandEnvelope(ctx: EnvelopeContext, shellId: string, commandLine: string, pipedStdin = false): Envelope {
  // XML 1.0 cannot carry these at all, escaped or not.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/.test(commandLine)) {
    throw new RangeError("a command line with control characters cannot be sent over WS-Management");
  }
  return envelope(ctx, ACTION.command, `<rsp:CommandLine><rsp:Command>${escapeXml(commandLine)}</rsp:Command></rsp:CommandLine>`, {
    shellId,
    options: { WINRS_CONSOLEMODE_STDIN: pipedStdin ? "FALSE" : "TRUE", WINRS_SKIP_CMD_SHELL: "FALSE" },
  });
}

export function sendEnvelope(ctx: EnvelopeContext, shellId: string, commandId: string, data: Buffer, end: boolean): Envelope {
  return envelope(
    ctx,
    ACTION.send,
    `<rsp:Send><rsp:Stream Name="stdin" CommandId="${escapeXml(commandId)}"${end ? ` End="true"` : ""}>${data.toString("base64")}</rsp:Stream></rsp:Send>`,
    { shellId },
  );
}

export function receiveEnvelope(ctx: EnvelopeContext, shellId: string, commandId: string): Envelope {
  return envelope(ctx, ACTION.receive, `<rsp:Receive><rsp:DesiredStream CommandId="${escapeXml(commandId)}">stdout stderr</rsp:DesiredStream></rsp:Receive>`, {
    shellId,
  });
}

export function signalEnvelope(ctx: EnvelopeContext, shellId: string, commandId: string, code = SIGNAL_TERMINATE): Envelope {
  return envelope(ctx, ACTION.signal, `<rsp:Signal CommandId="${escapeXml(commandId)}"><rsp:Code>${escapeXml(code)}</rsp:Code></rsp:Signal>`, { shellId });
}

export function deleteShellEnvelope(ctx: EnvelopeContext, shellId: string): Envelope {
  return envelope(ctx, ACTION.delete, "", { shellId });
}

// ---------------------------------------------------------------------------------------------
// Responses

/** A SOAP fault, with WS-Management's numeric code when the server gave one. */
export class WsmanFault extends Error {
  constructor(
    /** `s:Receiver`, `s:Sender` */
    readonly code: string,
    /** `w:TimedOut`, `w:InvalidSelectors`, ... */
    readonly subcode: string | undefined,
    /** the fault's Reason text */
    readonly reason: string,
    /** WSManFault Code (decimal, e.g. 2150858793) */
    readonly wsmanCode: string | undefined,
    readonly machine: string | undefined,
  ) {
    super(`WS-Management fault ${[code, subcode, wsmanCode].filter((x) => x !== undefined).join(" / ")}: ${reason}`);
    this.name = "WsmanFault";
  }

  get isOperationTimeout(): boolean {
    return this.wsmanCode === WSMAN_OPERATION_TIMEOUT || (this.wsmanCode === undefined && /(^|:)TimedOut$/.test(this.subcode ?? ""));
  }
}

export class WsmanProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WsmanProtocolError";
  }
}

export interface ParsedResponse {
  action: string | undefined;
  relatesTo: string | undefined;
  body: XmlElement;
}

const clean = (s: string): string => s.replace(/\s+/g, " ").trim();

/** Reads an envelope; a Fault body is thrown as WsmanFault. */
export function parseResponse(xml: string): ParsedResponse {
  let root: XmlElement;
  try {
    root = parseXml(xml);
  } catch (err) {
    throw new WsmanProtocolError(`the server's response is not XML: ${(err as Error).message}`);
  }
  if (root.ns !== NS.s || root.local !== "Envelope") throw new WsmanProtocolError(`the server's response is not a SOAP 1.2 envelope (root <${root.local}>)`);
  const header = root.children.find((c) => c.ns === NS.s && c.local === "Header");
  const body = root.children.find((c) => c.ns === NS.s && c.local === "Body");
  if (!body) throw new WsmanProtocolError("the server's response has no SOAP Body");
  const fault = body.children.find((c) => c.ns === NS.s && c.local === "Fault");
  if (fault) throw faultOf(fault);
  const headerText = (local: string): string | undefined => {
    const el = header?.children.find((c) => c.ns === NS.a && c.local === local);
    return el ? el.text.trim() : undefined;
  };
  return { action: headerText("Action"), relatesTo: headerText("RelatesTo"), body };
}

function faultOf(fault: XmlElement): WsmanFault {
  const codeEl = fault.children.find((c) => c.local === "Code");
  const code = codeEl?.children.find((c) => c.local === "Value")?.text.trim() ?? "unknown";
  const subcode = codeEl?.children.find((c) => c.local === "Subcode")?.children.find((c) => c.local === "Value")?.text.trim();
  const reasonText = fault.children.find((c) => c.local === "Reason")?.children.find((c) => c.local === "Text")?.text;
  const detail = find(fault, NS.f, "WSManFault");
  const message = detail ? find(detail, NS.f, "Message") : undefined;
  const reason = clean(reasonText ?? message?.text ?? "") || "(no reason given)";
  return new WsmanFault(code, subcode, reason, detail?.attrs.Code, detail?.attrs.Machine);
}

/** Create -> the ShellId (from the selector of ResourceCreated, else rsp:Shell/rsp:ShellId). */
export function parseCreateResponse(xml: string): string {
  const { body } = parseResponse(xml);
  const selector = findAll(body, NS.w, "Selector").find((s) => s.attrs.Name === "ShellId");
  const id = (selector?.text ?? find(body, NS.rsp, "ShellId")?.text ?? "").trim();
  if (id === "") throw new WsmanProtocolError("the Create response names no ShellId");
  return id;
}

export function parseCommandResponse(xml: string): string {
  const { body } = parseResponse(xml);
  const id = find(body, NS.rsp, "CommandId")?.text.trim() ?? "";
  if (id === "") throw new WsmanProtocolError("the Command response names no CommandId");
  return id;
}

export interface ReceiveChunk {
  stdout: Buffer;
  stderr: Buffer;
  done: boolean;
  /** set when done: the process exit code, as Windows' unsigned DWORD */
  exitCode: number | null;
}

/**
 * One ReceiveResponse: the stdout/stderr fragments in order and whether CommandState is Done.
 * Windows sends an exit code above 2^31 (an HRESULT) as a negative int; it is read back as the
 * unsigned DWORD the SSH transport reports, so callers compare the same numbers.
 */
export function parseReceiveResponse(xml: string): ReceiveChunk {
  const { body } = parseResponse(xml);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  for (const s of findAll(body, NS.rsp, "Stream")) {
    const data = s.text.trim();
    if (data === "") continue;
    if (!/^[A-Za-z0-9+/\s]*={0,2}$/.test(data)) throw new WsmanProtocolError(`a ${s.attrs.Name ?? "stream"} fragment is not base64`);
    const bytes = Buffer.from(data, "base64");
    if (s.attrs.Name === "stdout") out.push(bytes);
    else if (s.attrs.Name === "stderr") err.push(bytes);
  }
  const state = find(body, NS.rsp, "CommandState");
  const done = state?.attrs.State === STATE_DONE;
  let exitCode: number | null = null;
  if (done) {
    const text = state ? find(state, NS.rsp, "ExitCode")?.text.trim() : undefined;
    if (text !== undefined && /^-?\d{1,10}$/.test(text)) exitCode = Number(text) >>> 0;
  }
  return { stdout: Buffer.concat(out), stderr: Buffer.concat(err), done, exitCode };
}

/** Signal, Send and Delete answer with an (almost) empty body; only a fault matters. */
export function parseEmptyResponse(xml: string): void {
  parseResponse(xml);
}
