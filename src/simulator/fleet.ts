/**
 * A fleet of simulated hosts sharing one client key, plus what certfleet needs to reach them:
 * an inventory document, known_hosts text, and (writeFiles) all three on disk.
 */
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { stringify } from "yaml";
import { SimHost } from "./host.js";
import { generateEd25519 } from "./server.js";
import type { SimHostSpec } from "./state.js";

export interface FleetOptions {
  /** SSH user every host accepts (default `certadmin`) */
  user?: string;
  /** also accept this password (default: `sim-password`) */
  password?: string;
}

export interface InventoryOptions {
  identityFile?: string;
  /** when set, defaults use passwordEnv instead of identityFile */
  passwordEnv?: string;
  knownHostsFile?: string;
  /** defaults.shell (default `auto`) */
  shell?: "auto" | "cmd" | "powershell";
  /** also write each host's real shell into its entry (skips the probe) */
  declareShells?: boolean;
  /** passwordEnv of the hosts reached over WinRM (default `CERTFLEET_SIM_PASSWORD`) */
  winrmPasswordEnv?: string;
}

export interface ClientKey {
  /** OpenSSH private key (ssh2 / node-ssh `privateKey`) */
  privateKeyPem: string;
  /** `ssh-ed25519 AAAA... certfleet-sim` */
  publicKeyLine: string;
}

export interface FleetFiles {
  dir: string;
  inventory: string;
  identityFile: string;
  knownHostsFile: string;
}

export interface SimFleet {
  hosts: SimHost[];
  host(name: string): SimHost;
  user: string;
  password: string;
  clientKey: ClientKey;
  inventoryDocument(opts?: InventoryOptions): Record<string, unknown>;
  knownHostsText(): string;
  /** writes `id_ed25519` (0600), `known_hosts` and `hosts.yaml` into dir */
  writeFiles(dir: string, opts?: Omit<InventoryOptions, "identityFile" | "knownHostsFile">): Promise<FleetFiles>;
  /** every host restarts every certificate-owning service (WinRM, WMSvc, TermService): drift shows */
  restartAll(): Promise<void>;
  stop(): Promise<void>;
}

export async function startFleet(specs: SimHostSpec[], opts: FleetOptions = {}): Promise<SimFleet> {
  const names = new Set<string>();
  for (const s of specs) {
    if (names.has(s.name)) throw new RangeError(`simulated fleet: duplicate host name ${s.name}`);
    names.add(s.name);
  }
  const user = opts.user ?? "certadmin";
  const password = opts.password ?? "sim-password";
  const pair = generateEd25519("certfleet-sim");
  const clientKey: ClientKey = { privateKeyPem: pair.private, publicKeyLine: pair.public.trim() };
  const hosts = specs.map((s) => new SimHost(s, { user, password, authorizedKey: clientKey.publicKeyLine }));
  try {
    await Promise.all(hosts.map((h) => h.start()));
    await Promise.all(hosts.map((h) => h.closeUnreachable()));
  } catch (err) {
    await Promise.allSettled(hosts.map((h) => h.stop()));
    throw err;
  }

  const inventoryDocument = (o: InventoryOptions = {}): Record<string, unknown> => {
    const defaults: Record<string, unknown> = { user, port: 22 };
    if (o.passwordEnv !== undefined) defaults.passwordEnv = o.passwordEnv;
    else defaults.identityFile = o.identityFile ?? "id_ed25519";
    defaults.knownHostsFile = o.knownHostsFile ?? "known_hosts";
    defaults.shell = o.shell ?? "auto";
    const entries: Record<string, unknown> = {};
    for (const h of hosts) {
      // A host with a WinRM listener is reached over WinRM (pinned certificate over HTTPS).
      const winrm = h.winrm
        ? {
            transport: "winrm",
            port: h.winrm.port,
            passwordEnv: o.winrmPasswordEnv ?? "CERTFLEET_SIM_PASSWORD",
            ...(h.winrmCertificate ? { https: true, certThumbprint: h.winrmCertificate.thumbprint } : {}),
          }
        : undefined;
      entries[h.name] = {
        address: "127.0.0.1",
        port: h.sshPort,
        ...(h.groups.length > 0 ? { groups: [...h.groups] } : {}),
        ...(o.declareShells ? { shell: winrm ? "cmd" : h.shell } : {}),
        ...winrm,
        // The RDP listener is reached as the host's 3389 is (certfleet's RDP proof looks it up here).
        tls: { endpoints: { ...h.tlsEndpoints(), ...(h.rdpEndpoint() ? { "0.0.0.0:3389": h.rdpEndpoint()! } : {}) } },
      };
    }
    return { defaults, hosts: entries };
  };

  const knownHostsText = (): string => hosts.map((h) => `[127.0.0.1]:${h.sshPort} ${h.hostKeyLine}\n`).join("");

  return {
    hosts,
    user,
    password,
    clientKey,
    host(name: string): SimHost {
      const h = hosts.find((x) => x.name === name);
      if (!h) throw new RangeError(`simulated fleet has no host ${name}`);
      return h;
    },
    inventoryDocument,
    knownHostsText,
    async writeFiles(dir, o = {}): Promise<FleetFiles> {
      const abs = resolve(dir);
      await mkdir(abs, { recursive: true });
      const identityFile = join(abs, "id_ed25519");
      const knownHostsFile = join(abs, "known_hosts");
      const inventory = join(abs, "hosts.yaml");
      await writeFile(identityFile, clientKey.privateKeyPem, { mode: 0o600 });
      await chmod(identityFile, 0o600);
      await writeFile(knownHostsFile, knownHostsText());
      await writeFile(inventory, stringify(inventoryDocument({ ...o, identityFile, knownHostsFile })));
      return { dir: abs, inventory, identityFile, knownHostsFile };
    },
    async restartAll(): Promise<void> {
      await Promise.all(hosts.map((h) => h.restartAll()));
    },
    async stop(): Promise<void> {
      await Promise.allSettled(hosts.map((h) => h.stop()));
    },
  };
}
