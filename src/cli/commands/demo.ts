import { existsSync, rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { defaultOutDir } from "../../report/write.js";
import { Command } from "commander";
import { demoCertificates, demoFleetSpecs, startFleet } from "../../simulator/index.js";
import { positiveInt } from "../context.js";
import { runCli } from "../program.js";

/**
 * `certfleet demo`: a simulated fleet of Windows hosts (real SSH, real TLS, on loopback) and the
 * whole job against it: discover, dry run, rollout canary-then-all, verify. Nothing outside this
 * machine is touched; the reports land in --out like a real run's.
 */
export function demoCommand(): Command {
  return new Command("demo")
    .description("run discover, a dry run, a canary-then-all rollout and verify against a built-in simulated fleet (no inventory needed)")
    .option("--hosts <n>", "how many simulated hosts", "24")
    .option("--discover-only", "stop after discover")
    .option("--out <dir>", "where the reports go", "./certfleet-out/demo")
    .option("--plain", "plain progress lines")
    .action(async (opts: { hosts: string; discoverOnly?: boolean; out: string; plain?: boolean }) => {
      const n = positiveInt(opts.hosts, "--hosts", 24);
      const say = (s: string) => process.stderr.write(`\n### ${s}\n`);
      say(`starting ${n} simulated Windows hosts (2012 R2 to 2025; English, French, German; cmd.exe and PowerShell)`);
      const fleet = await startFleet(demoFleetSpecs(n));
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
        process.stderr.write(`inventory: ${files.inventory}\nold *.example.com: ${oldCert.thumbprint}\nnew *.example.com: ${newCert.thumbprint}\n`);
        const common = ["-i", files.inventory, "-c", "5", ...(opts.plain ? ["--plain"] : [])];
        const steps: Array<[string, string[]]> = [["certfleet discover", ["discover", ...common, "--out", join(out, "discover")]]];
        if (!opts.discoverOnly) {
          steps.push(
            ["certfleet rollout --dry-run (the exact commands; nothing changes)", ["rollout", ...common, "--new", newCert.thumbprint, "--dry-run", "-l", "web01,web02,adfs01", "--out", join(out, "dry-run")]],
            ["certfleet rollout: canary web01, then batches of 50%, at most 4 failed hosts", ["rollout", ...common, "--new", newCert.thumbprint, "--canary", "web01", "--batch", "50%", "--max-failures", "4", "--verify-window", "5", "--verify-interval", "0.2", "--yes", "--out", join(out, "rollout")]],
            ["certfleet verify: the post-rollout report", ["verify", ...common, "--expect", newCert.thumbprint, "--verify-window", "2", "--verify-interval", "0.2", "--out", join(out, "verify")]],
          );
        }
        for (const [title, argv] of steps) {
          say(title);
          const code = await runCli(argv);
          process.stderr.write(`(exit code ${code})\n`);
        }
        say(`done: reports in ${out}/*/report.html; the simulated fleet keeps its deliberate faults (unreachable, not elevated, a key missing)`);
        process.exitCode = 0;
      } finally {
        await fleet.stop();
        await rm(scratch, { recursive: true, force: true });
        process.off("exit", onExit);
      }
    });
}
