import { createHash } from "node:crypto";
import { connect as tlsConnect } from "node:tls";
import ssh2 from "ssh2";
import type { SimFleet, SimHost } from "../../src/simulator/index.js";

export interface RemoteResult {
  stdout: Buffer;
  stderr: Buffer;
  code: number | null;
}

/** Opens one authenticated SSH connection to a simulated host, checking its host key. */
export function sshConnect(
  fleet: SimFleet,
  host: SimHost,
  auth: { password?: string; useKey?: boolean } = { useKey: true },
): Promise<ssh2.Client> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    client.on("ready", () => {
      client.setNoDelay(true);
      resolve(client);
    });
    client.on("error", reject);
    client.connect({
      host: "127.0.0.1",
      port: host.sshPort,
      username: fleet.user,
      ...(auth.useKey ? { privateKey: fleet.clientKey.privateKeyPem } : {}),
      ...(auth.password !== undefined ? { password: auth.password } : {}),
      hostVerifier: (key: Buffer) => key.toString("base64") === host.hostKeyLine.split(" ")[1],
      readyTimeout: 10_000,
    });
  });
}

export function execOn(client: ssh2.Client, command: string): Promise<RemoteResult> {
  return new Promise((resolve, reject) => {
    client.exec(command, (err, stream) => {
      if (err) return reject(err);
      const out: Buffer[] = [];
      const errs: Buffer[] = [];
      let code: number | null = null;
      stream.on("data", (d: Buffer) => out.push(d));
      stream.stderr.on("data", (d: Buffer) => errs.push(d));
      stream.on("exit", (c: number | null) => {
        code = c;
      });
      stream.on("close", () => resolve({ stdout: Buffer.concat(out), stderr: Buffer.concat(errs), code }));
    });
  });
}

const open = new Map<SimHost, Promise<ssh2.Client>>();

/** Runs one command over a connection kept open per host (as certfleet does). */
export async function run(fleet: SimFleet, host: SimHost, command: string): Promise<RemoteResult> {
  let pending = open.get(host);
  if (!pending) {
    pending = sshConnect(fleet, host);
    open.set(host, pending);
    pending.then(
      (c) => c.on("close", () => open.delete(host)),
      () => open.delete(host),
    );
  }
  return execOn(await pending, command);
}

/** Connect, run one command, disconnect. */
export async function runOnce(fleet: SimFleet, host: SimHost, command: string): Promise<RemoteResult> {
  const client = await sshConnect(fleet, host);
  try {
    return await execOn(client, command);
  } finally {
    client.end();
  }
}

export async function closeConnections(): Promise<void> {
  const clients = await Promise.allSettled([...open.values()]);
  open.clear();
  for (const c of clients) if (c.status === "fulfilled") c.value.end();
}

/** SHA-1 of the leaf certificate a TLS handshake to `address` (127.0.0.1:PORT) serves. */
export function servedThumbprint(address: string, servername?: string): Promise<string> {
  const [host, port] = address.split(":");
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({
      host: host ?? "127.0.0.1",
      port: Number(port),
      ...(servername ? { servername } : {}),
      rejectUnauthorized: false,
    });
    socket.once("secureConnect", () => {
      const raw = socket.getPeerCertificate().raw;
      socket.destroy();
      resolve(createHash("sha1").update(raw).digest("hex"));
    });
    socket.once("error", reject);
  });
}
