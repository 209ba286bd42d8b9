import { Command } from "commander";
import { runVerify } from "../../fleet/verify.js";
import { openFleet, readTarget, secondsToMs, type Dialer, type FleetOptions } from "../context.js";
import { exitCodeFor, outDirFor, publish } from "../output.js";
import { renderRunSummary } from "../run-summary.js";
import { collect, fleetOptions } from "./common.js";

interface VerifyCliOptions extends FleetOptions {
  expect: string;
  old?: string[];
  pfxPasswordEnv?: string;
  out?: string;
  verifyWindow: string;
  verifyInterval: string;
}

export function verifyCommand(dial?: Dialer): Command {
  return fleetOptions(new Command("verify"))
    .description("prove by TLS handshake and netsh read-back that every endpoint serves the expected certificate; stragglers on an old certificate are mismatches")
    .requiredOption("--expect <thumbprint|certfile>", "the certificate every in-scope endpoint must serve")
    .option("--old <thumbprint>", "old certificate(s) whose bindings count as stragglers (default: older ones with the same subject)", collect)
    .option("--pfx-password-env <VAR>", "environment variable holding the .pfx password")
    .option("--verify-window <seconds>", "retry a mismatching endpoint for this long (app pool recycle)", "60")
    .option("--verify-interval <seconds>", "pause between attempts", "2")
    .addHelpText("after", "\nExit code 1 on any mismatch. Example:\n  certfleet verify --expect new-wildcard.cer --out change-4711\n")
    .action(async (opts: VerifyCliOptions) => {
      const target = readTarget(opts.expect, opts.old, opts.pfxPasswordEnv);
      const timing = {
        windowMs: secondsToMs(opts.verifyWindow, "--verify-window", 60_000),
        intervalMs: secondsToMs(opts.verifyInterval, "--verify-interval", 2_000),
        handshakeTimeoutMs: 10_000,
      };
      const fleet = await openFleet(opts, dial);
      try {
        const report = await fleet.renderer.run(fleet.hosts.map((h) => h.name), () =>
          runVerify(fleet.hosts, fleet.deps, { target, concurrency: fleet.concurrency, timing }),
        );
        await publish(report, outDirFor(opts.out, "verify", new Date()));
        process.stdout.write(renderRunSummary(report));
        process.exitCode = exitCodeFor(report);
      } finally {
        await fleet.close();
      }
    });
}
