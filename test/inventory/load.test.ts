import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadInventory, parseInventory } from "../../src/inventory/load.js";
import { InputError } from "../../src/model/errors.js";

const FILE = "inventory/hosts.yaml";

function errorOf(text: string, file = FILE): InputError {
  try {
    parseInventory(text, file, { home: "/home/op" });
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return err as InputError;
  }
  throw new Error("expected parseInventory to throw");
}

const GOOD = `
defaults:
  user: certadmin
  identityFile: ~/.ssh/id_ed25519
  passwordEnv: CERTFLEET_PASSWORD
  shell: cmd
hosts:
  web01:
    address: 10.0.0.11
    groups: [canary, web]
  web02:
    address: 10.0.0.12
    port: 2222
    user: other
    knownHostsFile: /etc/ssh/ssh_known_hosts
  db01:
    address: db01.corp.example.com
    address6: "2001:db8::5"
    shell: powershell
    connectTimeoutMs: 5000
    tls:
      address: 192.0.2.10
      endpoints:
        "0.0.0.0:443": "192.0.2.10:8443"
        "www.example.com:443": "lb.example.com:443"
groups:
  web: [web01, web02]
  db: [db01]
`;

describe("parseInventory: valid", () => {
  it("merges defaults, expands ~, unions group membership, keeps order", () => {
    const inv = parseInventory(GOOD, FILE, { home: "/home/op" });
    expect(inv.file).toBe(FILE);
    expect(inv.hosts.map((h) => h.name)).toEqual(["web01", "web02", "db01"]);
    const [web01, web02, db01] = inv.hosts;
    expect(web01).toEqual({
      name: "web01",
      address: "10.0.0.11",
      port: 22,
      user: "certadmin",
      identityFile: "/home/op/.ssh/id_ed25519",
      passwordEnv: "CERTFLEET_PASSWORD",
      knownHostsFile: "/home/op/.ssh/known_hosts",
      shell: "cmd",
      groups: ["canary", "web"],
    });
    expect(web02).toMatchObject({ port: 2222, user: "other", knownHostsFile: "/etc/ssh/ssh_known_hosts", groups: ["web"] });
    expect(db01).toMatchObject({
      address: "db01.corp.example.com",
      address6: "2001:db8::5",
      shell: "powershell",
      connectTimeoutMs: 5000,
      groups: ["db"],
      tls: { address: "192.0.2.10", endpoints: { "0.0.0.0:443": "192.0.2.10:8443", "www.example.com:443": "lb.example.com:443" } },
    });
    expect(inv.groups).toEqual({ canary: ["web01"], web: ["web01", "web02"], db: ["db01"] });
  });

  it("reads JSON by extension", () => {
    const inv = parseInventory(
      JSON.stringify({ defaults: { user: "u" }, hosts: { a: { address: "::1" }, b: { address: "h.example" } } }),
      "inv.json",
    );
    expect(inv.hosts.map((h) => [h.name, h.address, h.port, h.shell])).toEqual([
      ["a", "::1", 22, "auto"],
      ["b", "h.example", 22, "auto"],
    ]);
  });

  it("loads from disk and names a missing file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "certfleet-inv-"));
    const file = join(dir, "hosts.yaml");
    await writeFile(file, GOOD);
    expect((await loadInventory(file)).hosts).toHaveLength(3);
    await expect(loadInventory(join(dir, "nope.yaml"))).rejects.toThrow(/nope\.yaml: cannot read the inventory: file not found/);
  });
});

describe("parseInventory: errors name file, path and problem", () => {
  it("malformed YAML, with line and column", () => {
    const e = errorOf("hosts:\n  web01:\n    address: [10.0.0.1\n");
    expect(e.message).toMatch(/^inventory\/hosts\.yaml:\d+:\d+: malformed YAML: /);
  });

  it("malformed JSON, with line and column", () => {
    const e = errorOf('{\n  "hosts": {\n    "a": { "address": "x" },\n  }\n}', "inv.json");
    expect(e.message).toMatch(/^inv\.json:4:3: malformed JSON: /);
  });

  it("unknown key", () => {
    const e = errorOf("defaults: {user: u}\nhosts:\n  web02:\n    address: 10.0.0.12\n    prot: 22\n");
    expect(e.message).toContain(`${FILE}: hosts.web02.prot: unknown key "prot"`);
    expect(e.message).toContain("allowed: address");
    expect(e.path).toBe("hosts.web02.prot");
    expect(e.file).toBe(FILE);
  });

  it("unknown top-level key", () => {
    expect(errorOf("host:\n  a: {address: 1.2.3.4}\n").message).toContain(`${FILE}: host: unknown key "host"`);
  });

  it("missing address", () => {
    const e = errorOf("defaults: {user: u}\nhosts:\n  web01:\n    port: 22\n");
    expect(e.message).toBe(`${FILE}: hosts.web01.address: required key is missing`);
    expect(e.path).toBe("hosts.web01.address");
  });

  it("bad port", () => {
    const e = errorOf('defaults: {user: u}\nhosts:\n  web02:\n    address: 10.0.0.12\n    port: "abc"\n');
    expect(e.message).toBe(`${FILE}: hosts.web02.port: expected a number from 1 to 65535, got "abc"`);
    expect(errorOf("defaults: {user: u, port: 70000}\nhosts: {a: {address: a.b}}\n").message).toBe(
      `${FILE}: defaults.port: expected a number from 1 to 65535, got 70000`,
    );
  });

  it("duplicate host in YAML", () => {
    const e = errorOf("defaults: {user: u}\nhosts:\n  web01:\n    address: 10.0.0.11\n  web01:\n    address: 10.0.0.12\n");
    expect(e.message).toBe(`${FILE}:5:3: hosts.web01: duplicate host "web01" (each host may appear only once)`);
    expect(e.path).toBe("hosts.web01");
  });

  it("duplicate host in JSON (JSON.parse alone would keep the last)", () => {
    const text = '{\n  "defaults": {"user": "u"},\n  "hosts": {\n    "web01": {"address": "10.0.0.11"},\n    "web01": {"address": "10.0.0.12"}\n  }\n}';
    const e = errorOf(text, "inventory/hosts.json");
    expect(e.message).toBe(`inventory/hosts.json:5:5: hosts.web01: duplicate host "web01" (each host may appear only once)`);
  });

  it("duplicate key inside a host", () => {
    const e = errorOf("defaults: {user: u}\nhosts:\n  web01:\n    address: 10.0.0.11\n    address: 10.0.0.12\n");
    expect(e.message).toContain("hosts.web01.address: duplicate key");
  });

  it("unknown host in a group", () => {
    const e = errorOf("defaults: {user: u}\nhosts:\n  web01: {address: 10.0.0.11}\ngroups:\n  web: [web01, web03]\n");
    expect(e.message).toBe(`${FILE}: groups.web[1]: unknown host "web03" in group "web"`);
  });

  it("group name equal to a host name", () => {
    const e = errorOf("defaults: {user: u}\nhosts:\n  web01: {address: 10.0.0.11}\ngroups:\n  web01: [web01]\n");
    expect(e.message).toContain("groups.web01: \"web01\" is both a group and a host name");
  });

  it.each([
    ["10.0.0.1; rm -rf /"],
    ["host name"],
    ["$(reboot)"],
    ["10.0.0.256"],
    ["-oProxyCommand=x"],
    ["a..b"],
    ["::g"],
  ])("bad address %j", (address) => {
    const e = errorOf(`defaults: {user: u}\nhosts:\n  web01:\n    address: ${JSON.stringify(address)}\n`);
    expect(e.message).toBe(
      `${FILE}: hosts.web01.address: expected an IPv4 address, IPv6 address or DNS host name, got ${JSON.stringify(address)}`,
    );
  });

  it("password in the file is refused with a pointer to passwordEnv", () => {
    const e = errorOf("defaults: {user: u}\nhosts:\n  web01:\n    address: 10.0.0.11\n    password: hunter2\n");
    expect(e.message).toContain(`${FILE}: hosts.web01.password: a password must never be stored in the inventory`);
    expect(e.message).toContain("passwordEnv");
    expect(e.message).not.toContain("hunter2");
    expect(errorOf("defaults: {user: u, password: x}\nhosts: {a: {address: a.b}}\n").message).toContain("defaults.password:");
  });

  it("passwordEnv must be a variable name", () => {
    const e = errorOf("defaults: {user: u, passwordEnv: 'my secret'}\nhosts: {a: {address: a.b}}\n");
    expect(e.message).toContain("defaults.passwordEnv: expected the NAME of an environment variable");
  });

  it("missing user", () => {
    expect(errorOf("hosts:\n  web01: {address: 10.0.0.11}\n").message).toBe(
      `${FILE}: hosts.web01.user: no user given: set user on the host or in defaults`,
    );
  });

  it("bad host name, bad shell, bad tls endpoint", () => {
    expect(errorOf("defaults: {user: u}\nhosts:\n  'web 01': {address: 10.0.0.11}\n").message).toContain(
      `hosts["web 01"]: invalid host name "web 01"`,
    );
    expect(errorOf("defaults: {user: u, shell: bash}\nhosts: {a: {address: a.b}}\n").message).toContain(
      "defaults.shell: expected one of cmd, powershell, auto, got \"bash\"",
    );
    expect(
      errorOf("defaults: {user: u}\nhosts: {a: {address: a.b, tls: {endpoints: {'0.0.0.0:443': 'x y:1'}}}}\n").message,
    ).toContain(`hosts.a.tls.endpoints["0.0.0.0:443"]: expected "host:port" to connect to, got "x y:1"`);
  });

  it("no hosts", () => {
    expect(errorOf("hosts: {}\n").message).toBe(`${FILE}: hosts: the inventory lists no hosts`);
    expect(errorOf("").message).toBe(`${FILE}: the inventory is empty`);
  });
});

describe("inventory/hosts.example.yaml", () => {
  it("is a valid inventory", async () => {
    const inv = await loadInventory(fileURLToPath(new URL("../../inventory/hosts.example.yaml", import.meta.url)));
    expect(inv.hosts.map((h) => h.name)).toEqual(["web01", "web02", "web03", "edge01"]);
    expect(inv.groups).toEqual({ canary: ["web01"], web: ["web01", "web02", "web03"], edge: ["edge01"] });
    expect(inv.hosts.find((h) => h.name === "edge01")).toMatchObject({ user: "edgeadmin", port: 22, shell: "auto" });
  });
});
