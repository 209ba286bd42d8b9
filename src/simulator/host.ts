/**
 * One simulated Windows host: its state (stores, bindings, profile, faults), its SSH server and
 * its TLS endpoints. Tests reach into it directly (snapshot, commandLog, faults) to set up and
 * to check what certfleet did.
 */
import { setTimeout as delay } from "node:timers/promises";
import { executeCommand, type ExecHost } from "./exec.js";
import { completeParams } from "./netsh-fields.js";
import { normalizeEndpoint } from "./netsh.js";
import type { SimCertificate } from "./pki.js";
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

export interface SimHostAccess {
  user: string;
  password?: string;
  /** OpenSSH public key line accepted for publickey auth */
  authorizedKey?: string;
}

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

export class SimHost implements ExecHost, HandshakeResolver {
  readonly name: string;
  readonly groups: string[];
  profile: SimProfile;
  /** assign any field at any time; `unreachable` closes/reopens the SSH listener (see setFaults to await it) */
  readonly faults: SimFaults;
  certificates: SimStoreEntry[];
  bindings: SimBinding[];
  /** every exec command line received, in order, including ones that hung or dropped */
  readonly commandLog: string[] = [];
  /** TCP connections accepted on the SSH port so far (dropConnectionEveryNth counts them). */
  connections = 0;
  readonly user: string;
  private readonly hostKey: HostKey;
  private readonly ssh: SshListener;
  private readonly tls: TlsEndpoints;
  private readonly stale = new Map<string, StaleServe>();
  private reachability: Promise<void> = Promise.resolve();

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
    this.certificates = (spec.certificates ?? []).map((c) => this.entryOf(c));
    this.bindings = (spec.bindings ?? []).map((b) => this.bindingOf(b));
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
      },
    });
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

  findCertificate(thumbprint: string, storeName: string | null): SimStoreEntry | undefined {
    const t = thumbprint.toLowerCase();
    return this.certificates.find((e) => e.cert.thumbprint === t && storeMatches(e.store, storeName));
  }

  bindingChanged(key: string, before: SimBinding | undefined, after: SimBinding | undefined): void {
    const n = this.faults.staleHandshakes;
    if (after && this.stale.get(key)?.cert.thumbprint === after.certHash) this.stale.delete(key);
    if (n <= 0 || !before || before.certHash === after?.certHash) return;
    const entry = this.certificates.find((e) => e.cert.thumbprint === before.certHash);
    if (entry) this.stale.set(key, { cert: entry.cert, remaining: n });
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

  private async exec(command: string): Promise<ExecReply> {
    this.commandLog.push(command);
    if (this.faults.slowMs > 0) await delay(this.faults.slowMs);
    if (matches(this.faults.hangOn, command)) return { kind: "hang" };
    const result = executeCommand(this, command);
    await this.tls.sync(this.bindings);
    if (matches(this.faults.dropAfter, command)) return { kind: "drop" };
    const nth = this.faults.dropEveryNth ?? 0;
    if (nth > 0 && this.commandLog.length % nth === 0) return { kind: "drop" };
    const stdout = matches(this.faults.garbageOn, command) ? garble(result.stdout) : result.stdout;
    return { kind: "reply", stdout, stderr: result.stderr, code: result.code };
  }

  private async applyReachability(): Promise<void> {
    await this.reachability;
    if (this.faults.unreachable) await this.ssh.unlisten();
    else await this.ssh.listen();
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
    this.bindingChanged(key, before ? cloneBinding(before) : undefined, cloneBinding(next));
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
      })),
      bindings: this.bindings.map(cloneBinding),
    };
  }

  async start(): Promise<void> {
    await this.tls.sync(this.bindings);
    if (!this.faults.unreachable) await this.ssh.listen();
    else {
      // reserve a port so the inventory has one; then close it: connection refused
      await this.ssh.listen();
      await this.ssh.unlisten();
    }
  }

  async stop(): Promise<void> {
    await this.reachability;
    await this.ssh.unlisten();
    await this.tls.close();
  }
}
