import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { reportFromRun } from "../../report/from-outcomes.js";
import { Command } from "commander";
import { runPlan } from "../../runs/plan.js";
import { openFleet, type FleetOptions } from "../open-fleet.js";
import { readTarget } from "../options.js";
import type { Dialer } from "../../transport/dial.js";
import { exitCodeFor, outDirFor, publish, withTransports } from "../output.js";
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
    .action(async (opts: FleetOptions & TargetCliOptions & { out?: string }) => {
      const target = withOwnerManaged(readTarget(opts.new, opts.old, opts.pfxPasswordEnv), opts);
      const fleet = await openFleet(opts, dial);
      try {
        const run = await fleet.renderer.run(fleet.hosts.map((h) => h.name), () => runPlan(fleet.hosts, target, fleet.concurrency, fleet.deps));
        const dir = outDirFor(opts.out, "plan", new Date());
        const report = withTransports(reportFromRun(run.run), fleet.hosts);
        await publish(report, dir);
        await writeFile(join(dir, "plan.json"), `${JSON.stringify({ target, hosts: run.plans }, null, 2)}\n`, { mode: 0o644 });
        process.stdout.write(renderRunSummary(report));
        process.exitCode = exitCodeFor(report);
      } finally {
        await fleet.close();
      }
    });
}
