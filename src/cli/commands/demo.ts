import { existsSync, rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { defaultOutDir } from "../../report/write.js";
import { Command } from "commander";
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { demoCertificates, demoFleetSpecs, startFleet, toPfx } from "../../simulator/index.js";
import { positiveInt } from "../options.js";

/**
 * `certfleet demo`: a simulated fleet of Windows hosts (real SSH, real TLS, on loopback) and the
 * whole job against it: discover, dry run, rollout canary-then-all, verify. Nothing outside this
 * machine is touched; the reports land in --out like a real run's.
 */
/** `run` is the CLI itself (passed in: the program builds this command, so it is not imported). */
export function demoCommand(run: (argv: string[]) => Promise<number>): Command {
  return new Command("demo")
    .description("run discover, a dry run, a canary-then-all rollout and verify against a built-in simulated fleet (no inventory needed)")
    .option("--hosts <n>", "how many simulated hosts", "24")
    .option("--discover-only", "stop after discover")
    .option("--out <dir>", "where the reports go", "./certfleet-out/demo")
    .option("--plain", "plain progress lines")
    .action(async (opts: { hosts: string; discoverOnly?: boolean; out: string; plain?: boolean }) => {
      const n = positiveInt(opts.hosts, "--hosts", 24);
      const say = (s: string) => process.stderr.write(`\n### ${s}\n`);
      say(
        `starting ${n} simulated Windows hosts (2012 R2 to 2025; English, French, German; cmd.exe and PowerShell; ` +
          `every fourth host without OpenSSH, reached over WinRM: HTTP with NTLM and message encryption, or HTTPS)`,
      );
      // web01 (the canary) stays on SSH; every fourth host speaks WinRM only, every eighth over HTTPS.
      // Most hosts lack the new certificate: the rollout delivers renewed.pfx to them first.
      const specs = demoFleetSpecs(n, { deliver: true }).map((s, i) => (i % 4 === 3 ? { ...s, winrm: i % 8 === 7 ? { https: true } : {} } : s));
      const fleet = await startFleet(specs);
      // The simulated WinRM hosts take the fleet's password from the variable the inventory names.
      process.env.CERTFLEET_SIM_PASSWORD = fleet.password;
      // The inventory and the fleet's private key live only as long as the fleet does.
      const scratch = await mkdtemp(join(tmpdir(), "certfleet-demo-"));
      // Ctrl-C during a step exits from inside it: the key and inventory still go.
      const onExit = () => rmSync(scratch, { recursive: true, force: true });
      process.once("exit", onExit);
      // One folder per demo run: a run never overwrites an earlier run's reports.
      const stamp = join(opts.out, basename(defaultOutDir("demo", new Date())));
      let out = stamp;
      for (let n = 2; existsSync(out); n++) out = `${stamp}-${n}`;
      try {
        const files = await fleet.writeFiles(scratch);
        const { newCert, oldCert } = demoCertificates();
        // The renewed certificate as the CA hands it over: a PFX with its key, under a password
        // that lives in an environment variable (never on a command line).
        const pfx = join(scratch, "renewed.pfx");
        process.env.CERTFLEET_DEMO_PFX_PASSWORD = randomBytes(12).toString("base64url");
        await writeFile(pfx, toPfx(newCert, process.env.CERTFLEET_DEMO_PFX_PASSWORD), { mode: 0o600 });
        process.stderr.write(`inventory: ${files.inventory}\nold *.example.com: ${oldCert.thumbprint}\nnew *.example.com: ${newCert.thumbprint} (renewed.pfx; delivered to the hosts that lack it)\n`);
        const withPfx = ["--new", pfx, "--pfx-password-env", "CERTFLEET_DEMO_PFX_PASSWORD"];
        const common = ["-i", files.inventory, "-c", "5", ...(opts.plain ? ["--plain"] : [])];
        const steps: Array<[string, string[]]> = [["certfleet discover", ["discover", ...common, "--out", join(out, "discover")]]];
        if (!opts.discoverOnly) {
          steps.push(
            ["certfleet rollout --dry-run (the exact commands; nothing changes)", ["rollout", ...common, ...withPfx, "--dry-run", "-l", "web01,web02,adfs01", "--out", join(out, "dry-run")]],
            ["certfleet rollout --new renewed.pfx: canary web01, then batches of 50%, at most 4 failed hosts", ["rollout", ...common, ...withPfx, "--canary", "web01", "--batch", "50%", "--max-failures", "4", "--verify-window", "5", "--verify-interval", "0.2", "--yes", "--out", join(out, "rollout")]],
            ["certfleet verify: the post-rollout report", ["verify", ...common, "--expect", newCert.thumbprint, "--verify-window", "2", "--verify-interval", "0.2", "--out", join(out, "verify")]],
          );
        }
        for (const [title, argv] of steps) {
          say(title);
          const code = await run(argv);
          process.stderr.write(`(exit code ${code})\n`);
        }
        say(`done: reports in ${out}/*/report.html; the simulated fleet keeps its deliberate faults (unreachable, not elevated)`);
        process.exitCode = 0;
      } finally {
        await fleet.stop();
        await rm(scratch, { recursive: true, force: true });
        process.off("exit", onExit);
      }
    });
}
