import { join } from "node:path";
import { reportFromRun } from "../../report/from-outcomes.js";
import { Command } from "commander";
import { runPlan } from "../../runs/plan.js";
import { openJournal } from "../../journal/journal.js";
import { type JournalRecord } from "../../journal/record.js";
import { runRollout } from "../../runs/rollout.js";
import { assembleWaves, failureBudget } from "../../runs/waves.js";
import { confirm, ensureConfirmable } from "../confirm.js";
import { openFleet, type FleetOptions } from "../open-fleet.js";
import { positiveInt, readTarget } from "../options.js";
import type { Dialer } from "../../transport/dial.js";
import { exitCodeFor, outDirFor, publish, withTransports } from "../output.js";
import { renderRunSummary } from "../run-summary.js";
import { certificateOptions, fleetOptions, ownerManagedOption, readJournalArgument, verifyTimingFrom, verifyTimingOptions, type VerifyTimingCliOptions } from "./common.js";
import { withOwnerManaged, type TargetCliOptions } from "./plan.js";

interface RolloutCliOptions extends FleetOptions, TargetCliOptions, VerifyTimingCliOptions {
  out?: string;
  canary: string;
  batch?: string;
  maxFailures?: string;
  dryRun?: boolean;
  yes?: boolean;
  verify: boolean;
  resume?: string;
}

/** Above this many hosts the confirmation preview lets its connections go (file descriptors). */
const MAX_KEPT_CONNECTIONS = 500;

export function rolloutCommand(dial?: Dialer): Command {
  const cmd = ownerManagedOption(certificateOptions(fleetOptions(new Command("rollout").requiredOption("--new <thumbprint|certfile>", "the new certificate: SHA-1 thumbprint or .cer/.crt/.pem/.pfx file")), "a certificate to replace (repeatable; default: older certificates with the same subject and SANs)"));
  return verifyTimingOptions(cmd)
    .description("rebind every http.sys binding that uses the old certificate to the new one: canary first, then batches, each verified over TLS")
    .option("--canary <n|names>", "first wave: a number of hosts or a comma list of names", "1")
    .option("--batch <n|p%>", "hosts per later wave (default: all the rest, bounded by -c)")
    .option("--max-failures <n|p%>", "failed hosts the WHOLE rollout tolerates before it halts (default 0)")
    .option("--dry-run", "discover and plan, print the exact remote commands per host, change nothing")
    .option("-y, --yes", "do not ask for confirmation (required without a terminal)")
    .option("--no-verify", "skip the TLS handshake check (the netsh read-back still runs)")
    .option("--resume <journal>", "finish or restore what an interrupted rollout left half-done, then go on; appends to that journal")
    .addHelpText(
      "after",
      `
Every binding is journaled (journal.jsonl in --out, mode 0600) before it is touched. A failed add
puts the original back at once; a host ends fully rebound or fully as it was.

Ctrl-C stops starting new hosts and lets the hosts in progress finish safely (exit 130); a second
Ctrl-C exits at once, and the journal then serves rollback or --resume.

Exit codes: 0 all hosts fine; 1 a host failed; 2 bad input (no host contacted); 3 halted by --max-failures;
130 stopped by Ctrl-C.

Examples:
  certfleet rollout --new new-wildcard.cer --dry-run
  certfleet rollout --new a909502dd82ae41433e6f83886b00d4277a32a7b --canary web01 --batch 20% --max-failures 2 --yes
  certfleet rollback --journal certfleet-out/<run>/journal.jsonl --yes
`,
    )
    .action(async (opts: RolloutCliOptions) => {
      const target = withOwnerManaged(readTarget(opts.new, opts.old, opts.pfxPasswordEnv), opts);
      const timing = verifyTimingFrom(opts);
      const resumeFrom: JournalRecord[] | undefined = opts.resume ? readJournalArgument(opts.resume, "--resume").records : undefined;
      if (!opts.dryRun) ensureConfirmable(opts.yes);
      const fleet = await openFleet(opts, dial);
      const names = fleet.hosts.map((h) => h.name);
      const { waves } = assembleWaves(names, opts.canary, opts.batch);
      const maxFailures = failureBudget(opts.maxFailures, names.length);
      positiveInt(opts.concurrency, "-c/--concurrency", 10);
      const dir = outDirFor(opts.out, opts.dryRun ? "rollout-dry-run" : "rollout", new Date());
      try {
        if (!opts.dryRun && !opts.yes) {
          // The rollout visits the same hosts right after: keep their connections (within reason).
          const previewDeps = { ...fleet.deps, keepConnections: names.length <= MAX_KEPT_CONNECTIONS };
          const preview = await fleet.renderer.run(names, () => runPlan(fleet.hosts, target, fleet.concurrency, previewDeps));
          // The per-host summary, not every command: that is what `plan` and `--dry-run` are for.
          process.stderr.write(renderRunSummary(withTransports(reportFromRun(preview.run), fleet.hosts), { commands: false }));
          const go = await confirm(`Roll ${target.newCert.thumbprint} out to ${names.length} host(s) in ${waves.filter((w) => w.length).length} wave(s)?`, opts.yes);
          if (!go) {
            process.stderr.write("nothing changed\n");
            process.exitCode = 0;
            return;
          }
        }
        const journal = opts.dryRun ? undefined : openJournal(opts.resume ?? join(dir, "journal.jsonl"));
        // Ctrl-C once: start no new host, let the hosts in progress end fully rebound or restored.
        // Ctrl-C twice: exit now; the journal then serves `rollback --journal` or `rollout --resume`.
        let stopRequested = false;
        const onSigint = () => {
          if (stopRequested) process.exit(130);
          stopRequested = true;
          process.stderr.write(
            `\ncertfleet: stopping: no new host starts; hosts in progress finish safely. Ctrl-C again to abort now` +
              (journal ? ` (then: certfleet rollback --journal ${journal.path}, or rollout --resume ${journal.path})` : "") +
              "\n",
          );
        };
        process.on("SIGINT", onSigint);
        try {
          const { run, halted } = await fleet.renderer.run(names, () =>
            runRollout(fleet.hosts, fleet.deps, {
              target,
              waves,
              maxFailures,
              concurrency: fleet.concurrency,
              dryRun: opts.dryRun === true,
              journal,
              verify: { enabled: opts.verify, timing },
              ...(resumeFrom ? { resumeFrom } : {}),
              stopRequested: () => stopRequested,
            }),
          );
          const report = withTransports(reportFromRun(run), fleet.hosts);
          await publish(report, dir);
          if (journal) process.stderr.write(`journal: ${journal.path}\n`);
          process.stdout.write(renderRunSummary(report));
          // 130: stopped by the operator (SIGINT), whatever else happened; see --help.
          process.exitCode = stopRequested ? 130 : exitCodeFor(report, halted);
        } finally {
          process.off("SIGINT", onSigint);
          journal?.close();
        }
      } finally {
        await fleet.close();
      }
    });
}
