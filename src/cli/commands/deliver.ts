/**
 * `certfleet deliver --new FILE.pfx`: only the delivery (import the certificate where a host lacks
 * it), for staging it days ahead of the switch. Same waves, budget, journal, Ctrl-C policy and
 * reports as a rollout; no binding is touched and nothing is verified over TLS (nothing serves it yet).
 */
import { join } from "node:path";
import { Command } from "commander";
import { openJournal } from "../../journal/journal.js";
import { runRollout } from "../../runs/rollout.js";
import { assembleWaves, failureBudget } from "../../runs/waves.js";
import { deliverStep } from "../../host/steps/deliver.js";
import { InputError } from "../../model/errors.js";
import { confirm, ensureConfirmable } from "../confirm.js";
import { drainOnInterrupt, EXIT_INTERRUPTED } from "../interrupt.js";
import { openFleet, type FleetOptions } from "../open-fleet.js";
import { positiveInt, readDeliveryTarget } from "../options.js";
import type { Dialer } from "../../transport/dial.js";
import { claimOutDir, exitCodeFor, publish, reportFromResults, shownPath, withResultsFile } from "../output.js";
import { renderRunSummary } from "../run-summary.js";
import { fleetOptions, verifyTimingFrom } from "./common.js";

interface DeliverCliOptions extends FleetOptions {
  new: string;
  pfxPasswordEnv?: string;
  exportable?: boolean;
  out?: string;
  canary: string;
  batch?: string;
  maxFailures?: string;
  dryRun?: boolean;
  yes?: boolean;
}

export function deliverCommand(dial?: Dialer): Command {
  return fleetOptions(new Command("deliver").requiredOption("--new <file.pfx>", "the renewed certificate with its key (.pfx/.p12)"))
    .description("import the certificate (with its key) on every host that lacks it, changing no binding: stage it days ahead of the rollout")
    .option("--pfx-password-env <VAR>", "environment variable holding the .pfx password (never the password itself; default: asked on the terminal)")
    .option("--exportable", "import the key exportable (default: NoExport)")
    .option("--canary <n|names>", "first wave: a number of hosts or a comma list of names", "1")
    .option("--batch <n|p%>", "hosts per later wave (default: all the rest, bounded by -c)")
    .option("--max-failures <n|p%>", "failed hosts the whole run tolerates before it halts (default 0)")
    .option("--dry-run", "discover and plan, print the exact remote commands per host (password redacted), change nothing")
    .option("-y, --yes", "do not ask for confirmation (required without a terminal)")
    .addHelpText(
      "after",
      `
Each host gets a copy re-encrypted under its own one-time password (legacy 3DES/SHA-1 for Server
2016 and older, AES-256 for newer builds), staged in C:\\ProgramData\\certfleet\\<run> (Administrators
and SYSTEM only), imported into LocalMachine\\My, probed, and the staged file deleted in every outcome.
Hosts that already hold the certificate with its key are left alone. The journal serves
\`certfleet rollback --journal\`, which removes only certificates certfleet imported and nothing binds.

Example:
  CERT_PW=... certfleet deliver --new renewed.pfx --pfx-password-env CERT_PW --yes
`,
    )
    .action(async (opts: DeliverCliOptions) => {
      if (!/\.(pfx|p12)$/i.test(opts.new)) throw new InputError(`--new: deliver needs the certificate with its key as a .pfx/.p12 file, not ${JSON.stringify(opts.new.slice(0, 80))}`, opts.new, "--new");
      const target = await readDeliveryTarget(opts.new, [], { ...(opts.pfxPasswordEnv !== undefined ? { pfxPasswordEnv: opts.pfxPasswordEnv } : {}), exportable: opts.exportable === true });
      if (/^\s*0+\s*$/.test(opts.canary)) throw new InputError("--canary 0 would skip the canary: give at least 1 host", undefined, "--canary");
      if (!opts.dryRun) ensureConfirmable(opts.yes);
      const dir = claimOutDir(opts.out, opts.dryRun ? "deliver-dry-run" : "deliver", new Date());
      const fleet = await openFleet(opts, dial);
      const names = fleet.hosts.map((h) => h.name);
      const { waves } = assembleWaves(names, opts.canary, opts.batch);
      const maxFailures = failureBudget(opts.maxFailures, names.length);
      positiveInt(opts.concurrency, "-c/--concurrency", 10);
      try {
        if (!opts.dryRun && !(await confirm(`Deliver ${target.newCert.thumbprint} to the hosts of ${names.length} that lack it?`, opts.yes))) {
          process.stderr.write("nothing changed\n");
          return;
        }
        const journal = opts.dryRun ? undefined : openJournal(join(dir, "journal.jsonl"));
        const shownJournal = journal ? shownPath(journal.path) : undefined;
        const howToGoOn = shownJournal ? `\n  then: certfleet rollback --journal ${shownJournal}` : "";
        const stop = drainOnInterrupt(() => fleet.renderer.notice("certfleet: stopping: no new host starts; hosts in progress finish safely (Ctrl-C again to abort at once)"), howToGoOn);
        try {
          const { result: { run, halted }, results } = await withResultsFile(dir, (sink) => fleet.renderer.run(
            names,
            () =>
              runRollout(fleet.hosts, fleet.deps, {
                target,
                waves,
                maxFailures,
                concurrency: fleet.concurrency,
                dryRun: opts.dryRun === true,
                journal,
                verify: { enabled: false, timing: verifyTimingFrom({ verifyWindow: "0", verifyInterval: "1" }) },
                steps: [deliverStep],
                stopRequested: () => stop.requested,
                sink,
              }),
            { label: opts.dryRun ? "deliver --dry-run" : "deliver", failureBudget: maxFailures },
          ));
          const report = reportFromResults(run, results, fleet.hosts);
          await publish(report, dir);
          if (shownJournal) process.stderr.write(`journal: ${shownJournal}\n`);
          process.stdout.write(renderRunSummary(report, { certificate: opts.new, commands: opts.dryRun === true, ...(shownJournal ? { journal: shownJournal } : {}) }));
          if (stop.requested) process.stderr.write(`certfleet: stopped by Ctrl-C; hosts not started are "halted".${howToGoOn}\n`);
          process.exitCode = stop.requested ? EXIT_INTERRUPTED : exitCodeFor(report, halted);
        } finally {
          journal?.close();
        }
      } finally {
        await fleet.close();
      }
    });
}
