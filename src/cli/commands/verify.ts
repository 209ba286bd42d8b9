import { Command } from "commander";
import { runVerify } from "../../runs/verify.js";
import { openFleet, type FleetOptions } from "../open-fleet.js";
import { readTarget } from "../options.js";
import type { Dialer } from "../../transport/dial.js";
import { claimOutDir, exitCodeFor, publish, reportFromResults, withResultsFile } from "../output.js";
import { renderRunSummary } from "../run-summary.js";
import { expiryFromReport, expiryWarning } from "../expiry-warning.js";
import { drainOnInterrupt, EXIT_INTERRUPTED } from "../interrupt.js";
import { certificateOptions, fleetOptions, verifyTimingFrom, verifyTimingOptions, type VerifyTimingCliOptions } from "./common.js";

interface VerifyCliOptions extends FleetOptions, VerifyTimingCliOptions {
  expect: string;
  old?: string[];
  pfxPasswordEnv?: string;
  out?: string;
}

export function verifyCommand(dial?: Dialer): Command {
  const cmd = certificateOptions(fleetOptions(new Command("verify").requiredOption("--expect <thumbprint|certfile>", "the certificate every in-scope endpoint must serve; give the file (.cer or .pfx) so that old certificates are told from unrelated ones on every host, even one the rollout never reached")), "old certificate(s) whose bindings count as stragglers (default: older ones with the same subject)");
  return verifyTimingOptions(cmd)
    .description("prove by TLS handshake and netsh read-back that every endpoint serves the expected certificate; stragglers on an old certificate are mismatches")
    .addHelpText("after", "\nExit code 1 on any mismatch. Example:\n  certfleet verify --expect new-wildcard.cer --out change-4711\n")
    .action(async (opts: VerifyCliOptions) => {
      const target = readTarget(opts.expect, opts.old, opts.pfxPasswordEnv);
      const timing = verifyTimingFrom(opts);
      const dir = claimOutDir(opts.out, "verify", new Date());
      const fleet = await openFleet(opts, dial);
      try {
        const early = expiryWarning(target.newCert.thumbprint, target.newCert.notAfter, new Date(), target.newCert.subject);
        if (early) process.stderr.write(`${early}\n`);
        // Ctrl-C: stop waiting for stragglers, start no new host, and still write the report.
        const stop = drainOnInterrupt(() => fleet.renderer.notice("certfleet: stopping: no new host, no more waiting; the report is written with what was checked (Ctrl-C again to abort at once)"));
        const names = fleet.hosts.map((h) => h.name);
        const { result: run, results } = await withResultsFile(dir, (sink) =>
          fleet.renderer.run(names, () => runVerify(fleet.hosts, fleet.deps, { target, concurrency: fleet.concurrency, timing, sink, stopRequested: () => stop.requested }), { label: "verify" }),
        );
        const report = reportFromResults(run, results, fleet.hosts, { certificate: opts.expect });
        await publish(report, dir);
        process.stdout.write(renderRunSummary(report, { certificate: opts.expect }));
        const found = expiryFromReport(report, target.newCert.thumbprint);
        const late = early ? undefined : expiryWarning(target.newCert.thumbprint, found.notAfter, new Date(), found.subject);
        if (early ?? late) process.stdout.write(`${early ?? late}\n`);
        process.exitCode = stop.requested ? EXIT_INTERRUPTED : exitCodeFor(report);
      } finally {
        await fleet.close();
      }
    });
}
