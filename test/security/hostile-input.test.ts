/**
 * Issue 5, hostile input from the operator's side: every inventory field and every CLI value,
 * tried with injection payloads, is either refused as bad input (InputError, exit 2, no host
 * contacted) or accepted only as a value matching a strict pattern.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { isIP } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { positiveInt, readTarget, secondsToMs } from "../../src/cli/options.js";
import type { Dialer } from "../../src/transport/dial.js";
import { runCli } from "../../src/cli/program.js";
import { parseInventory } from "../../src/inventory/load.js";
import type { Inventory } from "../../src/inventory/schema.js";
import { selectHosts } from "../../src/inventory/select.js";
import { InputError } from "../../src/model/errors.js";
import { assembleWaves, failureBudget } from "../../src/runs/waves.js";
import { PAYLOADS, hex40, hostileString, injected } from "../support/security-arbitraries.js";

const RUNS = Number(process.env.CERTFLEET_FC_RUNS ?? 1500);

function outcome<T>(f: () => T): { ok: true; value: T } | { ok: false; error: unknown } {
  try {
    return { ok: true, value: f() };
  } catch (error) {
    return { ok: false, error };
  }
}

function expectInputError(error: unknown): void {
  if (!(error instanceof InputError)) throw new Error(`expected an InputError, got ${String(error)}`, { cause: error });
  // The message reaches the terminal: no raw control characters from the hostile value.
  expect(error.message).not.toMatch(/[\u0000-\u0008\u000b-\u001f]/);
}

// ------------------------------------------------------------------------------------------
// Inventory

const BASE = {
  defaults: { user: "certadmin", port: 22, identityFile: "~/.ssh/id_ed25519", knownHostsFile: "/etc/ssh/known_hosts", shell: "auto" },
  hosts: {
    web01: { address: "10.0.0.11", groups: ["canary", "web"] },
    web02: { address: "web02.corp.example.com", port: 2222, tls: { address: "10.0.0.99", endpoints: { "0.0.0.0:443": "10.0.0.12:8443" } } },
  },
  groups: { web: ["web01", "web02"] },
};

type Path = readonly string[];
const FIELDS: Path[] = [
  ["defaults", "user"],
  ["defaults", "port"],
  ["defaults", "identityFile"],
  ["defaults", "knownHostsFile"],
  ["defaults", "passwordEnv"],
  ["defaults", "shell"],
  ["defaults", "connectTimeoutMs"],
  ["defaults", "commandTimeoutMs"],
  ["hosts", "web01", "address"],
  ["hosts", "web01", "address6"],
  ["hosts", "web01", "user"],
  ["hosts", "web01", "port"],
  ["hosts", "web01", "identityFile"],
  ["hosts", "web01", "passwordEnv"],
  ["hosts", "web02", "tls", "address"],
  ["hosts", "web02", "tls", "endpoints", "0.0.0.0:443"],
];

/** Values of every JSON type, with payloads: a field must not accept a type it did not ask for. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: hostileString },
  { weight: 4, arbitrary: injected(fc.constantFrom("10.0.0.1", "web01", "certadmin", "/home/op/.ssh/id", "CF_PW", "example.com:443", "2001:db8::1")) },
  { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null)) },
  { weight: 1, arbitrary: fc.oneof(fc.array(fc.string(), { maxLength: 2 }), fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 })) },
  { weight: 1, arbitrary: fc.constantFrom("0", "65536", "22 ", "-1", "1e3", "::1%eth0 ", "fe80::1%1;calc", "a..b", "-web", "web-", "localhost.", "1.2.3.4.5") },
);

function setPath(doc: Record<string, unknown>, path: Path, value: unknown): Record<string, unknown> {
  const copy = structuredClone(doc);
  let node: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  node[path[path.length - 1]!] = value;
  return copy;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const DNS = /^(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?$/;
const isAddress = (a: string) => isIP(a) !== 0 || (isIP(a.split("%")[0] ?? "") === 6 && /^[^%]+%[A-Za-z0-9_.-]+$/.test(a)) || (DNS.test(a) && !/\.\d+\.?$|^\d+$/.test(a));
const HOSTPORT = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/;
const isHostPort = (t: string) => {
  const m = HOSTPORT.exec(t);
  return m !== null && Number(m[3]) >= 1 && Number(m[3]) <= 65535 && isAddress(m[1] ?? m[2] ?? "");
};
const NO_CONTROL_PATH = (p: string) => p.length > 0 && !/[\u0000-\u001f\u007f-\u009f]/.test(p);

/** Every value the loader accepted matches its strict pattern. */
function expectStrict(inv: Inventory): void {
  for (const h of inv.hosts) {
    expect(h.name).toMatch(NAME);
    expect(isAddress(h.address), h.address).toBe(true);
    if (h.address6 !== undefined) expect(isIP(h.address6.split("%")[0] ?? ""), h.address6).toBe(6);
    expect(Number.isInteger(h.port) && h.port >= 1 && h.port <= 65535, String(h.port)).toBe(true);
    // A user name goes to the SSH server and into messages: no space, no control character.
    expect(h.user, JSON.stringify(h.user)).toMatch(/^[^\s\u0000-\u001f\u007f-\u009f]+$/);
    if (h.identityFile !== undefined) expect(NO_CONTROL_PATH(h.identityFile), JSON.stringify(h.identityFile)).toBe(true);
    expect(NO_CONTROL_PATH(h.knownHostsFile), JSON.stringify(h.knownHostsFile)).toBe(true);
    if (h.passwordEnv !== undefined) expect(h.passwordEnv).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
    expect(["cmd", "powershell", "auto"]).toContain(h.shell);
    for (const t of [h.connectTimeoutMs, h.commandTimeoutMs]) {
      if (t !== undefined) expect(Number.isInteger(t) && t > 0 && t <= 86_400_000, String(t)).toBe(true);
    }
    for (const g of h.groups) expect(g).toMatch(NAME);
    if (h.tls?.address !== undefined) expect(isAddress(h.tls.address), h.tls.address).toBe(true);
    for (const [k, v] of Object.entries(h.tls?.endpoints ?? {})) {
      expect(isHostPort(k), k).toBe(true);
      expect(isHostPort(v), v).toBe(true);
    }
  }
  for (const [g, members] of Object.entries(inv.groups)) {
    expect(g).toMatch(NAME);
    for (const m of members) expect(inv.hosts.map((h) => h.name)).toContain(m);
  }
}

function checkInventory(doc: unknown, asJson: boolean): void {
  const text = asJson ? JSON.stringify(doc) : stringify(doc);
  const out = outcome(() => parseInventory(text, asJson ? "hosts.json" : "hosts.yaml", { home: "/home/op" }));
  if (out.ok) expectStrict(out.value);
  else expectInputError(out.error);
}

describe("inventory fields with hostile values", () => {
  it("the unmodified base inventory is accepted (the property below starts from a good document)", () => {
    const inv = parseInventory(stringify(BASE), "hosts.yaml", { home: "/home/op" });
    expect(inv.hosts.map((h) => h.name)).toEqual(["web01", "web02"]);
  });

  it("any field set to any hostile value: InputError, or a value matching its strict pattern", () => {
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(fc.constantFrom(...FIELDS), hostileValue, fc.boolean(), (path, value, asJson) => {
        const doc = setPath(BASE, path, value);
        const text = asJson ? JSON.stringify(doc) : stringify(doc);
        const out = outcome(() => parseInventory(text, asJson ? "hosts.json" : "hosts.yaml", { home: "/home/op" }));
        if (out.ok) {
          expectStrict(out.value);
          accepted++;
        } else {
          expectInputError(out.error);
          refused++;
        }
      }),
      { numRuns: RUNS, seed: 42 },
    );
    expect(refused).toBeGreaterThan(RUNS / 2);
    expect(accepted).toBeGreaterThan(0);
  });

  it("hostile host names, group names and tls endpoint keys are refused or strict", () => {
    fc.assert(
      fc.property(hostileString, fc.constantFrom("host", "group", "member", "endpoint"), fc.boolean(), (name, where, asJson) => {
        const doc = structuredClone(BASE) as Record<string, any>;
        if (where === "host") doc.hosts[name] = { address: "10.0.0.13" };
        else if (where === "group") doc.groups[name] = ["web01"];
        else if (where === "member") doc.groups.web.push(name);
        else doc.hosts.web02.tls.endpoints[name] = "10.0.0.12:443";
        checkInventory(doc, asJson);
      }),
      { numRuns: RUNS, seed: 43 },
    );
  });

  it("names that are Object.prototype properties are not mistaken for hosts or groups", () => {
    for (const name of ["constructor", "toString", "hasOwnProperty", "valueOf", "isPrototypeOf"]) {
      const member = structuredClone(BASE) as Record<string, any>;
      member.groups.web.push(name);
      const out = outcome(() => parseInventory(stringify(member), "hosts.yaml"));
      expect(out.ok, `group member ${name}`).toBe(false);
      if (!out.ok) expect(String((out.error as Error).message)).toMatch(new RegExp(`unknown host "${name}"`));

      const group = structuredClone(BASE) as Record<string, any>;
      group.groups[name] = ["web01"];
      const g = parseInventory(stringify(group), "hosts.yaml");
      expect(g.groups[name]).toEqual(["web01"]);
    }
  });

  it("a YAML alias bomb or exotic tags are refused as bad input, never a crash", () => {
    const bomb = [
      'a: &a ["x","x","x","x","x","x","x","x","x","x"]',
      "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]",
      "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]",
      "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]",
      "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]",
      "hosts: {web01: {address: 10.0.0.1, user: x}}",
    ].join("\n");
    for (const text of [
      bomb,
      "hosts: {web01: {address: !!binary aGVsbG8=, user: x}}",
      "hosts: {web01: {address: !!js/function 'function(){}', user: x}}",
      "hosts: {web01: {address: 2001-12-14t21:59:43.10-05:00, user: x}}",
      "hosts: !!set {web01}",
      "hosts: {web01: {address: 10.0.0.1, user: x, port: 0x16}}",
      "\u0000hosts: {}",
    ]) {
      const out = outcome(() => parseInventory(text, "hosts.yaml"));
      if (out.ok) expectStrict(out.value);
      else expectInputError(out.error);
    }
  });

  it("a password in the inventory is refused, whatever its form", () => {
    for (const password of ["hunter2", "", 1234, { env: "X" }]) {
      const doc = setPath(BASE, ["defaults", "password"], password);
      const out = outcome(() => parseInventory(stringify(doc), "hosts.yaml"));
      expect(out.ok).toBe(false);
      if (!out.ok) {
        expectInputError(out.error);
        expect((out.error as Error).message).toMatch(/passwordEnv/);
        if (typeof password === "string" && password !== "") expect((out.error as Error).message).not.toContain(password);
      }
    }
  });
});

// ------------------------------------------------------------------------------------------
// CLI values

/** A thumbprint as users paste it: any case, spaces, colons, U+200E and other invisible marks. */
const decoratedThumbprint = fc
  .tuple(hex40, fc.array(fc.constantFrom("", " ", ":", "\u200e", "\u200f", "\ufeff", "\u00a0", "\t"), { minLength: 41, maxLength: 41 }), fc.boolean())
  .map(([hex, seps, upper]) => {
    const body = [...(upper ? hex.toUpperCase() : hex)].map((c, i) => seps[i] + c).join("") + seps[40];
    return { text: body, expected: hex };
  });

const cliString = fc.oneof(
  hostileString,
  injected(hex40),
  fc.constantFrom(".", "/", "..", "/tmp", "./", "package.json", "tsconfig.json", "/dev/null", "-", "--yes", "0", "1", "100%", "101%", "1e3", " 2 ", "2,3", "0x10", "１"),
);

describe("CLI values with hostile input", () => {
  it("--new / --old: a thumbprint however decorated, else InputError", () => {
    fc.assert(
      fc.property(decoratedThumbprint, ({ text, expected }) => {
        expect(readTarget(text, undefined).newCert.thumbprint).toBe(expected);
        const old = outcome(() => readTarget("b".repeat(40), [text]));
        if (expected === "b".repeat(40)) expect(old.ok).toBe(false);
        else expect(old.ok && old.value.oldThumbprints).toEqual([expected]);
      }),
      { numRuns: RUNS, seed: 1 },
    );
    fc.assert(
      fc.property(cliString, fc.boolean(), (value, asOld) => {
        const out = outcome(() => (asOld ? readTarget("b".repeat(40), [value]) : readTarget(value, undefined)));
        if (!out.ok) return expectInputError(out.error);
        expect(out.value.newCert.thumbprint).toMatch(/^[0-9a-f]{40}$/);
        for (const t of out.value.oldThumbprints) expect(t).toMatch(/^[0-9a-f]{40}$/);
      }),
      { numRuns: RUNS, seed: 2 },
    );
  });

  it("--canary / --batch: InputError, or waves that partition exactly the selected hosts in order", () => {
    const hosts = ["web01", "web02", "web03", "db01", "adfs01"];
    const spec = fc.oneof(cliString, fc.constantFrom("web02", "web02,db01", " web01 , adfs01 ", "web02,nosuch", ",", "", "0", "5", "50%", "0%"));
    fc.assert(
      fc.property(spec, fc.option(spec, { nil: undefined }), (canary, batch) => {
        const out = outcome(() => assembleWaves(hosts, canary, batch));
        if (!out.ok) return expectInputError(out.error);
        const { waves } = out.value;
        expect(waves.flat().sort()).toEqual([...hosts].sort());
        for (const w of waves.slice(1)) expect(w.length).toBeGreaterThan(0);
        for (const w of waves) expect(w).toEqual(hosts.filter((h) => w.includes(h)));
      }),
      { numRuns: RUNS, seed: 3 },
    );
  });

  it("--batch 0 is refused rather than silently taken as 1", () => {
    const out = outcome(() => assembleWaves(["a", "b", "c"], "1", "0"));
    expect(out.ok).toBe(false);
    if (!out.ok) expectInputError(out.error);
  });

  it("--max-failures / -c / timeouts: InputError or a whole, finite, non-negative number", () => {
    const numeric = fc.oneof(cliString, fc.stringMatching(/^\d{1,400}%?$/));
    fc.assert(
      fc.property(numeric, (value) => {
        const budget = outcome(() => failureBudget(value, 7));
        if (budget.ok) expect(Number.isSafeInteger(budget.value) && budget.value >= 0, `${value} -> ${budget.value}`).toBe(true);
        else expectInputError(budget.error);
        const c = outcome(() => positiveInt(value, "-c/--concurrency", 10));
        if (c.ok) expect(Number.isSafeInteger(c.value) && c.value >= 1, `${value} -> ${c.value}`).toBe(true);
        else expectInputError(c.error);
        const s = outcome(() => secondsToMs(value, "--verify-window", 60_000));
        // Node timers take at most 2^31-1 ms; a longer one fires at once.
        if (s.ok) expect(Number.isSafeInteger(s.value) && s.value >= 0 && s.value <= 2_147_483_647, `${value} -> ${s.value}`).toBe(true);
        else expectInputError(s.error);
      }),
      { numRuns: RUNS, seed: 4 },
    );
  });

  it("-l with any pattern: InputError or a subset of the inventory's hosts", () => {
    const inv = parseInventory(stringify(BASE), "hosts.yaml");
    const pattern = fc.oneof(cliString, fc.constantFrom("constructor", "toString", "__proto__", "web*", "!web01", "*", "canary,!web02", "valueOf,web01"));
    fc.assert(
      fc.property(pattern, (p) => {
        const out = outcome(() => selectHosts(inv, p));
        if (!out.ok) return expectInputError(out.error);
        for (const h of out.value) expect(["web01", "web02"]).toContain(h.name);
      }),
      { numRuns: RUNS, seed: 5 },
    );
  });
});

describe("the CLI refuses hostile values with exit 2 before contacting any host", () => {
  let dir: string;
  let inventory: string;
  const dialed: string[] = [];
  const dial: Dialer = async (host) => {
    dialed.push(host.name);
    throw new Error("no host may be contacted");
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "certfleet-hostile-"));
    inventory = join(dir, "hosts.yaml");
    await writeFile(inventory, stringify(BASE));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const good = "a".repeat(40);
  const cases: Array<[string, string[]]> = [
    ...PAYLOADS.map((p): [string, string[]] => [`--new ${JSON.stringify(p)}`, ["rollout", "--new", p, "--yes"]]),
    ...PAYLOADS.map((p): [string, string[]] => [`--old ${JSON.stringify(p)}`, ["plan", "--new", good, "--old", p]]),
    ["--new .", ["rollout", "--new", ".", "--yes"]],
    ["--new /", ["plan", "--new", "/"]],
    ["--new a directory", ["verify", "--expect", "/tmp"]],
    ["--new a non-certificate file", ["plan", "--new", "package.json"]],
    ["--canary unknown", ["rollout", "--new", good, "--canary", "web01&calc", "--yes"]],
    ["--batch 0", ["rollout", "--new", good, "--batch", "0", "--yes"]],
    ["--batch payload", ["rollout", "--new", good, "--batch", "1;calc", "--yes"]],
    ["--max-failures payload", ["rollout", "--new", good, "--max-failures", "$(calc)", "--yes"]],
    ["--max-failures 101%", ["rollout", "--new", good, "--max-failures", "101%", "--yes"]],
    ["-c 0", ["discover", "-c", "0"]],
    ["-c beyond 2^53", ["discover", "-c", "9".repeat(30)]],
    ["--command-timeout 0 (every command would time out at once)", ["discover", "--command-timeout", "0"]],
    ["--command-timeout beyond a Node timer (it would fire at once)", ["discover", "--command-timeout", "2147484"]],
    ["-c payload", ["discover", "-c", "4|calc"]],
    ["-l toString", ["discover", "-l", "toString"]],
    ["-l constructor", ["discover", "-l", "constructor"]],
    ["-l payload", ["discover", "-l", "web01&calc"]],
    ["--verify-window payload", ["rollout", "--new", good, "--verify-window", "`calc`", "--yes"]],
    ["--pfx-password on the command line", ["plan", "--new", good, "--pfx-password", "hunter2"]],
    ["--resume missing journal", ["rollout", "--new", good, "--resume", join("/nonexistent", "j.jsonl"), "--yes"]],
    ["rollback --journal directory", ["rollback", "--journal", "/tmp", "--yes"]],
  ];

  for (const [name, argv] of cases) {
    it(name.replace(/[\u0000-\u001f]/g, "?"), async () => {
      const before = dialed.length;
      const stderr: string[] = [];
      const write = process.stderr.write.bind(process.stderr);
      process.stderr.write = ((chunk: string | Uint8Array) => {
        stderr.push(String(chunk));
        return true;
      }) as typeof process.stderr.write;
      let code: number;
      try {
        code = await runCli([...argv, "-i", inventory, "--out", join(dir, "out")], dial);
      } finally {
        process.stderr.write = write;
      }
      expect(code, stderr.join("")).toBe(2);
      expect(dialed.length).toBe(before);
      expect(stderr.join("")).not.toMatch(/internal error/);
    });
  }
});
