import { reportFromRun } from "../../report/from-outcomes.js";
import { Command } from "commander";
import { openJournal } from "../../journal/journal.js";
import { journaledBindings, journaledConsumers } from "../../journal/record.js";
import { runRollback } from "../../runs/rollback.js";
import { confirm } from "../confirm.js";
import { openFleet, type FleetOptions } from "../open-fleet.js";
import type { Dialer } from "../../transport/dial.js";
import { exitCodeFor, outDirFor, publish, withTransports } from "../output.js";
import { renderRunSummary } from "../run-summary.js";
import { fleetOptions, readJournalArgument } from "./common.js";

export function rollbackCommand(dial?: Dialer): Command {
  return fleetOptions(new Command("rollback"))
    .description("put every binding recorded in a rollout journal back to the record it had before the rollout")
    .requiredOption("--journal <file>", "journal.jsonl written by rollout")
    .option("-y, --yes", "do not ask for confirmation (required without a terminal)")
    .addHelpText("after", "\nSafe to run twice: bindings already as they were are left alone.\nExample:\n  certfleet rollback --journal certfleet-out/20261125-020304-rollout/journal.jsonl --yes\n")
    .action(async (opts: FleetOptions & { journal: string; yes?: boolean; out?: string }) => {
      const contents = readJournalArgument(opts.journal, "--journal");
      const items = journaledBindings(contents.records);
      const consumers = journaledConsumers(contents.records);
      const fleet = await openFleet(opts, dial);
      try {
        const names = [...new Set([...items.map((i) => i.host), ...consumers.map((i) => i.host)])];
        const journaled = new Set(names);
        const hosts = fleet.hosts.filter((h) => journaled.has(h.name));
        if (!(await confirm(`Restore ${items.length} binding(s)${consumers.length ? ` and ${consumers.length} consumer setting(s)` : ""} on ${names.length} host(s) from ${opts.journal}?`, opts.yes))) {
          process.stderr.write("nothing changed\n");
          return;
        }
        const journal = openJournal(opts.journal);
        try {
          const report = withTransports(reportFromRun(await fleet.renderer.run(names, () => runRollback(hosts, fleet.deps, { items, consumers, concurrency: fleet.concurrency, journal }))), fleet.hosts);
          await publish(report, outDirFor(opts.out, "rollback", new Date()));
          process.stdout.write(renderRunSummary(report));
          process.exitCode = exitCodeFor(report);
        } finally {
          journal.close();
        }
      } finally {
        await fleet.close();
      }
    });
}
