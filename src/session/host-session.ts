/**
 * One SSH session to one Windows host for the whole run: it learns the shell once, decodes what
 * Windows prints, re-parses bindings, and reconnects when the connection drops. Everything that
 * touches the network for a host goes through here; everything it returns is parsed data.
 */
import type { Binding } from "../model/binding.js";
import { bindingKey } from "../model/binding.js";
import { CertfleetError } from "../model/errors.js";
import type { HostState, RemoteShell } from "../model/host-state.js";
import type { Transport } from "../transport/transport.js";
import { SHELL_PROBE, discoverCommand, isSendable, showBindingCommand } from "../windows/commands.js";
import { printable } from "../windows/grammar.js";
import { parseCertutilStore } from "../windows/certutil-parse.js";
import { decodeWindowsOutput, parseActiveCodePage } from "../windows/decode.js";
import { parseElevation, parseShellProbe } from "../windows/elevation.js";
import { parseNetshShowSslcert } from "../windows/netsh-parse.js";
import { splitMarkedSections } from "../windows/sections.js";
import { discoverAnyShellCommand, shellOfDiscovery } from "../windows/discover-any-shell.js";

export interface SessionOptions {
  /** configured shell, or auto: learnt from discovery's own line (probed once if something is read first). */
  shell: RemoteShell | "auto";
  commandTimeoutMs: number;
  /** how often a lost connection is re-opened before the host is given up. */
  reconnectAttempts?: number;
  /** observes every command sent (dry-run listings, tests, logs). */
  onCommand?: (command: string) => void;
}

export interface CommandOutput {
  text: string;
  code: number | null;
}

// ERROR_FILE_NOT_FOUND as netsh prints it in English, German and French.
const FILE_NOT_FOUND = /cannot find the file|angegebene Datei nicht finden|fichier spécifié est introuvable|error: 2\b/i;

export class HostSession {
  private transport: Transport | undefined;
  private resolvedShell: RemoteShell | undefined;
  /** the console's OEM code page, from discovery's `chcp` (undefined until then). */
  private codePage: number | undefined;

  constructor(
    readonly host: string,
    private readonly connect: () => Promise<Transport>,
    private readonly options: SessionOptions,
  ) {}

  get shell(): RemoteShell {
    if (!this.resolvedShell) throw new CertfleetError("precondition", "session used before open()", this.host);
    return this.resolvedShell;
  }

  async open(): Promise<void> {
    this.transport = await this.connect();
    // Under `auto` the shell is learnt by discovery's own line (no extra round trip), or by the
    // probe when something is read before discovery (resume, rollback).
    if (this.options.shell !== "auto") this.resolvedShell = this.options.shell;
  }

  private async ensureShell(): Promise<RemoteShell> {
    if (!this.resolvedShell) {
      const out = await this.run(SHELL_PROBE);
      this.resolvedShell = parseShellProbe(out.text, this.host);
    }
    return this.resolvedShell;
  }

  async reconnect(): Promise<void> {
    await this.transport?.close().catch(() => undefined);
    this.transport = undefined;
    const attempts = this.options.reconnectAttempts ?? 3;
    let last: unknown;
    for (let i = 0; i < attempts; i++) {
      try {
        this.transport = await this.connect();
        return;
      } catch (err) {
        last = err;
        if (err instanceof CertfleetError && (err.kind === "host-key" || err.kind === "auth")) throw err;
        await new Promise((r) => setTimeout(r, 200 * 2 ** i));
      }
    }
    throw last instanceof CertfleetError ? last : new CertfleetError("unreachable", `could not reconnect: ${String(last)}`, this.host);
  }

  async run(command: string): Promise<CommandOutput> {
    const { bytes, code } = await this.exec(command);
    return { text: decodeWindowsOutput(bytes, this.codePage), code };
  }

  private async exec(command: string): Promise<{ bytes: Buffer; code: number | null }> {
    if (!this.transport) throw new CertfleetError("unreachable", "not connected", this.host);
    if (!isSendable(this.resolvedShell, command)) {
      throw new CertfleetError("precondition", `refused to send a command outside certfleet's grammar: ${printable(command, 120)}`, this.host);
    }
    this.options.onCommand?.(command);
    const res = await this.transport.exec(command, { timeoutMs: this.options.commandTimeoutMs });
    return { bytes: Buffer.concat([res.stdout, res.stderr]), code: res.code };
  }

  /** One round trip: elevation, the My store and every http.sys binding. */
  async discover(): Promise<HostState> {
    const { bytes, code } = await this.exec(this.resolvedShell ? discoverCommand(this.resolvedShell) : discoverAnyShellCommand());
    // The chcp section and the shell line are ASCII whatever the code page: read them first, then
    // decode everything with the code page.
    const ascii = splitMarkedSections(bytes.toString("latin1"));
    this.resolvedShell ??= shellOfDiscovery(ascii.get("") ?? "", this.host);
    const chcp = ascii.get("chcp");
    this.codePage = (chcp !== undefined ? parseActiveCodePage(chcp) : undefined) ?? this.codePage;
    const out = { text: decodeWindowsOutput(bytes, this.codePage), code };
    const sections = splitMarkedSections(out.text);
    const whoami = sections.get("whoami");
    const certutil = sections.get("certutil");
    const netsh = sections.get("netsh");
    if (whoami === undefined || certutil === undefined || netsh === undefined || !sections.has("end")) {
      throw new CertfleetError("parse", "discovery output was cut short or unreadable", this.host, out.text.slice(0, 2000));
    }
    const my = parseCertutilStore(certutil);
    // Most servers have no WebHosting store: certutil then fails, and that is no finding.
    const webHostingText = sections.get("certutil-webhosting") ?? "";
    const webHosting = /0x80070002|ERROR_FILE_NOT_FOUND/i.test(webHostingText) ? { certificates: [], warnings: [] } : parseCertutilStore(webHostingText);
    const binds = parseNetshShowSslcert(netsh);
    return {
      host: this.host,
      shell: this.shell,
      elevated: parseElevation(whoami),
      certificates: [...my.certificates.map((c) => ({ ...c, store: "My" })), ...webHosting.certificates.map((c) => ({ ...c, store: "WebHosting" }))],
      bindings: binds.bindings,
      warnings: [...my.warnings, ...webHosting.warnings.map((w) => `WebHosting store: ${w}`), ...binds.warnings],
    };
  }

  /** Reads one binding back; null when http.sys has none for that key. */
  async readBinding(ref: Pick<Binding, "kind" | "endpoint">): Promise<Binding | null> {
    const out = await this.run(showBindingCommand(await this.ensureShell(), ref, this.host));
    const parsed = parseNetshShowSslcert(out.text);
    const key = bindingKey(ref);
    const found = parsed.bindings.find((b) => bindingKey(b) === key);
    if (found) return found;
    if (out.code === 0 && parsed.bindings.length > 0) {
      throw new CertfleetError("parse", `netsh showed a different binding than ${ref.endpoint}`, this.host, out.text);
    }
    if (out.code !== 0 && !FILE_NOT_FOUND.test(out.text) && parsed.bindings.length === 0 && out.text.trim() !== "") {
      throw new CertfleetError("parse", `could not read binding ${ref.endpoint} back`, this.host, out.text);
    }
    return null;
  }

  async close(): Promise<void> {
    await this.transport?.close().catch(() => undefined);
    this.transport = undefined;
  }
}
