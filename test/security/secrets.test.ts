/**
 * Issue 5, secrets: the SSH password comes only from the environment variable the inventory names
 * (passwordEnv) and the PFX password only from --pfx-password-env. Whole commands run as their own
 * processes with distinctive secrets in the environment, right and wrong ones, and every byte they
 * print or write (reports, journal, plan) is searched for each secret in plain, base64, hex and
 * URL-encoded form. The command lines never carry a secret.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APPID, demoCertificates, startFleet, toPfx, type SimFleet } from "../../src/simulator/index.js";
import { bindingsOf, expectRebound, expectSameBindings, snapshotFleet, type HostBindings } from "../support/security-fleet.js";

const CLI = join(process.cwd(), "dist/cli/main.js");
const SSH_SECRET = "Zebra-SSH-7781-q!uartz";
const PFX_SECRET = "Okapi-PFX-4410-v#ellum";
const WRONG_SSH = "Wrong-SSH-9052-marmot";
const WRONG_PFX = "Wrong-PFX-3317-narwhal";
const SECRETS = [SSH_SECRET, PFX_SECRET, WRONG_SSH, WRONG_PFX];

/** Every form a careless log line or serializer could give a secret. */
function forms(secret: string): string[] {
  const b = Buffer.from(secret, "utf8");
  return [
    secret,
    b.toString("base64"),
    b.toString("base64").replace(/=+$/, ""),
    b.toString("base64url"),
    b.toString("hex"),
    b.toString("hex").toUpperCase(),
    encodeURIComponent(secret),
    Buffer.from(secret, "utf16le").toString("latin1"),
    JSON.stringify(secret).slice(1, -1),
    // a long enough piece of it, for a truncated echo
    secret.slice(0, 12),
  ];
}

interface Run {
  argv: string[];
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(argv: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const base = { ...process.env };
    // Only the variables a command is told about: no agent, no stray secret from the test runner.
    delete base.SSH_AUTH_SOCK;
    for (const k of ["CF_TEST_PW", "CF_PFX_PW"]) delete base[k];
    const child = spawn(process.execPath, [CLI, ...argv], { env: { ...base, NO_COLOR: "1", CI: "1", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString("latin1")));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString("latin1")));
    child.on("error", reject);
    child.on("close", (code) => resolve({ argv, code, stdout, stderr }));
  });
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(p)));
    else out.push(p);
  }
  return out;
}

describe("secrets never leave the environment", () => {
  const { oldCert, newCert } = demoCertificates();
  let fleet: SimFleet;
  let dir: string;
  let inventory: string;
  let pfx: string;
  let original: Map<string, HostBindings>;
  const runs: Run[] = [];
  const good = { CF_TEST_PW: SSH_SECRET, CF_PFX_PW: PFX_SECRET };
  const verifyFast = ["--verify-window", "5", "--verify-interval", "0.1"];

  beforeAll(async () => {
    fleet = await startFleet(
      [
        {
          name: "web01",
          profile: { os: "2012r2", shell: "cmd" },
          certificates: [{ cert: oldCert }, { cert: newCert }],
          bindings: [
            { kind: "ipport", endpoint: "0.0.0.0:443", certHash: oldCert.thumbprint, appId: APPID.iis, storeName: "MY", params: { clientcertnegotiation: "enable" } },
            { kind: "hostnameport", endpoint: "www.example.com:443", certHash: oldCert.thumbprint, appId: APPID.iis, storeName: "My" },
          ],
        },
        {
          name: "web02",
          profile: { os: "2022", shell: "powershell" },
          certificates: [{ cert: oldCert }, { cert: newCert }],
          bindings: [{ kind: "ipport", endpoint: "0.0.0.0:443", certHash: oldCert.thumbprint, appId: APPID.iis, storeName: null, params: { disablehttp2: "enable" } }],
        },
      ],
      { password: SSH_SECRET },
    );
    expect(fleet.password).toBe(SSH_SECRET);
    dir = await mkdtemp(join(tmpdir(), "certfleet-secrets-"));
    const files = await fleet.writeFiles(dir, { passwordEnv: "CF_TEST_PW" });
    inventory = files.inventory;
    pfx = join(dir, "new-wildcard.pfx");
    await writeFile(pfx, toPfx(newCert, PFX_SECRET));
    original = snapshotFleet(fleet.hosts);
  });
  afterAll(async () => {
    await fleet?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("the inventory names the variable, never holds the password, and has no key to fall back on", async () => {
    const text = await readFile(inventory, "utf8");
    expect(text).toMatch(/passwordEnv: CF_TEST_PW/);
    expect(text).not.toMatch(/identityFile/);
    for (const s of SECRETS) expect(text).not.toContain(s);
  });

  it("discover, plan, dry run, rollout, verify and rollback all work with the secrets in the environment only", async () => {
    const out = (name: string) => join(dir, "out", name);
    const steps: Array<[string[], number]> = [
      [["discover", "-i", inventory, "--out", out("discover")], 0],
      [["plan", "--new", pfx, "--pfx-password-env", "CF_PFX_PW", "-i", inventory, "--out", out("plan")], 0],
      [["rollout", "--new", pfx, "--pfx-password-env", "CF_PFX_PW", "--dry-run", "-i", inventory, "--out", out("dry-run")], 0],
      [["rollout", "--new", pfx, "--pfx-password-env", "CF_PFX_PW", "--yes", "-i", inventory, "--out", out("rollout"), ...verifyFast], 0],
      [["verify", "--expect", pfx, "--pfx-password-env", "CF_PFX_PW", "-i", inventory, "--out", out("verify"), ...verifyFast], 0],
    ];
    for (const [argv, want] of steps) {
      const r = await cli(argv, good);
      runs.push(r);
      expect(r.code, `${argv[0]}: ${r.stderr}`).toBe(want);
    }
    for (const host of fleet.hosts) expectRebound(host, original.get(host.name)!, oldCert.thumbprint, newCert.thumbprint);
    const journal = join(out("rollout"), "journal.jsonl");
    expect((await stat(journal)).mode & 0o777).toBe(0o600);
    const back = await cli(["rollback", "--journal", journal, "--yes", "-i", inventory, "--out", out("rollback")], good);
    runs.push(back);
    expect(back.code, back.stderr).toBe(0);
    for (const host of fleet.hosts) expectSameBindings(host, original.get(host.name)!);
  });

  it("a wrong PFX password is bad input (exit 2) and is not echoed", async () => {
    const r = await cli(["plan", "--new", pfx, "--pfx-password-env", "CF_PFX_PW", "-i", inventory, "--out", join(dir, "out", "wrong-pfx")], { ...good, CF_PFX_PW: WRONG_PFX });
    runs.push(r);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/wrong password/);
  });

  it("an unset PFX password variable is bad input naming the variable, not a value", async () => {
    const r = await cli(["plan", "--new", pfx, "--pfx-password-env", "CF_PFX_PW", "-i", inventory], { CF_TEST_PW: SSH_SECRET });
    runs.push(r);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/CF_PFX_PW is not set/);
  });

  it("a wrong SSH password fails every host with kind auth and is not echoed", async () => {
    const before = fleet.hosts.map((h) => bindingsOf(h));
    const outDir = join(dir, "out", "wrong-ssh");
    const r = await cli(["rollout", "--new", pfx, "--pfx-password-env", "CF_PFX_PW", "--yes", "--max-failures", "2", "-i", inventory, "--out", outDir], { ...good, CF_TEST_PW: WRONG_SSH });
    runs.push(r);
    expect(r.code).toBe(1);
    const report = JSON.parse(await readFile(join(outDir, "report.json"), "utf8")) as { hosts: Array<{ status: string; error?: { kind: string } }> };
    expect(report.hosts.map((h) => [h.status, h.error?.kind])).toEqual([
      ["failed", "auth"],
      ["failed", "auth"],
    ]);
    fleet.hosts.forEach((h, i) => expectSameBindings(h, before[i]!));
  });

  it("no output and no file written by any of those commands holds any secret in any form", async () => {
    expect(runs.length).toBeGreaterThanOrEqual(9);
    const written = await filesUnder(join(dir, "out"));
    // reports, markdown, html, junit, the journal and the plan were all written and searched
    for (const name of ["report.json", "report.md", "report.html", "junit.xml", "journal.jsonl", "plan.json"]) {
      expect(written.some((f) => f.endsWith(name)), name).toBe(true);
    }
    const haystacks: Array<[string, string]> = [];
    for (const r of runs) haystacks.push([`stdout of ${r.argv[0]}`, r.stdout], [`stderr of ${r.argv[0]}`, r.stderr]);
    for (const f of written) haystacks.push([f, (await readFile(f)).toString("latin1")]);
    let searched = 0;
    for (const [where, text] of haystacks) {
      for (const secret of SECRETS) {
        for (const form of forms(secret)) {
          searched++;
          if (text.includes(form)) throw new Error(`${where} contains ${JSON.stringify(form)} (a form of a secret)`);
        }
      }
    }
    expect(searched).toBeGreaterThan(100);
  });

  it("no command line ever carried a secret, and no option accepts one", async () => {
    for (const r of runs) for (const secret of SECRETS) expect(r.argv.join("\u0000")).not.toContain(secret);
    const help = await Promise.all(["plan", "rollout", "verify", "discover", "rollback"].map((c) => cli([c, "--help"], {})));
    for (const h of help) {
      const options = h.stdout.match(/--[a-z-]*pass[a-z-]*/g) ?? [];
      expect(options.every((o) => o.endsWith("-env")), options.join(", ")).toBe(true);
    }
    const direct = await cli(["plan", "--new", pfx, "--pfx-password", PFX_SECRET, "-i", inventory], good);
    expect(direct.code).toBe(2);
    expect(direct.stderr + direct.stdout).not.toContain(PFX_SECRET);
  });
});
