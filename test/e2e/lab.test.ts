/**
 * A fleet to rehearse on: `certfleet lab` keeps the simulated fleet running for commands from
 * another terminal and removes what it wrote on Ctrl-C; `demo` leaves no inventory or key behind.
 */
import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const MAIN = resolve(import.meta.dirname, "../../dist/cli/main.js");

function cli(args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [MAIN, ...args], { env: { ...process.env, CI: "1", ...env }, timeout: 120_000, ...(cwd ? { cwd } : {}) }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** `certfleet lab --dir lab ARGS` in `cwd`, once it has printed its instructions; `output()` is what it printed so far. */
async function startLab(cwd: string, args: string[]) {
  const lab = spawn(process.execPath, [MAIN, "lab", "--dir", "lab", ...args], { cwd, env: { ...process.env, CI: "1" }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const ready = new Promise<void>((resolveReady, reject) => {
    lab.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("Ctrl-C here stops it")) resolveReady();
    });
    lab.on("exit", (code) => reject(new Error(`lab exited (${code}) before it was ready:\n${out}`)));
  });
  const exited = new Promise<number | null>((r) => lab.on("exit", (code) => r(code)));
  await ready;
  return { lab, exited, output: () => out };
}

describe("certfleet lab", () => {
  it("runs until Ctrl-C, serves commands from elsewhere, and removes what it wrote", async () => {
    const cwd = await mkdtemp(join(tmpdir(), "certfleet-lab-"));
    const { lab, output, exited } = await startLab(cwd, ["--hosts", "3"]);
    const out = output();
    expect(out).toContain("certfleet discover -i lab/hosts.yaml");
    expect(out).toContain("certfleet plan     -i lab/hosts.yaml --new lab/new-wildcard.cer");
    expect((await readdir(join(cwd, "lab"))).sort()).toEqual(["hosts.yaml", "id_ed25519", "known_hosts", "new-wildcard.cer", "old-wildcard.cer"]);

    // from "another terminal": the printed commands work as printed
    const plan = await cli(["plan", "-i", "lab/hosts.yaml", "--new", "lab/new-wildcard.cer"], {}, cwd);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/certfleet plan: 3 hosts: 3 ok/);

    lab.kill("SIGINT");
    expect(await exited).toBe(0);
    expect(output()).toContain("stopped; removed 5 file(s) from lab/");
    expect(existsSync(join(cwd, "lab"))).toBe(false);
    // the reports of the rehearsal stay: they are the user's
    expect(existsSync(join(cwd, "certfleet-out"))).toBe(true);
  });

  it("--winrm N: the last N hosts over WinRM, their password in a file only its owner reads and never on screen; the printed export and commands work", async () => {
    const cwd = await mkdtemp(join(tmpdir(), "certfleet-lab-"));
    const { lab, output, exited } = await startLab(cwd, ["--hosts", "4", "--winrm", "2"]);
    const out = output();
    const { readFile, stat } = await import("node:fs/promises");
    const passwordFile = join(cwd, "lab", "winrm-password");
    expect((await stat(passwordFile)).mode & 0o777).toBe(0o600);
    const password = (await readFile(passwordFile, "utf8")).trim();
    expect(password.length).toBeGreaterThan(0);
    expect(out).not.toContain(password);
    expect(out).toContain("2 host(s) over WinRM (web03 to web04), every second one HTTPS");
    expect(out).toContain('  export CERTFLEET_SIM_PASSWORD="$(cat lab/winrm-password)"');
    const inventory = await readFile(join(cwd, "lab", "hosts.yaml"), "utf8");
    expect(inventory.match(/transport: winrm/g)).toHaveLength(2);
    expect(inventory).toContain("https: true");

    // as the printed export sets it: discover reaches all four hosts, two of them over WinRM
    const discover = await cli(["discover", "-i", "lab/hosts.yaml"], { CERTFLEET_SIM_PASSWORD: password }, cwd);
    expect(discover.code, discover.stdout + discover.stderr).toBe(0);
    expect(discover.stdout + discover.stderr).not.toContain(password);

    lab.kill("SIGINT");
    expect(await exited).toBe(0);
    expect(output()).toContain("stopped; removed 6 file(s) from lab/");
    expect(existsSync(join(cwd, "lab"))).toBe(false);
  });

  it("refuses more WinRM hosts than hosts (exit 2)", async () => {
    const cwd = await mkdtemp(join(tmpdir(), "certfleet-lab-"));
    const r = await cli(["lab", "--dir", "lab", "--hosts", "2", "--winrm", "3"], {}, cwd);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--winrm: 3 WinRM hosts, but the lab has 2 (--hosts)");
  });

  it("refuses a folder that already holds an inventory (exit 2)", async () => {
    const cwd = await mkdtemp(join(tmpdir(), "certfleet-lab-"));
    await mkdir(join(cwd, "lab"));
    await writeFile(join(cwd, "lab", "hosts.yaml"), "hosts: {}\n");
    const r = await cli(["lab", "--dir", "lab", "--hosts", "2"], {}, cwd);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("already exists: is another lab running there?");
  });
});

describe("certfleet demo", () => {
  it("leaves no inventory or private key in the temporary folder, and never reuses a report folder", async () => {
    const scratch = await mkdtemp(join(tmpdir(), "certfleet-demo-tmp-"));
    const out = await mkdtemp(join(tmpdir(), "certfleet-demo-out-"));
    for (let i = 0; i < 2; i++) {
      const r = await cli(["demo", "--hosts", "2", "--discover-only", "--out", out], { TMPDIR: scratch });
      expect(r.code, r.stderr).toBe(0);
    }
    expect(await readdir(scratch)).toEqual([]);
    // one folder per run (a second run would otherwise be refused: its --out holds a report)
    expect((await readdir(out)).length).toBe(2);
  });
});
