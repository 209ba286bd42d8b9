/** ExecOptions.stdin over SSH: the bytes reach the command's standard input, then EOF. */
import type { AddressInfo } from "node:net";
import ssh2 from "ssh2";
import { afterAll, beforeAll, expect, it } from "vitest";
import { connectSsh } from "../../src/transport/ssh.js";
import type { Transport } from "../../src/transport/transport.js";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

const hostKey = ssh2.utils.generateKeyPairSync("ed25519");
let server: ssh2.Server;
let transport: Transport;
const received: Buffer[] = [];

beforeAll(async () => {
  server = new ssh2.Server({ hostKeys: [hostKey.private] }, (conn) => {
    conn.on("error", () => undefined);
    conn.on("authentication", (ctx) => (ctx.method === "password" && ctx.password === "pw" ? ctx.accept() : ctx.reject(["password"])));
    conn.on("ready", () =>
      conn.on("session", (accept) =>
        accept().on("exec", (acc) => {
          const stream = acc();
          const chunks: Buffer[] = [];
          stream.on("data", (c: Buffer) => chunks.push(c));
          stream.on("end", () => {
            received.push(Buffer.concat(chunks));
            stream.write(`${Buffer.concat(chunks).length}\r\n`);
            stream.exit(0);
            stream.end();
          });
        }),
      ),
    );
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  const dir = await mkdtemp(join(tmpdir(), "certfleet-ssh-stdin-"));
  const knownHostsFile = join(dir, "known_hosts");
  await writeFile(knownHostsFile, `[127.0.0.1]:${port} ${hostKey.public.trim().split(" ").slice(0, 2).join(" ")}\n`);
  transport = await connectSsh(
    { name: "h", address: "127.0.0.1", port, user: "u", passwordEnv: "PW", knownHostsFile, shell: "cmd", groups: [] },
    { env: { PW: "pw" } },
  );
});
afterAll(async () => {
  await transport?.close();
  server?.close();
});

it("writes stdin, then closes it; without stdin the command gets EOF at once", async () => {
  const data = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i & 0xff));
  expect((await transport.exec("read-it", { stdin: data })).stdout.toString()).toBe("70000\r\n");
  expect(received.at(-1)!.equals(data)).toBe(true);
  expect((await transport.exec("read-nothing")).stdout.toString()).toBe("0\r\n");
});
