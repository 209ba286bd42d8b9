import { Command } from "commander";
import { runDiscover } from "../../runs/discover.js";
import { renderDiscoverSummary } from "../../report/summary-text.js";
import { openFleet, type FleetOptions } from "../open-fleet.js";
import type { Dialer } from "../../transport/dial.js";
import { claimOutDir, exitCodeFor, publish, reportFromResults, withResultsFile } from "../output.js";
import { fleetOptions } from "./common.js";
import { renderRemedies } from "../run-summary.js";

export function discoverCommand(dial?: Dialer): Command {
  return fleetOptions(new Command("discover"))
    .description("read every host's certificates (certutil -store My) and http.sys bindings (netsh http show sslcert); changes nothing")
    .addHelpText("after", "\nExample:\n  certfleet discover -i inventory/hosts.yaml -l web -c 20\n")
    .action(async (opts: FleetOptions & { out?: string }) => {
      const dir = claimOutDir(opts.out, "discover", new Date());
      const fleet = await openFleet(opts, dial);
      try {
        const names = fleet.hosts.map((h) => h.name);
        const { result: run, results } = await withResultsFile(dir, (sink) => fleet.renderer.run(names, () => runDiscover(fleet.hosts, fleet.concurrency, fleet.deps, sink), { label: "discover" }));
        const report = reportFromResults(run, results, fleet.hosts);
        await publish(report, dir);
        process.stdout.write(renderDiscoverSummary(report) + renderRemedies(report));
        process.exitCode = exitCodeFor(report);
      } finally {
        await fleet.close();
      }
    });
}
