/**
 * One simulated Windows host: its state (stores, bindings, profile, faults), its SSH server and
 * its TLS endpoints. Tests reach into it directly (snapshot, commandLog, faults) to set up and
 * to check what certfleet did.
 */
import { setTimeout as delay } from "node:timers/promises";
import { RDP_VALUE, WMSVC_PORT, WMSVC_VALUE, listenersOf, seedRegistry, winrmBinding, SIM_SERVICES, type SimService } from "./consumers.js";
import { executeCommand, type ExecHost, type ExecuteOptions } from "./exec.js";
import { SimFileSystem } from "./files.js";
import { NETWORK_SERVICE, aclOf, canRead, type SimAce } from "./key-acl.js";
import { completeParams } from "./netsh-fields.js";
import { normalizeEndpoint } from "./netsh.js";
import { createCertificate, type SimCertificate } from "./pki.js";
import { RdpListener, type RdpCertificate, type RdpResolver } from "./rdp.js";
import { SIM_REG_KEYS, SimRegistry, type SimRegistryValue } from "./registry.js";
import { SshListener, generateHostKey, type ExecReply, type HostKey } from "./server.js";
import {
  bindingKeyOf,
  cloneBinding,
  defaultFaults,
  storeMatches,
  type SimBinding,
  type SimBindingSpec,
  type SimCertificateSpec,
  type SimFaults,
  type SimHostSpec,
  type SimProfile,
  type SimSnapshot,
  type SimStoreEntry,
} from "./state.js";
import { TlsEndpoints, type HandshakeResolver, type ListenerId, type ServedCertificate } from "./tls.js";
import type { SimWinrmListener } from "./winrm-listener.js";
import { WinrmListener, type WinrmExecReply } from "./winrm/server.js";

export interface SimHostAccess {
  user: string;
  password?: string;
  /** OpenSSH public key line accepted for publickey auth */
  authorizedKey?: string;
}

/** Thrown out of a command when the dropAfterChanges fault cuts the connection mid-command. */
class ConnectionCut extends Error {}
/** A program of a command line hangs (faults.hangOn): what ran before it in the line stays done. */
class ProgramHang extends Error {}

interface StaleServe {
  cert: SimCertificate;
  remaining: number;
}

const WILDCARD = new Set(["0.0.0.0", "[::]"]);

function splitEndpoint(endpoint: string): { host: string; port: string } {
  const i = endpoint.lastIndexOf(":");
  return { host: endpoint.slice(0, i), port: endpoint.slice(i + 1) };
}

function garble(output: Buffer): Buffer {
  const junk = Buffer.from([0xff, 0xfe, 0x00, 0x8f, 0x1b, 0x5b, 0x3f, 0x32, 0x35, 0x6c, 0xc3, 0x28]);
  return Buffer.concat([output.subarray(0, Math.floor(output.length / 2)), junk]);
}

function matches(re: RegExp | undefined, text: string): boolean {
  if (!re) return false;
  re.lastIndex = 0;
  return re.test(text);
}

export interface SimConsumerSnapshot {
  registry: Record<string, SimRegistryValue>;
  winrmListeners: SimWinrmListener[];
  /** private-key ACL per certificate thumbprint (every certificate with a key) */
  keyAcls: Record<string, SimAce[]>;
}

export class SimHost implements ExecHost, HandshakeResolver, RdpResolver {
  readonly name: string;
  readonly groups: string[];
  profile: SimProfile;
  /** assign any field at any time; `unreachable` closes/reopens the SSH listener (see setFaults to await it) */
  readonly faults: SimFaults;
  certificates: SimStoreEntry[];
  bindings: SimBinding[];
  /** every exec command line received, in order, including ones that hung or dropped */
  readonly commandLog: string[] = [];
  /** the host's disk as far as delivery touches it (C:\ProgramData, C:\Users\<user>); SFTP writes here */
  readonly files: SimFileSystem;
  /** TCP connections accepted on the SSH port so far (dropConnectionEveryNth counts them). */
  connections = 0;
  readonly user: string;
  /** registry values the consumers read (RDP, WMSvc); reg.exe works on it */
  readonly registry = new SimRegistry();
  winrmListeners: SimWinrmListener[];
  /** private-key ACLs by certificate thumbprint; absent = SYSTEM and Administrators only */
  readonly keyAcls = new Map<string, SimAce[]>();
  /** every service restart, in order (see restartService) */
  readonly restarts: SimService[] = [];
  private readonly rdp: RdpListener | null;
  private selfSigned: SimCertificate | undefined;
  private readonly hostKey: HostKey;
  private readonly ssh: SshListener;
  /** the WS-Management listener, when the spec asks for one */
  readonly winrm: WinrmListener | undefined;
  /** the HTTPS listener's self-signed certificate (WinRM over HTTPS only) */
  readonly winrmCertificate: SimCertificate | undefined;
  private readonly tls: TlsEndpoints;
  private readonly stale = new Map<string, StaleServe>();
  private reachability: Promise<void> = Promise.resolve();
  /** binding changes made by the command now running (for dropAfterChanges) */
  private changesThisCommand = 0;
  /**
   * Every binding change the host made, in order: its key (`kind=endpoint`) and the hash it then
   * held (null: deleted). What really changed, whatever the command lines said they might do.
   */
  readonly changeLog: Array<{ key: string; certHash: string | null }> = [];

  constructor(spec: SimHostSpec, access: SimHostAccess) {
    this.name = spec.name;
    this.groups = [...(spec.groups ?? [])];
    this.user = access.user;
    this.profile = { os: "2022", language: "en", shell: "cmd", elevated: true, ...spec.profile };
    const raw: SimFaults = { ...defaultFaults(), ...spec.faults };
    this.faults = new Proxy(raw, {
      set: (target, prop, value: unknown) => {
        (target as unknown as Record<string | symbol, unknown>)[prop] = value;
        if (prop === "unreachable") this.reachability = this.applyReachability();
        return true;
      },
    });
    this.files = new SimFileSystem(["C:\\Windows\\System32", "C:\\Windows\\Temp", "C:\\ProgramData", `C:\\Users\\${access.user}`]);
    this.certificates = (spec.certificates ?? []).map((c) => this.entryOf(c));
    this.bindings = (spec.bindings ?? []).map((b) => this.bindingOf(b));
    this.winrmListeners = listenersOf(spec.consumers);
    seedRegistry(this.registry, spec.consumers);
    for (const g of spec.consumers?.keyGrants ?? []) {
      const t = g.thumbprint.toLowerCase();
      this.keyAcls.set(t, [...aclOf(this, t), { sid: g.sid.toUpperCase(), rights: "FR" }]);
    }
    this.rdp = spec.consumers?.rdp ? new RdpListener(this) : null;
    this.hostKey = generateHostKey(`${spec.name}@certfleet-sim`);
    this.tls = new TlsEndpoints(this);
    this.ssh = new SshListener(this.hostKey, {
      user: access.user,
      ...(access.password !== undefined ? { password: access.password } : {}),
      ...(access.authorizedKey !== undefined ? { authorizedKey: access.authorizedKey } : {}),
      handler: {
        refuseAuth: () => this.faults.badAuth,
        dropConnection: () => {
          this.connections++;
          const nth = this.faults.dropConnectionEveryNth ?? 0;
          return nth > 0 && this.connections % nth === 0;
        },
        exec: (c) => this.exec(c),
        sftp: () => (this.faults.noSftp ? null : this),
      },
    });
    if (spec.winrm && access.password !== undefined) {
      const w = spec.winrm;
      this.winrmCertificate = w.https
        ? createCertificate({
            subject: `CN=${spec.name}`,
            dnsNames: [spec.name.toLowerCase(), "localhost"],
            notBefore: new Date(Date.now() - 86_400_000),
            notAfter: new Date(Date.now() + 365 * 86_400_000),
          })
        : undefined;
      this.winrm = new WinrmListener({
        user: access.user,
        password: access.password,
        computerName: spec.name,
        ...(this.winrmCertificate ? { tls: { certPem: this.winrmCertificate.certPem, keyPem: this.winrmCertificate.keyPem } } : {}),
        ...(w.negotiate !== undefined ? { negotiate: w.negotiate } : {}),
        ...(w.basic !== undefined ? { basic: w.basic } : {}),
        ...(w.allowUnencrypted !== undefined ? { allowUnencrypted: w.allowUnencrypted } : {}),
        ...(w.maxShellsPerUser !== undefined ? { maxShellsPerUser: w.maxShellsPerUser } : {}),
        handler: {
          refuseAuth: () => this.faults.badAuth,
          takeOperationTimeout: () => {
            const n = this.faults.winrmOperationTimeouts ?? 0;
            if (n <= 0) return false;
            this.faults.winrmOperationTimeouts = n - 1;
            return true;
          },
          // WinRS runs every command line under cmd.exe, whatever the OpenSSH default shell.
          exec: (c, codePage, stdin): Promise<WinrmExecReply> => this.exec(c, { shell: "cmd", codePage, ...(stdin ? { stdin: stdin.toString("latin1") } : {}) }),
        },
      });
    }
  }

  // --- ExecHost / NetshHost ---
  get os(): SimProfile["os"] {
    return this.profile.os;
  }
  get language(): SimProfile["language"] {
    return this.profile.language;
  }
  get shell(): SimProfile["shell"] {
    return this.profile.shell;
  }
  get elevated(): boolean {
    return this.profile.elevated && !this.faults.notElevated;
  }
  get failAddWith1312ForHash(): string | undefined {
    return this.faults.failAddWith1312ForHash;
  }
  get unreadableVersion(): boolean {
    return this.faults.unreadableVersion === true;
  }
  get importDropsKey(): boolean {
    return this.faults.importDropsKey === true;
  }

  findCertificate(thumbprint: string, storeName: string | null): SimStoreEntry | undefined {
    const t = thumbprint.toLowerCase();
    return this.certificates.find((e) => e.cert.thumbprint === t && storeMatches(e.store, storeName));
  }

  bindingChanged(key: string, before: SimBinding | undefined, after: SimBinding | undefined): void {
    this.trackStale(key, before, after);
    this.changeLog.push({ key, certHash: after?.certHash ?? null });
    this.changesThisCommand += 1;
    const cut = this.faults.dropAfterChanges;
    if (cut !== undefined && this.changesThisCommand >= cut) throw new ConnectionCut();
  }

  private trackStale(key: string, before: SimBinding | undefined, after: SimBinding | undefined): void {
    const n = this.faults.staleHandshakes;
    if (after && this.stale.get(key)?.cert.thumbprint === after.certHash) this.stale.delete(key);
    if (n <= 0 || !before || before.certHash === after?.certHash) return;
    const entry = this.certificates.find((e) => e.cert.thumbprint === before.certHash);
    if (entry) this.stale.set(key, { cert: entry.cert, remaining: n });
  }

  // --- consumers ---

  /** WinRM applies a listener's new certificate to its http.sys binding at once. */
  winrmListenerChanged(listener: SimWinrmListener): void {
    if (listener.transport === "HTTPS" && listener.certificateThumbprint !== "") this.writeBinding(winrmBinding(listener));
  }

  private writeBinding(spec: SimBindingSpec): void {
    const next = this.bindingOf({ ...spec, params: { ...(this.bindings.find((b) => bindingKeyOf(b) === bindingKeyOf(this.bindingOf(spec)))?.params ?? {}), ...spec.params } });
    const key = bindingKeyOf(next);
    const i = this.bindings.findIndex((x) => bindingKeyOf(x) === key);
    const before = i >= 0 ? cloneBinding(this.bindings[i]!) : undefined;
    if (i >= 0) this.bindings.splice(i, 1, next);
    else this.bindings.push(next);
    this.bindingChanged(key, before, cloneBinding(next));
  }

  /**
   * The owner re-applies its own configuration, as on a service restart or a reboot: WinRM
   * re-writes each HTTPS listener's binding, WMSvc its :8172 binding from the registry.
   */
  async restartService(service: SimService): Promise<void> {
    this.restarts.push(service);
    if (service === "winrm") {
      for (const l of this.winrmListeners) this.winrmListenerChanged(l);
    } else if (service === "wmsvc") {
      const t = this.registry.thumbprint(SIM_REG_KEYS.wmsvc, WMSVC_VALUE);
      const own = this.bindings.find((b) => b.kind === "ipport" && b.endpoint.endsWith(`:${WMSVC_PORT}`));
      if (t !== null && own) this.writeBinding({ kind: "ipport", endpoint: own.endpoint, certHash: t, appId: own.appId, storeName: own.storeName });
    }
    await this.tls.sync(this.bindings);
  }

  /** Restarts every owning service (a reboot, for the consumers). */
  async restartAll(): Promise<void> {
    for (const s of SIM_SERVICES) await this.restartService(s);
  }

  /** RDP: the registry's certificate if NETWORK SERVICE can read its key; self-signed if none is named. */
  rdpCertificate(): RdpCertificate | null {
    const t = this.registry.thumbprint(SIM_REG_KEYS.rdp, RDP_VALUE);
    if (t === null) {
      this.selfSigned ??= createCertificate({
        subject: `CN=${this.name.toUpperCase()}`,
        dnsNames: [],
        notBefore: new Date(Date.now() - 86_400_000),
        notAfter: new Date(Date.now() + 180 * 86_400_000),
      });
      return this.selfSigned;
    }
    const entry = this.findCertificate(t, "My");
    if (!entry || !entry.hasPrivateKey || !canRead(this, t, NETWORK_SERVICE)) return null;
    return entry.cert;
  }

  /** `127.0.0.1:PORT` of the RDP listener, when the host has one */
  rdpEndpoint(): string | null {
    return this.rdp ? `127.0.0.1:${this.rdp.port}` : null;
  }

  consumerSnapshot(): SimConsumerSnapshot {
    const keyAcls: Record<string, SimAce[]> = {};
    for (const e of this.certificates) if (e.hasPrivateKey) keyAcls[e.cert.thumbprint] = aclOf(this, e.cert.thumbprint).map((a) => ({ ...a }));
    return { registry: this.registry.snapshot(), winrmListeners: this.winrmListeners.map((l) => ({ ...l })), keyAcls };
  }

  // --- TLS ---
  resolve(listener: ListenerId, sni: string | undefined): ServedCertificate | null {
    const find = (kind: SimBinding["kind"], endpoint: string): SimBinding | undefined => {
      const key = bindingKeyOf({ kind, endpoint });
      return this.bindings.find((b) => bindingKeyOf(b) === key);
    };
    const own = find(listener.kind, listener.endpoint);
    if (!own) return null;
    const { host, port } = splitEndpoint(listener.endpoint);
    const candidates: Array<SimBinding | undefined> = [];
    // http.sys order: specific IP, then SNI hostname, then the wildcard IP binding.
    if (listener.kind === "ipport" && !WILDCARD.has(host)) candidates.push(own);
    if (sni) candidates.push(find("hostnameport", `${sni}:${port}`));
    if (listener.kind === "ipport") candidates.push(own);
    else candidates.push(find("ipport", `0.0.0.0:${port}`), find("ipport", `[::]:${port}`));
    const chosen = candidates.find((b): b is SimBinding => b !== undefined);
    if (!chosen) return null;
    const staleKey = bindingKeyOf(chosen);
    const stale = this.stale.get(staleKey);
    if (stale && stale.remaining > 0) {
      stale.remaining -= 1;
      return { certPem: stale.cert.certPem, keyPem: stale.cert.keyPem, thumbprint: stale.cert.thumbprint, staleKey };
    }
    const entry = this.findCertificate(chosen.certHash, chosen.storeName);
    if (!entry || !entry.hasPrivateKey) return null;
    return { certPem: entry.cert.certPem, keyPem: entry.cert.keyPem, thumbprint: entry.cert.thumbprint };
  }

  refund(staleKey: string): void {
    const stale = this.stale.get(staleKey);
    if (stale) stale.remaining += 1;
  }

  /** binding endpoint (`0.0.0.0:443`, `www.example.com:443`) -> `127.0.0.1:PORT`, stable for the host's life */
  tlsEndpoints(): Record<string, string> {
    return this.tls.endpoints();
  }

  // --- SSH ---
  /** SSH and WinRM (TCP) connections accepted so far */
  get connectionsAccepted(): number {
    return this.ssh.accepted + (this.winrm?.accepted ?? 0);
  }
  get sshPort(): number {
    return this.ssh.port;
  }
  /** `ssh-ed25519 AAAA...` */
  get hostKeyLine(): string {
    return this.hostKey.publicLine;
  }
  /** `SHA256:...` */
  get hostKeyFingerprint(): string {
    return this.hostKey.fingerprint;
  }

  /** the hangOn fault of the compound line being executed (checked per program: onProgram) */
  private hangingLine: RegExp | undefined;

  onProgram(name: string, argv: readonly string[]): void {
    if (this.hangingLine && matches(this.hangingLine, [name, ...argv].join(" "))) throw new ProgramHang();
  }

  private async exec(command: string, options: ExecuteOptions = {}): Promise<ExecReply> {
    this.commandLog.push(command);
    if (this.faults.slowMs > 0) await delay(this.faults.slowMs);
    // A single command that hangs never starts; in a line of several (a batch: delete & add), the
    // program that hangs is reached only after the ones before it ran, as on Windows.
    const compound = /[&|;]/.test(command);
    if (!compound && matches(this.faults.hangOn, command)) return { kind: "hang" };
    this.changesThisCommand = 0;
    let result: ReturnType<typeof executeCommand>;
    this.hangingLine = compound ? this.faults.hangOn : undefined;
    try {
      result = executeCommand(this, command, options);
    } catch (err) {
      if (!(err instanceof ConnectionCut) && !(err instanceof ProgramHang)) throw err;
      await this.tls.sync(this.bindings);
      return { kind: err instanceof ProgramHang ? "hang" : "drop" };
    } finally {
      this.hangingLine = undefined;
    }
    await this.tls.sync(this.bindings);
    if (matches(this.faults.dropAfter, command)) return { kind: "drop" };
    const nth = this.faults.dropEveryNth ?? 0;
    if (nth > 0 && this.commandLog.length % nth === 0) return { kind: "drop" };
    const stdout = matches(this.faults.garbageOn, command) ? garble(result.stdout) : result.stdout;
    return { kind: "reply", stdout, stderr: result.stderr, code: result.code };
  }

  private async applyReachability(): Promise<void> {
    await this.reachability;
    if (this.faults.unreachable) {
      await this.ssh.unlisten();
      await this.winrm?.unlisten();
    } else {
      await this.ssh.listen();
      await this.winrm?.listen();
    }
  }

  /** Sets faults and waits until they are in force (the listener closed or reopened). */
  async setFaults(faults: Partial<SimFaults>): Promise<void> {
    Object.assign(this.faults, faults);
    await this.reachability;
  }

  // --- state helpers for tests ---
  private entryOf(c: SimCertificateSpec): SimStoreEntry {
    return {
      cert: c.cert,
      hasPrivateKey: c.hasPrivateKey ?? true,
      store: c.store ?? "My",
      ...(c.template !== undefined ? { template: c.template } : {}),
    };
  }

  private bindingOf(b: SimBindingSpec): SimBinding {
    const endpoint = normalizeEndpoint(b.kind, b.endpoint);
    if (endpoint === null) throw new RangeError(`simulated host ${this.name}: bad ${b.kind} endpoint ${b.endpoint}`);
    return {
      kind: b.kind,
      endpoint,
      certHash: (b.certHash ?? "").toLowerCase(),
      appId: b.appId.toLowerCase(),
      storeName: b.storeName ?? null,
      params: completeParams(this.profile.os, b.params ?? {}),
    };
  }

  addCertificate(c: SimCertificateSpec): void {
    this.certificates.push(this.entryOf(c));
  }

  /** Adds or replaces a binding behind netsh's back (as IIS Manager would), honouring staleHandshakes. */
  async putBinding(b: SimBindingSpec): Promise<void> {
    const next = this.bindingOf(b);
    const key = bindingKeyOf(next);
    const i = this.bindings.findIndex((x) => bindingKeyOf(x) === key);
    const before = i >= 0 ? this.bindings[i] : undefined;
    if (i >= 0) this.bindings.splice(i, 1, next);
    else this.bindings.push(next);
    this.trackStale(key, before ? cloneBinding(before) : undefined, cloneBinding(next));
    await this.tls.sync(this.bindings);
  }

  /** Deep copy of stores and bindings, for before/after comparisons. */
  snapshot(): SimSnapshot {
    return {
      certificates: this.certificates.map((e) => ({
        thumbprint: e.cert.thumbprint,
        hasPrivateKey: e.hasPrivateKey,
        store: e.store,
        ...(e.template !== undefined ? { template: e.template } : {}),
        ...(e.exportable !== undefined ? { exportable: e.exportable } : {}),
      })),
      bindings: this.bindings.map(cloneBinding),
      files: this.files.filesUnder(),
    };
  }

  /**
   * Listens on every port the host has, an unreachable one too (so that the inventory has its
   * ports); `closeUnreachable` then closes those, once every host of the fleet has its ports.
   * Closed earlier, a port could be handed to the next host started beside it, and a connection to
   * the "unreachable" host would reach that one, whose known_hosts line has the same address.
   */
  async start(): Promise<void> {
    await this.tls.sync(this.bindings);
    await this.rdp?.listen();
    await this.ssh.listen();
    await this.winrm?.listen();
  }

  /** An unreachable host's SSH and WinRM ports closed: connection refused (see start). */
  async closeUnreachable(): Promise<void> {
    if (!this.faults.unreachable) return;
    await this.ssh.unlisten();
    await this.winrm?.unlisten();
  }

  async stop(): Promise<void> {
    await this.reachability;
    await this.ssh.unlisten();
    await this.winrm?.unlisten();
    await this.tls.close();
    await this.rdp?.close();
  }
}
