/**
 * The built CLI (`node dist/cli/main.js`) as an operator or a script meets it: bad input exits 2
 * naming the file, the path and the problem with no host contacted; parse prints what the
 * parsers read; every --help lists its options; discover against a simulated fleet writes its
 * four reports, prints the certificate summary and exits 0 or 1 as DESIGN.md says.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import pLimit from "p-limit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { buildProgram } from "../../src/cli/program.js";
import { Report } from "../../src/report/schema.js";
import { startFleet, demoCertificates, APPID, type SimFleet, type SimHostSpec } from "../../src/simulator/index.js";
import { parseCertutilStore } from "../../src/windows/certutil-parse.js";
import { decodeWindowsOutput } from "../../src/windows/decode.js";
import { parseNetshShowSslcert } from "../../src/windows/netsh-parse.js";

const ROOT = resolve(import.meta.dirname, "../..");
const MAIN = join(ROOT, "dist/cli/main.js");
const SAMPLES = join(ROOT, "test/fixtures/windows-samples");
const ANSI = /\x1b\[/;

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Asynchronous on purpose: the simulated hosts live in this process and must keep answering. */
function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const t0 = performance.now();
  // CI=1 alone must select plain output: no NO_COLOR from the outer environment to help it
  const childEnv: NodeJS.ProcessEnv = { ...process.env, CI: "1", ...env };
  delete childEnv.NO_COLOR;
  return new Promise((done) => {
    execFile(
      process.execPath,
      [MAIN, ...args],
      // stdin is not a TTY for a child of execFile
      { cwd: ROOT, env: childEnv, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
        done({ code, stdout: String(stdout), stderr: String(stderr), ms: performance.now() - t0 });
      },
    );
  });
}

function specs(): SimHostSpec[] {
  const { oldCert, newCert, unrelatedCert } = demoCertificates();
  return [
    {
      name: "web01",
      groups: ["web"],
      profile: { os: "2022", language: "en", shell: "cmd" },
      certificates: [{ cert: oldCert, template: "WebServer, Web Server" }, { cert: newCert }],
      bindings: [
        { kind: "ipport", endpoint: "0.0.0.0:443", certHash: oldCert.thumbprint, appId: APPID.iis, storeName: "MY" },
        { kind: "hostnameport", endpoint: "www.example.com:443", certHash: oldCert.thumbprint, appId: APPID.iis, storeName: "My" },
      ],
    },
    {
      name: "web02",
      groups: ["web"],
      profile: { os: "2012r2", language: "fr", shell: "powershell" },
      certificates: [{ cert: oldCert }, { cert: newCert, hasPrivateKey: false }, { cert: unrelatedCert }],
      bindings: [
        { kind: "ipport", endpoint: "0.0.0.0:443", certHash: oldCert.thumbprint, appId: APPID.iis, storeName: null },
        { kind: "ipport", endpoint: "0.0.0.0:8443", certHash: unrelatedCert.thumbprint, appId: APPID.iis, storeName: "MY" },
      ],
    },
    {
      name: "down01",
      groups: ["broken"],
      profile: { os: "2016", language: "de", shell: "cmd" },
      certificates: [{ cert: oldCert }],
      bindings: [{ kind: "ipport", endpoint: "0.0.0.0:443", certHash: oldCert.thumbprint, appId: APPID.iis }],
      faults: { unreachable: true },
    },
  ];
}

describe("certfleet CLI (built)", () => {
  let fleet: SimFleet;
  let dir: string;
  let inventory: string;
  let good: Record<string, unknown>;
  const timings: Array<[string, number]> = [];

  beforeAll(async () => {
    if (!existsSync(MAIN)) {
      await new Promise<void>((ok, fail) =>
        execFile("npm", ["run", "build"], { cwd: ROOT, timeout: 120_000 }, (err) => (err ? fail(err) : ok())),
      );
    }
    fleet = await startFleet(specs());
    dir = await mkdtemp(join(tmpdir(), "certfleet-cli-"));
    const files = await fleet.writeFiles(dir);
    inventory = files.inventory;
    good = fleet.inventoryDocument({ identityFile: files.identityFile, knownHostsFile: files.knownHostsFile });
  });

  afterAll(async () => {
    await fleet?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
    // eslint-disable-next-line no-console
    console.log(`cli e2e timings: ${timings.map(([n, ms]) => `${n} ${Math.round(ms)} ms`).join("; ")}`);
  });

  const contacted = () => fleet.hosts.filter((h) => h.commandLog.length > 0).map((h) => h.name);
  const clone = (): { defaults: Record<string, unknown>; hosts: Record<string, Record<string, unknown>>; groups?: Record<string, string[]> } =>
    structuredClone(good) as never;
  let n = 0;
  const write = async (text: string, ext = "yaml"): Promise<string> => {
    const file = join(dir, `bad-${++n}.${ext}`);
    await writeFile(file, text);
    return file;
  };

  describe("bad inventories exit 2, name the file, the path and the problem, and contact no host", () => {
    const cases: Array<[string, (doc: ReturnType<typeof clone>) => string, RegExp | null, RegExp]> = [
      ["malformed YAML", (d) => `${stringify(d)}\n  web03: [unclosed\n`, null, /malformed YAML/],
      [
        "unknown key",
        (d) => {
          d.hosts.web01!.adress = "10.0.0.1";
          return stringify(d);
        },
        /hosts\.web01\.adress/,
        /unknown key "adress"/,
      ],
      [
        "missing address",
        (d) => {
          delete d.hosts.web02!.address;
          return stringify(d);
        },
        /hosts\.web02\.address/,
        /missing/,
      ],
      [
        "duplicate host",
        (d) => {
          const text = stringify(d);
          const port = (d.hosts.web01 as { port: number }).port;
          return text.replace(/^hosts:\n/m, `hosts:\n  web01:\n    address: 127.0.0.1\n    port: ${port}\n`);
        },
        /hosts\.web01/,
        /duplicate host "web01"/,
      ],
      [
        "unknown group member",
        (d) => {
          d.groups = { web: ["web01", "web09"] };
          return stringify(d);
        },
        /groups\.web\[1\]/,
        /unknown host "web09" in group "web"/,
      ],
      [
        "bad port",
        (d) => {
          d.hosts.web02!.port = 70000;
          return stringify(d);
        },
        /hosts\.web02\.port/,
        /1 to 65535.*70000/,
      ],
      [
        "password key",
        (d) => {
          d.hosts.web01!.password = "hunter2";
          return stringify(d);
        },
        /hosts\.web01\.password/,
        /passwordEnv/,
      ],
    ];

    for (const [name, make, path, problem] of cases) {
      it(name, async () => {
        const file = await write(make(clone()));
        const r = await cli(["discover", "-i", file, "-c", "5", "--out", join(dir, `out-${n}`)]);
        timings.push([`bad inventory (${name})`, r.ms]);
        expect(r.code, r.stderr).toBe(2);
        expect(r.stderr).toContain(file);
        if (path) expect(r.stderr).toMatch(path);
        expect(r.stderr).toMatch(problem);
        expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
        expect(r.stderr).not.toContain("hunter2");
        expect(r.stdout).toBe("");
        expect(existsSync(join(dir, `out-${n}`))).toBe(false);
        expect(contacted()).toEqual([]);
      });
    }

    it("a JSON inventory with a duplicate host too", async () => {
      const d = clone();
      const text = JSON.stringify(d, null, 2).replace(/"hosts": \{\n/, `"hosts": {\n    "web02": { "address": "127.0.0.1" },\n`);
      const file = await write(text, "json");
      const r = await cli(["discover", "-i", file]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(file);
      expect(r.stderr).toMatch(/hosts\.web02: duplicate host "web02"/);
      expect(contacted()).toEqual([]);
    });
  });

  it("an unknown -l selector exits 2 and contacts no host", async () => {
    const r = await cli(["discover", "-i", inventory, "-l", "web,nosuch*x,dbservers"]);
    timings.push(["unknown -l", r.ms]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/unknown host or group "dbservers"/);
    expect(r.stderr).toContain(inventory);
    expect(contacted()).toEqual([]);
  });

  it("a malformed --new thumbprint exits 2 and contacts no host", async () => {
    for (const cmd of [["plan"], ["rollout", "--yes"]]) {
      const r = await cli([...cmd, "-i", inventory, "--new", "12:34:zz:not-a-thumbprint"]);
      expect(r.code, `${cmd[0]}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(/--new: .*12:34:zz:not-a-thumbprint.* neither a SHA-1 thumbprint/);
    }
    expect(contacted()).toEqual([]);
  });

  it("rollout without --yes and without a terminal exits 2, says why, and sends nothing", async () => {
    const { newCert } = demoCertificates();
    const r = await cli(["rollout", "-i", inventory, "-l", "web", "--new", newCert.thumbprint, "--out", join(dir, "rollout-no-tty")]);
    timings.push(["rollout without --yes", r.ms]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/no terminal/i);
    expect(r.stderr).toMatch(/--yes/);
    for (const h of fleet.hosts) for (const c of h.commandLog) expect(c).not.toMatch(/sslcert\s+(add|delete|update)|(add|delete|update)\s+sslcert/i);
    // exit 2 means no host contacted (DESIGN.md)
    expect(contacted()).toEqual([]);
    expect(existsSync(join(dir, "rollout-no-tty", "journal.jsonl"))).toBe(false);
  });

  describe("parse on the real samples prints what the parsers read", () => {
    it("every sample, netsh and certutil", async () => {
      const files = (await readdir(SAMPLES)).filter((f) => f.endsWith(".txt"));
      expect(files.length).toBeGreaterThanOrEqual(10);
      let bindings = 0;
      let certificates = 0;
      const limit = pLimit(3); // 2 cores: more node processes at once only queue
      const runs = files.map((f) => limit(async () => {
        const what = f.startsWith("netsh") ? "netsh" : "certutil";
        const r = await cli(["parse", what, join(SAMPLES, f)]);
        expect(r.code, `${f}: ${r.stderr}`).toBe(0);
        const text = decodeWindowsOutput(await readFile(join(SAMPLES, f)));
        const printed = JSON.parse(r.stdout) as { bindings?: unknown[]; certificates?: unknown[]; warnings: string[] };
        if (what === "netsh") {
          const want = parseNetshShowSslcert(text);
          expect(printed, f).toEqual(JSON.parse(JSON.stringify(want)));
          expect(printed.bindings!.length, f).toBeGreaterThan(0);
          bindings += want.bindings.length;
        } else {
          const want = parseCertutilStore(text);
          expect(printed, f).toEqual(JSON.parse(JSON.stringify(want)));
          expect(printed.certificates!.length, f).toBeGreaterThan(0);
          certificates += want.certificates.length;
        }
        for (const w of printed.warnings) expect(r.stderr, f).toContain(`warning: ${w}`);
        return r.ms;
      }));
      const ms = await Promise.all(runs);
      timings.push([`parse x${files.length} (3 at a time, slowest)`, Math.max(...ms)]);
      expect(bindings).toBeGreaterThanOrEqual(10);
      expect(certificates).toBeGreaterThan(5);
    });

    it("a missing file or an unknown kind exits 2", async () => {
      const missing = await cli(["parse", "netsh", join(dir, "no-such-capture.txt")]);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain("no-such-capture.txt");
      const kind = await cli(["parse", "ipconfig", join(SAMPLES, "netsh-show-legacy13-null-store-watson.txt")]);
      expect(kind.code).toBe(2);
      expect(kind.stderr).toMatch(/ipconfig/);
    });
  });

  it("--help of every command exits 0 and lists each of its options", async () => {
    const program = buildProgram();
    const commands = program.commands.map((c) => ({ name: c.name(), options: c.options.map((o) => o.long ?? o.short ?? "") }));
    expect(commands.map((c) => c.name).sort()).toEqual(["deliver", "demo", "discover", "lab", "parse", "plan", "rollback", "rollout", "verify"]);
    const top = await cli(["--help"]);
    expect(top.code).toBe(0);
    for (const c of commands) expect(top.stdout).toContain(c.name);
    const limit = pLimit(3);
    const results = await Promise.all(commands.map((c) => limit(async () => ({ c, r: await cli([c.name, "--help"]) }))));
    for (const { c, r } of results) {
      expect(r.code, c.name).toBe(0);
      expect(r.stdout, c.name).toContain(`Usage: certfleet ${c.name}`);
      for (const o of c.options) expect(r.stdout, `${c.name} --help mentions ${o}`).toContain(o);
    }
    const discover = results.find((x) => x.c.name === "discover")!.r.stdout;
    for (const o of ["-i, --inventory", "-l, --limit", "-c, --concurrency", "--out"]) expect(discover).toContain(o);
  });

  describe("discover through the CLI against a simulated fleet", () => {
    it("all hosts fine: exit 0, four reports and the results file in --out, the certificate summary on stdout, plain progress", async () => {
      const out = join(dir, "discover-ok");
      // a CI runner that forces colour for other tools must still get plain, escape-free lines
      const r = await cli(["discover", "-i", inventory, "-l", "web", "-c", "5", "--out", out], { FORCE_COLOR: "1" });
      timings.push(["discover 2 hosts (exit 0)", r.ms]);
      expect(r.code, r.stderr).toBe(0);
      expect((await readdir(out)).sort()).toEqual(["junit.xml", "report.html", "report.json", "report.md", "results.ndjson"]);
      const report = Report.parse(JSON.parse(await readFile(join(out, "report.json"), "utf8")));
      // one line a host, written as each finished; the report was built from it
      const results = (await readFile(join(out, "results.ndjson"), "utf8")).trim().split("\n").map((l) => JSON.parse(l) as { name: string });
      expect(results.map((x) => x.name).sort()).toEqual(report.hosts.map((h) => h.name).sort());
      expect(report.hosts.map((h) => [h.name, h.status])).toEqual([
        ["web01", "ok"],
        ["web02", "ok"],
      ]);
      expect(report.hosts.map((h) => h.bindings.length)).toEqual([2, 2]);

      const { oldCert, newCert, unrelatedCert } = demoCertificates();
      expect(r.stdout).toMatch(/Certificates \(3\), soonest expiry first:/);
      for (const t of [oldCert, newCert, unrelatedCert]) expect(r.stdout).toContain(t.thumbprint);
      // old *.example.com: bound on both hosts; expires in about 10 days
      const blockOf = (thumbprint: string): string => r.stdout.split(/\n(?=  \S)/).find((b) => b.includes(thumbprint)) ?? "";
      const oldBlock = blockOf(oldCert.thumbprint);
      expect(oldBlock).toMatch(/\b(9|10) days\b/);
      expect(oldBlock).toMatch(/web01\s+ipport 0\.0\.0\.0:443, hostnameport www\.example\.com:443/);
      expect(oldBlock).toMatch(/web02\s+ipport 0\.0\.0\.0:443/);
      // the renewal lacks its key on web02 (French: certutil's verdict may be unreadable)
      const newBlock = blockOf(newCert.thumbprint);
      expect(newBlock).toMatch(/(no private key on|private key not shown on): web02/);
      expect(r.stdout).not.toMatch(/Failures/);

      expect(r.stderr).not.toMatch(ANSI);
      expect(r.stdout).not.toMatch(ANSI);
      expect(r.stderr).toMatch(/^web01: ok - /m);
      expect(r.stderr).toMatch(/^web02: ok - /m);
      expect(r.stderr).toContain(`reports: ${out}/\n  report.json  report.md  report.html  junit.xml`);
      // web01: its `host` case and its two bindings; nothing fails
      expect(await readFile(join(out, "junit.xml"), "utf8")).toMatch(/<testsuite name="web01"[^>]*tests="3"[^>]*failures="0"/);
      expect(await readFile(join(out, "junit.xml"), "utf8")).toMatch(/<testsuites [^>]*failures="0"/);
      expect(await readFile(join(out, "report.md"), "utf8")).toContain(oldCert.thumbprint);
      expect(await readFile(join(out, "report.html"), "utf8")).toMatch(/^<!doctype html>/i);
    });

    it("an unreachable host: exit 1, the others complete, the failure is listed by kind", async () => {
      const out = join(dir, "discover-fail");
      const r = await cli(["discover", "-i", inventory, "-c", "2", "--out", out]);
      timings.push(["discover 3 hosts, 1 unreachable (exit 1)", r.ms]);
      expect(r.code, r.stderr).toBe(1);
      const report = Report.parse(JSON.parse(await readFile(join(out, "report.json"), "utf8")));
      expect(report.hosts.map((h) => [h.name, h.status, h.error?.kind])).toEqual([
        ["web01", "ok", undefined],
        ["web02", "ok", undefined],
        ["down01", "failed", "unreachable"],
      ]);
      expect(r.stdout).toMatch(/Failures \(1\):\n\s+unreachable\s+down01\s+\S/);
      expect(r.stderr).toMatch(/^down01: FAILED - unreachable: /m);
      expect(r.stderr).not.toMatch(ANSI);
      expect(await readFile(join(out, "junit.xml"), "utf8")).toMatch(/<testsuite[^>]*failures="1"/);
      expect(fleet.host("down01").commandLog).toEqual([]);
      // discover only reads
      for (const h of fleet.hosts) for (const c of h.commandLog) expect(c).not.toMatch(/\b(add|delete|update)\s+sslcert/i);
    });
  });
});
