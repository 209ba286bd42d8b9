import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { reportFromRun } from "../../report/from-outcomes.js";
import { Command } from "commander";
import { runPlan } from "../../runs/plan.js";
import { openFleet, type FleetOptions } from "../open-fleet.js";
import { readDeliveryTarget } from "../options.js";
import type { Dialer } from "../../transport/dial.js";
import { claimOutDir, exitCodeFor, publish, withTransports } from "../output.js";
import { renderRunSummary } from "../run-summary.js";
import { certificateOptions, fleetOptions, ownerManagedOption } from "./common.js";

export interface TargetCliOptions {
  new: string;
  old?: string[];
  pfxPasswordEnv?: string;
  rebindOwnerManaged?: boolean;
}

/** The target with the operator's choice for owner-managed bindings. */
export function withOwnerManaged<T extends object>(target: T, opts: Pick<TargetCliOptions, "rebindOwnerManaged">): T & { ownerManaged?: "rebind" } {
  return opts.rebindOwnerManaged ? { ...target, ownerManaged: "rebind" as const } : target;
}

export function planCommand(dial?: Dialer): Command {
  return ownerManagedOption(certificateOptions(fleetOptions(new Command("plan").requiredOption("--new <thumbprint|certfile>", "the new certificate: SHA-1 thumbprint (any case, spaces, colons) or .cer/.crt/.pem/.pfx file")), "a certificate to replace (repeatable; default: older certificates with the same subject and SANs)"))
    .description("show, per host and binding, what a rollout would change and why, and what blocks a host; changes nothing")
    .addHelpText("after", "\nExample:\n  certfleet plan --new 'a9 09 50 2d d8 2a e4 14 33 e6 f8 38 86 b0 0d 42 77 a3 2a 7b' -l web\n")
    .option("-v, --verbose", "also print the exact commands per host (as rollout --dry-run does)")
    .action(async (opts: FleetOptions & TargetCliOptions & { out?: string; verbose?: boolean }) => {
      const target = withOwnerManaged(await readDeliveryTarget(opts.new, opts.old, opts.pfxPasswordEnv !== undefined ? { pfxPasswordEnv: opts.pfxPasswordEnv } : {}), opts);
      const dir = claimOutDir(opts.out, "plan", new Date());
      const fleet = await openFleet(opts, dial);
      try {
        const run = await fleet.renderer.run(fleet.hosts.map((h) => h.name), () => runPlan(fleet.hosts, target, fleet.concurrency, fleet.deps), { label: "plan" });
        const report = withTransports(reportFromRun(run.run, { certificate: opts.new }), fleet.hosts);
        await publish(report, dir);
        await writeFile(join(dir, "plan.json"), `${JSON.stringify({ target: { newCert: target.newCert, oldThumbprints: target.oldThumbprints }, hosts: run.plans }, null, 2)}\n`, { mode: 0o644 });
        process.stdout.write(renderRunSummary(report, { certificate: opts.new, commands: opts.verbose === true }));
        if (!opts.verbose) process.stdout.write("(the exact commands per host: add -v, or run rollout --dry-run; report.json holds them all)\n");
        process.exitCode = exitCodeFor(report);
      } finally {
        await fleet.close();
      }
    });
}
