import { Command } from "commander";
import { runDiscover } from "../../fleet/discover.js";
import { renderDiscoverSummary } from "../../report/summary-text.js";
import { openFleet, type Dialer, type FleetOptions } from "../context.js";
import { exitCodeFor, outDirFor, publish, withTransports } from "../output.js";
import { fleetOptions } from "./common.js";

export function discoverCommand(dial?: Dialer): Command {
  return fleetOptions(new Command("discover"))
    .description("read every host's certificates (certutil -store My) and http.sys bindings (netsh http show sslcert); changes nothing")
    .addHelpText("after", "\nExample:\n  certfleet discover -i inventory/hosts.yaml -l web -c 20\n")
    .action(async (opts: FleetOptions & { out?: string }) => {
      const fleet = await openFleet(opts, dial);
      try {
        const report = await fleet.renderer.run(fleet.hosts.map((h) => h.name), () => runDiscover(fleet.hosts, fleet.concurrency, fleet.deps));
        await publish(withTransports(report, fleet.hosts), outDirFor(opts.out, "discover", new Date()));
        process.stdout.write(renderDiscoverSummary(report));
        process.exitCode = exitCodeFor(report);
      } finally {
        await fleet.close();
      }
    });
}
