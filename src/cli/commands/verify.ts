import { reportFromRun } from "../../report/from-outcomes.js";
import { Command } from "commander";
import { runVerify } from "../../runs/verify.js";
import { openFleet, type FleetOptions } from "../open-fleet.js";
import { readTarget } from "../options.js";
import type { Dialer } from "../../transport/dial.js";
import { exitCodeFor, outDirFor, publish, withResultsFile, withTransports } from "../output.js";
import { renderRunSummary } from "../run-summary.js";
import { certificateOptions, fleetOptions, verifyTimingFrom, verifyTimingOptions, type VerifyTimingCliOptions } from "./common.js";

interface VerifyCliOptions extends FleetOptions, VerifyTimingCliOptions {
  expect: string;
  old?: string[];
  pfxPasswordEnv?: string;
  out?: string;
}

export function verifyCommand(dial?: Dialer): Command {
  const cmd = certificateOptions(fleetOptions(new Command("verify").requiredOption("--expect <thumbprint|certfile>", "the certificate every in-scope endpoint must serve")), "old certificate(s) whose bindings count as stragglers (default: older ones with the same subject)");
  return verifyTimingOptions(cmd)
    .description("prove by TLS handshake and netsh read-back that every endpoint serves the expected certificate; stragglers on an old certificate are mismatches")
    .addHelpText("after", "\nExit code 1 on any mismatch. Example:\n  certfleet verify --expect new-wildcard.cer --out change-4711\n")
    .action(async (opts: VerifyCliOptions) => {
      const target = readTarget(opts.expect, opts.old, opts.pfxPasswordEnv);
      const timing = verifyTimingFrom(opts);
      const fleet = await openFleet(opts, dial);
      try {
        const dir = outDirFor(opts.out, "verify", new Date());
        const names = fleet.hosts.map((h) => h.name);
        const run = await withResultsFile(dir, names, (sink) => fleet.renderer.run(names, () => runVerify(fleet.hosts, fleet.deps, { target, concurrency: fleet.concurrency, timing, sink })), (r) => r);
        const report = withTransports(reportFromRun(run), fleet.hosts);
        await publish(report, dir);
        process.stdout.write(renderRunSummary(report));
        process.exitCode = exitCodeFor(report);
      } finally {
        await fleet.close();
      }
    });
}
