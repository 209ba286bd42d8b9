import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { createServer, type AddressInfo, type Server as NetServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ssh2 from "ssh2";
import type { Connection, ServerChannel } from "ssh2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ResolvedHost } from "../../src/inventory/schema.js";
import { CertfleetError } from "../../src/model/errors.js";
import { fingerprintSha256 } from "../../src/transport/known-hosts.js";
import { ConnectionLostError, connectSsh, HostKeyError, hostKeyAlgorithmOrder, isConnectionLost } from "../../src/transport/ssh.js";
import type { Transport } from "../../src/transport/transport.js";

const { Server, utils } = ssh2;

interface KeyPair {
  private: string;
  public: string;
  line: string;
  blob: Buffer;
}
function keyPair(type: "ed25519" | "ecdsa"): KeyPair {
  const k = type === "ecdsa" ? utils.generateKeyPairSync("ecdsa", { bits: 256 }) : utils.generateKeyPairSync("ed25519");
  const [t, b64] = k.public.trim().split(" ");
  return { private: k.private, public: k.public, line: `${t} ${b64}`, blob: Buffer.from(b64!, "base64") };
}

const hostEd = keyPair("ed25519");
const hostEc = keyPair("ecdsa");
const otherEd = keyPair("ed25519");
const clientKey = keyPair("ed25519");
const parsedClientPub = utils.parseKey(clientKey.public);
if (parsedClientPub instanceof Error) throw parsedClientPub;
const clientPub: ssh2.ParsedKey = parsedClientPub;

const PASSWORD = "s3cret-Pa55";
// Output as Windows might send it: cp850 bytes, CRLF, a NUL; none of it valid UTF-8 on purpose.
const RAW_STDOUT = Buffer.from([0x82, 0x74, 0xe9, 0xff, 0x00, 0x0d, 0x0a]);
const RAW_STDERR = Buffer.from([0x45, 0x72, 0x72, 0x8a, 0x0d, 0x0a]);

const uploads = new Map<string, Buffer>();

function handleExec(command: string, stream: ServerChannel, client: Connection): void {
  switch (command) {
    case "raw":
      stream.write(RAW_STDOUT);
      stream.stderr.write(RAW_STDERR);
      stream.exit(3);
      stream.end();
      return;
    case "ok":
      stream.write("fine\r\n");
      stream.exit(0);
      stream.end();
      return;
    case "hang":
      return; // never answers
    case "drop":
      stream.write("partial output");
      // The server vanishes mid-command, without a disconnect message.
      setImmediate(() => (client as unknown as { _sock: Socket })._sock.destroy());
      return;
    default:
      stream.stderr.write(`'${command}' is not recognized as an internal or external command\r\n`);
      stream.exit(1);
      stream.end();
  }
}

function handleSftp(sftp: ssh2.SFTPWrapper): void {
  const { STATUS_CODE } = utils.sftp;
  const open = new Map<string, { name: string; chunks: Buffer[] }>();
  let next = 0;
  sftp.on("OPEN", (reqid, filename) => {
    const handle = Buffer.from(String(next++));
    open.set(handle.toString(), { name: filename, chunks: [] });
    sftp.handle(reqid, handle);
  });
  sftp.on("WRITE", (reqid, handle, _offset, data) => {
    open.get(handle.toString())?.chunks.push(Buffer.from(data));
    sftp.status(reqid, STATUS_CODE.OK);
  });
  sftp.on("FSTAT", (reqid) => sftp.attrs(reqid, { mode: 0o100644, uid: 0, gid: 0, size: 0, atime: 0, mtime: 0 }));
  sftp.on("FSETSTAT", (reqid) => sftp.status(reqid, STATUS_CODE.OK));
  sftp.on("CLOSE", (reqid, handle) => {
    const f = open.get(handle.toString());
    if (f) uploads.set(f.name, Buffer.concat(f.chunks));
    open.delete(handle.toString());
    sftp.status(reqid, STATUS_CODE.OK);
  });
}

function startServer(hostKeys: string[]): Promise<{ port: number; server: InstanceType<typeof Server> }> {
  const server = new Server({ hostKeys }, (client) => {
    client.on("error", () => {});
    client.on("authentication", (ctx) => {
      if (ctx.username !== "certadmin") return ctx.reject();
      if (ctx.method === "password" && ctx.password === PASSWORD) return ctx.accept();
      if (ctx.method === "publickey" && ctx.key.algo === clientPub.type && ctx.key.data.equals(clientPub.getPublicSSH())) {
        if (!ctx.signature) return ctx.accept();
        if (ctx.blob && clientPub.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true) return ctx.accept();
      }
      ctx.reject(["password", "publickey"]);
    });
    client.on("ready", () => {
      client.on("session", (acceptSession) => {
        const session = acceptSession();
        session.on("exec", (accept, _reject, info) => handleExec(info.command, accept(), client));
        session.on("sftp", (accept) => handleSftp(accept()));
      });
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ port: (server.address() as AddressInfo).port, server })));
}

let port = 0;
let server: InstanceType<typeof Server>;
let dualPort = 0;
let dualServer: InstanceType<typeof Server>;
let dir = "";

beforeAll(async () => {
  ({ port, server } = await startServer([hostEd.private]));
  ({ port: dualPort, server: dualServer } = await startServer([hostEd.private, hostEc.private]));
  dir = await mkdtemp(join(tmpdir(), "certfleet-ssh-"));
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  await new Promise((r) => dualServer.close(r));
});

let fileCounter = 0;
async function knownHosts(text: string): Promise<string> {
  const file = join(dir, `known_hosts_${fileCounter++}`);
  await writeFile(file, text);
  return file;
}

function host(overrides: Partial<ResolvedHost> & { knownHostsFile: string }): ResolvedHost {
  return {
    name: "web01",
    address: "127.0.0.1",
    port,
    user: "certadmin",
    shell: "auto",
    groups: [],
    passwordEnv: "CF_PW",
    ...overrides,
  };
}
const env = { CF_PW: PASSWORD };

async function failure(p: Promise<unknown>): Promise<CertfleetError> {
  const err = await p.then(
    (t) => {
      void (t as Transport | undefined)?.close?.();
      throw new Error("expected a failure");
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CertfleetError);
  return err as CertfleetError;
}

describe("connectSsh: host keys", () => {
  it("refuses an unknown host key, showing the offered SHA256 fingerprint", async () => {
    const kh = await knownHosts("");
    const err = await failure(connectSsh(host({ knownHostsFile: kh }), { env }));
    expect(err.kind).toBe("host-key");
    expect(err).toBeInstanceOf(HostKeyError);
    expect(err.message).toContain(fingerprintSha256(hostEd.blob));
    expect(err.message).toContain("--accept-new-host-keys");
    expect(err.message).toContain("unknown host key for web01 ([127.0.0.1]:");
    expect(await readFile(kh, "utf8")).toBe("");
  });

  it("refuses a changed host key, showing both fingerprints; accept-new does not replace it", async () => {
    const before = `[127.0.0.1]:${port} ${otherEd.line}\n`;
    const kh = await knownHosts(before);
    for (const acceptNewHostKeys of [false, true]) {
      const err = await failure(connectSsh(host({ knownHostsFile: kh }), { env, acceptNewHostKeys }));
      expect(err.kind).toBe("host-key");
      expect(err.message).toContain("HOST KEY CHANGED");
      expect(err.message).toContain(`offered ssh-ed25519 ${fingerprintSha256(hostEd.blob)}`);
      expect(err.message).toContain(`holds ssh-ed25519 ${fingerprintSha256(otherEd.blob)}`);
      expect(err.message).toContain("never replaces a changed key");
      expect((err as HostKeyError).expected).toEqual([fingerprintSha256(otherEd.blob)]);
    }
    expect(await readFile(kh, "utf8")).toBe(before);
  });

  it("refuses a revoked key", async () => {
    const kh = await knownHosts(`[127.0.0.1]:${port} ${hostEd.line}\n@revoked * ${hostEd.line}\n`);
    const err = await failure(connectSsh(host({ knownHostsFile: kh }), { env }));
    expect(err.kind).toBe("host-key");
    expect(err.message).toContain("@revoked");
  });

  it("--accept-new-host-keys appends the key, and the next connection matches it", async () => {
    const kh = join(dir, "fresh", "known_hosts");
    const t1 = await connectSsh(host({ knownHostsFile: kh }), { env, acceptNewHostKeys: true });
    await t1.close();
    expect(await readFile(kh, "utf8")).toBe(`[127.0.0.1]:${port} ${hostEd.line}\n`);
    const t2 = await connectSsh(host({ knownHostsFile: kh }), { env });
    expect((await t2.exec("ok")).code).toBe(0);
    await t2.close();
    expect(await readFile(kh, "utf8")).toBe(`[127.0.0.1]:${port} ${hostEd.line}\n`);
  });

  it("prefers the key type on file when the server has several", async () => {
    const kh = await knownHosts(`[127.0.0.1]:${dualPort} ${hostEc.line}\n`);
    const t = await connectSsh(host({ port: dualPort, knownHostsFile: kh }), { env });
    expect((await t.exec("ok")).code).toBe(0);
    await t.close();
    expect(hostKeyAlgorithmOrder(["ssh-rsa"]).slice(0, 3)).toEqual(["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"]);
  });
});

describe("connectSsh: auth and reachability", () => {
  it("authenticates with an identityFile (no password configured)", async () => {
    const kh = await knownHosts(`[127.0.0.1]:${port} ${hostEd.line}\n`);
    const keyFile = join(dir, "id_ed25519");
    await writeFile(keyFile, clientKey.private, { mode: 0o600 });
    const { passwordEnv: _unused, ...noPassword } = host({ knownHostsFile: kh });
    const t = await connectSsh({ ...noPassword, identityFile: keyFile }, { env: {} });
    expect((await t.exec("ok")).stdout.toString()).toBe("fine\r\n");
    await t.close();
  });

  it("a wrong password is kind auth and the message never holds a password", async () => {
    const kh = await knownHosts(`[127.0.0.1]:${port} ${hostEd.line}\n`);
    const err = await failure(connectSsh(host({ knownHostsFile: kh }), { env: { CF_PW: "wrong-Pa55word" } }));
    expect(err.kind).toBe("auth");
    expect(err.message).toContain("authentication failed for certadmin@127.0.0.1");
    expect(err.message).not.toContain("wrong-Pa55word");
  });

  it("an unset passwordEnv variable is kind auth naming the variable", async () => {
    const kh = await knownHosts(`[127.0.0.1]:${port} ${hostEd.line}\n`);
    const err = await failure(connectSsh(host({ knownHostsFile: kh }), { env: {} }));
    expect(err.kind).toBe("auth");
    expect(err.message).toContain("CF_PW");
  });

  it("a closed port is unreachable", async () => {
    const probe = createServer();
    const closedPort = await new Promise<number>((r) => probe.listen(0, "127.0.0.1", () => r((probe.address() as AddressInfo).port)));
    await new Promise((r) => probe.close(r));
    const kh = await knownHosts("");
    const err = await failure(connectSsh(host({ port: closedPort, knownHostsFile: kh }), { env }));
    expect(err.kind).toBe("unreachable");
    expect(err.message).toContain("ECONNREFUSED");
  });

  it("a peer that closes during the handshake is unreachable", async () => {
    const rude: NetServer = createServer((s) => s.destroy());
    const rudePort = await new Promise<number>((r) => rude.listen(0, "127.0.0.1", () => r((rude.address() as AddressInfo).port)));
    try {
      const err = await failure(connectSsh(host({ port: rudePort, knownHostsFile: await knownHosts("") }), { env }));
      expect(err.kind).toBe("unreachable");
    } finally {
      await new Promise((r) => rude.close(r));
    }
  });

  it("a peer that never speaks SSH is a connect timeout", async () => {
    const sockets: Socket[] = [];
    const silent: NetServer = createServer((s) => void sockets.push(s));
    const silentPort = await new Promise<number>((r) => silent.listen(0, "127.0.0.1", () => r((silent.address() as AddressInfo).port)));
    try {
      const err = await failure(connectSsh(host({ port: silentPort, knownHostsFile: await knownHosts("") }), { env, connectTimeoutMs: 300 }));
      expect(err.kind).toBe("timeout");
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });
});

describe("SshTransport", () => {
  let t: Transport;
  beforeAll(async () => {
    t = await connectSsh(host({ knownHostsFile: await knownHosts(`[127.0.0.1]:${port} ${hostEd.line}\n`) }), { env });
  });
  afterAll(async () => {
    await t.close();
  });

  it("exec returns raw stdout/stderr bytes and the exit code", async () => {
    expect(t.host).toBe("web01");
    const r = await t.exec("raw");
    expect(r.code).toBe(3);
    expect(r.stdout.equals(RAW_STDOUT)).toBe(true);
    expect(r.stderr.equals(RAW_STDERR)).toBe(true);
    const r2 = await t.exec("nosuchcommand");
    expect(r2.code).toBe(1);
    expect(r2.stderr.toString()).toContain("is not recognized");
  });

  it("runs commands concurrently over one connection", async () => {
    const results = await Promise.all([t.exec("ok"), t.exec("raw"), t.exec("ok")]);
    expect(results.map((r) => r.code)).toEqual([0, 3, 0]);
  });

  it("a command that never answers times out, and the connection stays usable", async () => {
    const err = await failure(t.exec("hang", { timeoutMs: 200 }));
    expect(err.kind).toBe("timeout");
    expect(err.message).toContain("unknown state");
    expect(isConnectionLost(err)).toBe(false);
    expect((await t.exec("ok")).code).toBe(0);
  });

  it("upload writes the file over SFTP", async () => {
    const local = join(dir, "new.pfx");
    const content = Buffer.from([0x30, 0x82, 0x01, 0x00, 0xff, 0x00, 0x10]);
    await writeFile(local, content);
    await t.upload(local, "C:/Windows/Temp/certfleet-new.pfx");
    expect(uploads.get("C:/Windows/Temp/certfleet-new.pfx")?.equals(content)).toBe(true);
  });
});

describe("SshTransport: session dropped", () => {
  it("the server destroying the connection mid-exec is a connection-lost error; later calls fail the same way", async () => {
    const t = await connectSsh(host({ knownHostsFile: await knownHosts(`[127.0.0.1]:${port} ${hostEd.line}\n`) }), { env });
    const err = await failure(t.exec("drop"));
    expect(err.kind).toBe("unreachable");
    expect(err).toBeInstanceOf(ConnectionLostError);
    expect(isConnectionLost(err)).toBe(true);
    expect(err.message).toMatch(/^connection lost/);
    const again = await failure(t.exec("ok"));
    expect(isConnectionLost(again)).toBe(true);
    await t.close();
  });
});
