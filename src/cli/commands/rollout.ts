import { join } from "node:path";
import { reportFromRun } from "../../report/from-outcomes.js";
import { Command } from "commander";
import { runPlan } from "../../runs/plan.js";
import { openJournal } from "../../journal/journal.js";
import { journaledBindings, type JournalRecord } from "../../journal/record.js";
import { runRollout } from "../../runs/rollout.js";
import { assembleWaves, failureBudget } from "../../runs/waves.js";
import { InputError } from "../../model/errors.js";
import { confirm, ensureConfirmable } from "../confirm.js";
import { drainOnInterrupt, EXIT_INTERRUPTED } from "../interrupt.js";
import { openFleet, type FleetOptions } from "../open-fleet.js";
import { positiveInt, readDeliveryTarget } from "../options.js";
import type { Dialer } from "../../transport/dial.js";
import { claimOutDir, exitCodeFor, publish, reportFromResults, shownPath, withResultsFile, withTransports } from "../output.js";
import { renderRunSummary } from "../run-summary.js";
import { renderConfirmationPreview } from "../confirm-preview.js";
import { certificateOptions, checkJournalWhere, fleetOptions, hostTimeoutFrom, hostTimeoutOption, ownerManagedOption, readJournalArgument, verifyTimingFrom, verifyTimingOptions, type VerifyTimingCliOptions } from "./common.js";
import { withOwnerManaged, type TargetCliOptions } from "./plan.js";

interface RolloutCliOptions extends FleetOptions, TargetCliOptions, VerifyTimingCliOptions {
  hostTimeout?: string;
  out?: string;
  canary: string;
  batch?: string;
  maxFailures?: string;
  dryRun?: boolean;
  yes?: boolean;
  verify: boolean;
  resume?: string;
  exportable?: boolean;
}

/** Above this many hosts the confirmation preview lets its connections go (file descriptors). */
const MAX_KEPT_CONNECTIONS = 500;

export function rolloutCommand(dial?: Dialer): Command {
  const cmd = ownerManagedOption(hostTimeoutOption(certificateOptions(fleetOptions(new Command("rollout").requiredOption("--new <thumbprint|certfile>", "the new certificate: SHA-1 thumbprint or .cer/.crt/.pem/.pfx file")), "a certificate to replace (repeatable; default: older certificates with the same subject and SANs)")));
  return verifyTimingOptions(cmd)
    .description("rebind every http.sys binding that uses the old certificate to the new one: canary first, then batches, each verified over TLS")
    .option("--canary <n|names>", "first wave: a number of hosts or a comma list of names", "1")
    .option("--batch <n|p%>", "hosts per later wave (default: all the rest, bounded by -c)")
    .option("--max-failures <n|p%>", "failed hosts the WHOLE rollout tolerates before it halts (default 0)")
    .option("--dry-run", "discover and plan, print the exact remote commands per host, change nothing")
    .option("-y, --yes", "do not ask for confirmation (required without a terminal)")
    .option("--no-verify", "skip the TLS handshake check (the netsh read-back still runs)")
    .option("--resume <journal>", "finish or restore what an interrupted rollout left half-done, then go on; appends to that journal")
    .option("--exportable", "with --new FILE.pfx: import the key exportable (default: NoExport)")
    .addHelpText(
      "after",
      `
Every binding is journaled (journal.jsonl in --out, mode 0600) before it is touched. A failed add
puts the original back at once; a host ends fully rebound or fully as it was.

Ctrl-C stops starting new hosts and lets the hosts in progress finish safely (exit 130); a second
Ctrl-C exits at once, and the journal then serves rollback or --resume.

With --new FILE.pfx (password from --pfx-password-env VAR, or asked on the terminal), each host
that lacks the certificate gets it first: a copy re-encrypted under a one-time password, staged in
C:\ProgramData\certfleet\<run>, imported into LocalMachine\My, probed, and the staged file deleted.

Exit codes: 0 all hosts fine; 1 a host failed; 2 bad input (no host contacted); 3 halted by --max-failures;
130 stopped by Ctrl-C.

Examples:
  certfleet rollout --new new-wildcard.cer --dry-run
  certfleet rollout --new a909502dd82ae41433e6f83886b00d4277a32a7b --canary web01 --batch 20% --max-failures 2 --yes
  certfleet rollback --journal certfleet-out/<run>/journal.jsonl --yes
`,
    )
    .action(async (opts: RolloutCliOptions) => {
      const target = withOwnerManaged(await readDeliveryTarget(opts.new, opts.old, { ...(opts.pfxPasswordEnv !== undefined ? { pfxPasswordEnv: opts.pfxPasswordEnv } : {}), exportable: opts.exportable === true }), opts);
      const timing = verifyTimingFrom(opts);
      const hostTimeoutMs = hostTimeoutFrom(opts);
      const resumeFrom: JournalRecord[] | undefined = opts.resume ? readJournalArgument(opts.resume, "--resume").records : undefined;
      if (resumeFrom) checkResumeTarget(resumeFrom, target.newCert.thumbprint, opts.resume!);
      checkCanary(opts.canary);
      if (!opts.dryRun) ensureConfirmable(opts.yes);
      const dir = claimOutDir(opts.out, opts.dryRun ? "rollout-dry-run" : "rollout", new Date());
      const fleet = await openFleet(opts, dial);
      const names = fleet.hosts.map((h) => h.name);
      const { waves } = assembleWaves(names, opts.canary, opts.batch);
      const maxFailures = failureBudget(opts.maxFailures, names.length);
      // The hosts a resume settles must be where the journal recorded them.
      if (resumeFrom && !opts.dryRun) checkJournalWhere(fleet.hosts, journaledBindings(resumeFrom).filter((j) => j.outcome === undefined), opts.resume!);
      positiveInt(opts.concurrency, "-c/--concurrency", 10);
      try {
        if (!opts.dryRun && !opts.yes) {
          // The rollout visits the same hosts right after: keep their connections (within reason).
          const previewDeps = { ...fleet.deps, keepConnections: names.length <= MAX_KEPT_CONNECTIONS };
          const preview = await fleet.renderer.run(names, () => runPlan(fleet.hosts, target, fleet.concurrency, previewDeps), { label: "plan (nothing changes yet)" });
          // The per-host summary, not every command: that is what `plan` and `--dry-run` are for.
          process.stderr.write(renderConfirmationPreview(withTransports(reportFromRun(preview.run), fleet.hosts), { waves, concurrency: fleet.concurrency, maxFailures, newCert: target.newCert }));
          const go = await confirm(`Roll it out to ${names.length} host(s) in ${waves.filter((w) => w.length).length} wave(s)?`, opts.yes);
          if (!go) {
            process.stderr.write("nothing changed\n");
            process.exitCode = 0;
            return;
          }
        }
        const journal = opts.dryRun ? undefined : openJournal(opts.resume ?? join(dir, "journal.jsonl"));
        // Ctrl-C once: start no new host, let the hosts in progress end fully rebound or restored.
        // Ctrl-C twice: exit now; the journal then serves `rollback --journal` or `rollout --resume`.
        const shownJournal = journal ? shownPath(journal.path) : undefined;
        const howToGoOn = shownJournal ? `\n  then: certfleet rollback --journal ${shownJournal}\n    or: certfleet rollout --resume ${shownJournal} --new ${opts.new}` : "";
        const stop = drainOnInterrupt(
          () => fleet.renderer.notice(`certfleet: stopping: no new host starts; hosts in progress finish safely (Ctrl-C again to abort at once)`),
          howToGoOn,
        );
        const stopRequested = () => stop.requested;
        try {
          const { result: { run, halted }, results, journalMismatch } = await withResultsFile(dir, (sink) => fleet.renderer.run(names, () =>
            runRollout(fleet.hosts, { ...fleet.deps, hostTimeoutMs }, {
              target,
              waves,
              maxFailures,
              concurrency: fleet.concurrency,
              dryRun: opts.dryRun === true,
              journal,
              verify: { enabled: opts.verify, timing },
              ...(resumeFrom ? { resumeFrom } : {}),
              stopRequested,
              sink,
            }),
            { label: opts.dryRun ? "rollout --dry-run" : "rollout", failureBudget: maxFailures },
          ));
          const report = reportFromResults(run, results, fleet.hosts, { certificate: opts.new, ...(shownJournal ? { journal: shownJournal } : {}) });
          await publish(report, dir);
          if (shownJournal) process.stderr.write(`journal: ${shownJournal}\n`);
          process.stdout.write(renderRunSummary(report, { certificate: opts.new, commands: opts.dryRun === true, ...(shownJournal ? { journal: shownJournal } : {}) }));
          // 130: stopped by the operator (SIGINT), whatever else happened; see --help.
          if (stop.requested) process.stderr.write(`certfleet: stopped by Ctrl-C; hosts not started are "halted".${howToGoOn}\n`);
          // 2: a host is not where the journal recorded it (resume stopped before touching it).
          process.exitCode = stop.requested ? EXIT_INTERRUPTED : journalMismatch ? 2 : exitCodeFor(report, halted);
        } finally {
          journal?.close();
        }
      } finally {
        await fleet.close();
      }
    });
}

/** `--canary 0` would silently skip the one wave that proves the change on a single host first. */
function checkCanary(spec: string): void {
  if (/^\s*0+\s*$/.test(spec)) {
    throw new InputError("--canary 0 would skip the canary: give at least 1 host, or name the canary hosts (--canary web01,web02)", undefined, "--canary");
  }
}

/** A resumed run finishes what the journal's run started: the same new certificate, or nothing. */
function checkResumeTarget(records: readonly JournalRecord[], newThumbprint: string, file: string): void {
  const runs = records.filter((r): r is JournalRecord & { type: "run" } => r.type === "run" && r.command === "rollout");
  const other = runs.map((r) => r.newThumbprint).find((t) => t !== undefined && t !== newThumbprint);
  if (other) {
    throw new InputError(`--resume ${file}: that run rolled out ${other}, not ${newThumbprint}: resume with --new ${other}, or roll it back first (certfleet rollback --journal ${file})`, file, "--resume");
  }
}
