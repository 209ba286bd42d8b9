/**
 * One SSH session to one Windows host for the whole run: it learns the shell once, decodes what
 * Windows prints, re-parses bindings, and reconnects when the connection drops. Everything that
 * touches the network for a host goes through here; everything it returns is parsed data. A read
 * whose connection drops is sent again on a fresh one (bounded backoff); a change never is.
 */
import type { Binding } from "../model/binding.js";
import { bindingKey } from "../model/binding.js";
import { BudgetSpentError, CertfleetError, JournalMismatchError } from "../model/errors.js";
import type { HostState, RemoteShell } from "../model/host-state.js";
import { isConnectionLost, isRefused, type Transport } from "../transport/transport.js";
import { SHELL_PROBE, SHOW_ALL_BINDINGS, addBindingCommand, deleteBindingCommand, discoverCommand, isSendable, showBindingCommand, updateBindingCommand } from "../windows/commands.js";
import { classifyNetshResult, type NetshResult } from "../windows/netsh-result.js";
import { printable } from "../windows/grammar.js";
import { parseCertutilStore } from "../windows/certutil-parse.js";
import { decodeWindowsOutput, parseActiveCodePage } from "../windows/decode.js";
import { parseElevation, parseShellProbe } from "../windows/elevation.js";
import { parseNetshShowSslcert } from "../windows/netsh-parse.js";
import { splitMarkedSections } from "../windows/sections.js";
import { discoverAnyShellCommand, shellOfDiscovery } from "../windows/discover-any-shell.js";
import { isSendableDelivery, parseOsBuild, redactCommand } from "../windows/delivery-commands.js";
import { redactPassword } from "../windows/importpfx-result.js";
import { Secret } from "../model/secret.js";
import { consumerSectionsOf } from "../windows/consumer-sections.js";
import { updateVerbByBuild } from "../windows/update-verb.js";

export interface SessionOptions {
  /** configured shell, or auto: learnt from discovery's own line (probed once if something is read first). */
  shell: RemoteShell | "auto";
  commandTimeoutMs: number;
  /** how many times a lost connection is re-opened in a row before the host is given up. */
  reconnectAttempts?: number;
  /** how long one reconnection (its tries and their backoff) may take before the host is given up. */
  reconnectBudgetMs?: number;
  /** how often one read is sent again after its connection dropped or it timed out. */
  readRetries?: number;
  /** milliseconds since some origin; the run's injected clock (backoff budget, time lost). */
  now?: () => number;
  /** waits between reconnection tries (tests inject one that does not sleep). */
  sleep?: (ms: number) => Promise<void>;
  /** observes every command sent (dry-run listings, tests, logs). */
  onCommand?: (command: string) => void;
  /**
   * The host key the journal recorded for this host (rollback, resume): a connection verified with
   * another key is closed before any command is sent.
   */
  expectHostKey?: string;
  /**
   * The host's time budget (--host-timeout): once spent, no new step starts (callers ask
   * `budgetSpent()`), and commands still needed to finish or undo what is in flight share one
   * restore window of one command timeout. Commands are cut at the budget's end.
   */
  hostBudgetMs?: number;
  /** a command has been waiting this long (progress: which hosts wait on what). */
  onWaiting?: (command: string, waitedMs: number) => void;
  /** how often onWaiting is called while a command waits. */
  waitingEveryMs?: number;
}

export interface CommandOutput {
  text: string;
  code: number | null;
}

/** What the network cost this visit: reads sent again, connections re-opened, time lost to both. */
export interface SessionNetworkStats {
  retries: number;
  reconnects: number;
  lostMs: number;
}

/** A failure after which the same read can be sent again on a fresh connection. */
function isTransient(err: unknown): boolean {
  if (err instanceof BudgetSpentError) return false;
  return isConnectionLost(err) || (err instanceof CertfleetError && err.kind === "timeout");
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** What the session has learned about the host during this visit. */
export interface HostCapabilities {
  /** whether `netsh http update sslcert` exists: "no" from discovery's build (2012 R2), else learned at the first try. */
  update: "unknown" | "yes" | "no";
}

export type ChangeOp = "add" | "delete" | "update";

/** A change command's reply, classified (never left as text for the caller to read). */
export interface ChangeReply {
  command: string;
  result: NetshResult;
  /** what the host printed, for the operator (an error's `remote`). */
  text: string;
}

/**
 * What the binding change protocol needs from a session: read a binding, send one classified
 * change, reconnect. HostSession implements it over a transport; tests script it.
 */
export interface ChangeSession {
  readonly host: string;
  readonly shell: RemoteShell;
  readonly learned: HostCapabilities;
  readBinding(ref: Pick<Binding, "kind" | "endpoint">): Promise<Binding | null>;
  /** Builds the command (throws when a value fails the grammar: nothing sent), calls `sending`, sends it. */
  change(op: ChangeOp, binding: Binding, sending: (command: string) => void): Promise<ChangeReply>;
  reconnect(): Promise<void>;
  /** a change timed out: the restore attempts that follow share one window (see HostSession). */
  startRestoreWindow?(): void;
}

const BUILDERS: Record<ChangeOp, (shell: RemoteShell, b: Binding, host: string) => string> = {
  add: addBindingCommand,
  delete: deleteBindingCommand,
  update: updateBindingCommand,
};

// ERROR_FILE_NOT_FOUND as netsh prints it in English, German and French.
const FILE_NOT_FOUND = /cannot find the file|angegebene Datei nicht finden|fichier spécifié est introuvable|error: 2\b/i;

export class HostSession implements ChangeSession {
  private transport: Transport | undefined;
  private resolvedShell: RemoteShell | undefined;
  /** the console's OEM code page, from discovery's `chcp` (undefined until then). */
  private codePage: number | undefined;
  readonly learned: HostCapabilities = { update: "unknown" };
  /** retries, reconnections and the time they cost, for the report. */
  readonly network: SessionNetworkStats = { retries: 0, reconnects: 0, lostMs: 0 };
  private readonly startedMs: number;
  /** set once: the end of the one window that finishing or undoing in-flight work may use. */
  private restoreUntil: number | undefined;

  constructor(
    readonly host: string,
    private readonly connect: () => Promise<Transport>,
    private readonly options: SessionOptions,
  ) {
    this.startedMs = this.nowMs();
  }

  /** The host's time budget is spent: no new step may start. */
  budgetSpent(): boolean {
    const budget = this.options.hostBudgetMs;
    return budget !== undefined && this.nowMs() - this.startedMs >= budget;
  }

  /**
   * A change timed out (or the budget ran out with work in flight): every restore attempt from
   * now on shares one window of one command timeout, instead of each getting its own.
   */
  startRestoreWindow(): void {
    this.restoreUntil ??= this.nowMs() + this.options.commandTimeoutMs;
  }

  /** The timeout for the next command; throws (nothing sent) when the budget and the restore window are spent. */
  private timeoutForNext(): number {
    const base = this.options.commandTimeoutMs;
    const now = this.nowMs();
    const budget = this.options.hostBudgetMs;
    if (this.restoreUntil === undefined && budget !== undefined && now - this.startedMs >= budget) this.startRestoreWindow();
    if (this.restoreUntil !== undefined) {
      const left = this.restoreUntil - now;
      if (left <= 0) {
        throw new BudgetSpentError(
          `the host's time budget${budget !== undefined ? ` (--host-timeout ${Math.round(budget / 1000)} s)` : ""} and the restore window after a timed-out change are spent: no further command was sent`,
          this.host,
        );
      }
      return Math.min(base, left);
    }
    if (budget !== undefined) return Math.max(1, Math.min(base, this.startedMs + budget - now));
    return base;
  }

  get shell(): RemoteShell {
    if (!this.resolvedShell) throw new CertfleetError("precondition", "session used before open()", this.host);
    return this.resolvedShell;
  }

  private nowMs(): number {
    return this.options.now ? this.options.now() : Date.now();
  }

  /**
   * The first connection: a host that cannot be connected to at all is `unreachable`. Later
   * losses are ridden out by `reconnect`.
   */
  /** The SHA256 fingerprint of the host key the open connection was verified with, when known. */
  get hostKey(): string | undefined {
    return this.transport?.hostKey;
  }

  private async dial(): Promise<Transport> {
    const transport = await this.connect();
    const expected = this.options.expectHostKey;
    if (expected !== undefined && transport.hostKey !== undefined && transport.hostKey !== expected) {
      await transport.close().catch(() => undefined);
      throw new JournalMismatchError(
        `the host now presents host key ${transport.hostKey}, but the journal recorded ${expected} for it: stopped before touching it. ` +
          `If the server was reinstalled or replaced, its bindings are not the ones the journal holds; check it by hand.`,
        this.host,
      );
    }
    return transport;
  }

  async open(): Promise<void> {
    try {
      this.transport = await this.dial();
    } catch (err) {
      // A connection cut during the handshake is worth a few more tries; a refused connection,
      // key or credentials, or a host silent until the connect timeout, is not: that host
      // cannot be connected to at all.
      if (!(err instanceof CertfleetError) || err.kind !== "unreachable" || isRefused(err) || err instanceof JournalMismatchError) throw err;
      await this.reconnect().catch(() => {
        throw err;
      });
    }
    // Under `auto` the shell is learnt by discovery's own line (no extra round trip), or by the
    // probe when something is read before discovery (resume, rollback).
    if (this.options.shell !== "auto") this.resolvedShell = this.options.shell;
  }

  /** The shell, probed once when nothing has learnt it yet (rollback, resume). */
  async ensureShell(): Promise<RemoteShell> {
    if (!this.resolvedShell) {
      const out = await this.read(SHELL_PROBE);
      this.resolvedShell = parseShellProbe(out.text, this.host);
    }
    return this.resolvedShell;
  }

  /**
   * Re-opens the connection after it dropped: a few tries with exponential backoff, all within
   * one time budget. A refused host key or credentials are never retried (they will not change).
   */
  async reconnect(): Promise<void> {
    const started = this.nowMs();
    await this.transport?.close().catch(() => undefined);
    this.transport = undefined;
    const attempts = this.options.reconnectAttempts ?? 3;
    const budget = this.options.reconnectBudgetMs ?? 30_000;
    const sleep = this.options.sleep ?? realSleep;
    let last: unknown;
    try {
      for (let i = 0; i < attempts; i++) {
        try {
          this.transport = await this.dial();
          this.network.reconnects++;
          return;
        } catch (err) {
          last = err;
          if (err instanceof CertfleetError && (err.kind === "host-key" || err.kind === "auth")) throw err;
          const wait = 200 * 2 ** i;
          if (i === attempts - 1 || this.nowMs() - started + wait > budget) break;
          await sleep(wait);
        }
      }
    } finally {
      this.network.lostMs += Math.max(0, this.nowMs() - started);
    }
    throw last instanceof CertfleetError
      ? new CertfleetError(last.kind, `could not reconnect after the connection dropped: ${last.message}`, this.host, last.remote, { cause: last })
      : new CertfleetError("unreachable", `could not reconnect after the connection dropped: ${String(last)}`, this.host);
  }

  /** A command that only reads (a consumer's setting, a key's ACL): sent again after a drop. */
  async readOnly(command: string): Promise<CommandOutput> {
    return this.read(command);
  }

  async run(command: string): Promise<CommandOutput> {
    const { bytes, code } = await this.exec(command);
    return { text: decodeWindowsOutput(bytes, this.codePage), code };
  }

  /**
   * A command that only reads (the shell probe, discovery, a binding read back): when its
   * connection drops or it times out, the session reconnects and sends it again, a few times.
   * Changes are never sent through here: their effect is unknown after a loss, and the change
   * protocol (host/change-binding.ts) re-reads instead of re-sending.
   */
  private async readBytes(command: string): Promise<{ bytes: Buffer; code: number | null }> {
    const retries = this.options.readRetries ?? 3;
    let timeouts = 0;
    for (let attempt = 0; ; attempt++) {
      const started = this.nowMs();
      try {
        return await this.exec(command);
      } catch (err) {
        // A read that timed out is sent once more (a stalled channel); a host that hangs on it
        // again would only hold the run longer.
        const timedOut = !isConnectionLost(err) && err instanceof CertfleetError && err.kind === "timeout";
        if (!isTransient(err) || attempt >= retries || (timedOut && ++timeouts > 1)) throw err;
        this.network.lostMs += Math.max(0, this.nowMs() - started);
        this.network.retries++;
        await this.reconnect();
      }
    }
  }

  private async read(command: string): Promise<CommandOutput> {
    const { bytes, code } = await this.readBytes(command);
    return { text: decodeWindowsOutput(bytes, this.codePage), code };
  }

  private async exec(command: string, stdin?: Buffer): Promise<{ bytes: Buffer; code: number | null }> {
    if (!this.transport) throw new CertfleetError("unreachable", "not connected", this.host);
    if (!isSendable(this.resolvedShell, command) && !isSendableDelivery(this.resolvedShell, command)) {
      throw new CertfleetError("precondition", `refused to send a command outside certfleet's grammar: ${printable(redactCommand(command), 120)}`, this.host);
    }
    const timeoutMs = this.timeoutForNext();
    // The observers (dry-run listings, logs, tests, the waiting line) never see an import's one-time password.
    const shown = redactCommand(command);
    this.options.onCommand?.(shown);
    const sent = this.nowMs();
    const onWaiting = this.options.onWaiting;
    const ticker = onWaiting ? setInterval(() => onWaiting(shown, this.nowMs() - sent), this.options.waitingEveryMs ?? 5_000) : undefined;
    ticker?.unref();
    try {
      const res = await this.transport.exec(command, { timeoutMs, ...(stdin !== undefined ? { stdin } : {}) });
      return { bytes: Buffer.concat([res.stdout, res.stderr]), code: res.code };
    } finally {
      if (ticker) clearInterval(ticker);
    }
  }

  /** One round trip: elevation, the My store and every http.sys binding. */
  async discover(): Promise<HostState> {
    const { bytes, code } = await this.readBytes(this.resolvedShell ? discoverCommand(this.resolvedShell) : discoverAnyShellCommand());
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
    const build = parseOsBuild(sections.get("ver") ?? "");
    const consumers = consumerSectionsOf(sections);
    // A build without `netsh http update` (2012 R2) is known now: no line is spent learning it.
    if (this.learned.update === "unknown") this.learned.update = updateVerbByBuild(build);
    return {
      host: this.host,
      shell: this.shell,
      elevated: parseElevation(whoami),
      certificates: [...my.certificates.map((c) => ({ ...c, store: "My" })), ...webHosting.certificates.map((c) => ({ ...c, store: "WebHosting" }))],
      bindings: binds.bindings,
      ...(build !== undefined ? { build } : {}),
      warnings: [...my.warnings, ...webHosting.warnings.map((w) => `WebHosting store: ${w}`), ...binds.warnings, ...consumers.warnings],
      consumers: consumers.readings,
    };
  }

  /** Reads one binding back; null when http.sys has none for that key. */
  async readBinding(ref: Pick<Binding, "kind" | "endpoint">): Promise<Binding | null> {
    const out = await this.read(showBindingCommand(await this.ensureShell(), ref, this.host));
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

  /** Every http.sys binding in one read (the batched rebind's read-back); sent again after a drop. */
  async readAllBindings(): Promise<Binding[]> {
    await this.ensureShell();
    const out = await this.read(SHOW_ALL_BINDINGS);
    const parsed = parseNetshShowSslcert(out.text);
    if (out.code !== 0 && parsed.bindings.length === 0 && out.text.trim() !== "") {
      throw new CertfleetError("parse", "could not read the bindings back", this.host, out.text);
    }
    return parsed.bindings;
  }

  /**
   * One batched compare-and-set line (src/windows/cas-batch.ts), sent once: after a lost
   * connection or a timeout its effect is unknown, and the caller reads back instead of re-sending.
   */
  async sendBatch(command: string): Promise<CommandOutput> {
    const started = this.nowMs();
    return this.run(command).catch((err: unknown) => {
      if (isTransient(err)) this.network.lostMs += Math.max(0, this.nowMs() - started);
      throw err;
    });
  }

  async change(op: ChangeOp, binding: Binding, sending: (command: string) => void): Promise<ChangeReply> {
    const command = BUILDERS[op](this.shell, binding, this.host);
    sending(command);
    const started = this.nowMs();
    const out = await this.run(command).catch((err: unknown) => {
      // Not sent again here (its effect is unknown): the change protocol reconnects and re-reads.
      if (isTransient(err)) this.network.lostMs += Math.max(0, this.nowMs() - started);
      throw err;
    });
    const result = classifyNetshResult(out.text, out.code);
    if (op === "update") {
      if (result.ok) this.learned.update = "yes";
      else if (result.reason === "command-not-found" || result.reason === "syntax") this.learned.update = "no";
    }
    return { command, result, text: out.text };
  }

  /**
   * A delivery command that changes the host (prepare, import, add to CA, remove): sent once,
   * never again after a lost connection (its effect is unknown). The import arrives as a Secret:
   * revealed only here, for the transport; what comes back has the password replaced.
   */
  async deliveryChange(command: Secret<string> | string, password?: Secret<string>, stdin?: Secret<Buffer>): Promise<CommandOutput> {
    const line = typeof command === "string" ? command : command.reveal();
    const out = stdin ? await this.exec(line, stdin.reveal()).then(({ bytes, code }) => ({ text: decodeWindowsOutput(bytes, this.codePage), code })) : await this.run(line);
    return { text: password ? redactPassword(out.text, password) : out.text, code: out.code };
  }

  /** A delivery command that only reads or is safe to repeat (probe, cleanup with its proof): retried like any read. */
  async deliveryRead(command: string): Promise<CommandOutput> {
    return this.read(command);
  }

  /** Whether this host's transport can write a staged file over SFTP (SSH); WinRM stages through a command's stdin instead. */
  get canStageFiles(): boolean {
    return typeof this.transport?.uploadBytes === "function";
  }

  /** Writes a staged file from memory (SFTP over SSH). */
  async uploadBytes(sftpPath: string, bytes: Secret<Buffer> | Buffer): Promise<void> {
    if (!this.transport) throw new CertfleetError("unreachable", "not connected", this.host);
    if (!this.transport.uploadBytes) {
      throw new CertfleetError("precondition", "this host's transport cannot stage a file (no SFTP): import the certificate there by hand, or reach the host over SSH", this.host);
    }
    await this.transport.uploadBytes(sftpPath, bytes instanceof Secret ? bytes.reveal() : bytes);
  }

  async close(): Promise<void> {
    await this.transport?.close().catch(() => undefined);
    this.transport = undefined;
  }
}
