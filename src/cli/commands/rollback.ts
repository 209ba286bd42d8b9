import { reportFromRun } from "../../report/from-outcomes.js";
import { Command } from "commander";
import { openJournal } from "../../journal/journal.js";
import { journaledBindings, journaledConsumers, journaledDeliveries } from "../../journal/record.js";
import { runRollback } from "../../runs/rollback.js";
import { selectJournalHosts } from "../../inventory/select.js";
import { InputError } from "../../model/errors.js";
import { confirm } from "../confirm.js";
import { drainOnInterrupt } from "../interrupt.js";
import { openFleet, type FleetOptions } from "../open-fleet.js";
import type { Dialer } from "../../transport/dial.js";
import { claimOutDir, exitCodeFor, publish, withTransports } from "../output.js";
import { renderRunSummary } from "../run-summary.js";
import { checkJournalWhere, fleetOptions, hostTimeoutFrom, hostTimeoutOption, journalMismatchExit, readJournalArgument } from "./common.js";

export function rollbackCommand(dial?: Dialer): Command {
  return hostTimeoutOption(fleetOptions(new Command("rollback")))
    .description("put every binding recorded in a rollout journal back to the record it had before the rollout")
    .requiredOption("--journal <file>", "journal.jsonl written by rollout")
    .option("-y, --yes", "do not ask for confirmation (required without a terminal)")
    .addHelpText("after", "\nSafe to run twice: bindings already as they were are left alone.\nExample:\n  certfleet rollback --journal certfleet-out/20261125-020304-rollout/journal.jsonl --yes\n")
    .action(async (opts: FleetOptions & { journal: string; yes?: boolean; out?: string; hostTimeout?: string }) => {
      const hostTimeoutMs = hostTimeoutFrom(opts);
      const contents = readJournalArgument(opts.journal, "--journal");
      const journaledItems = journaledBindings(contents.records);
      const journaledDeliveriesAll = journaledDeliveries(contents.records);
      const journaledConsumersAll = journaledConsumers(contents.records);
      const dir = claimOutDir(opts.out, "rollback", new Date());
      // -l selects among the journal's hosts (below), not among the inventory's.
      const fleet = await openFleet({ ...opts, limit: undefined }, dial);
      try {
        const journalHosts = [...new Set([...journaledItems.map((i) => i.host), ...journaledDeliveriesAll.map((d) => d.host), ...journaledConsumersAll.map((c) => c.host)])];
        const { selected: names, skipped } = selectJournalHosts(fleet.inventory, journalHosts, opts.limit);
        if (names.length === 0 && skipped.length > 0) throw new InputError(`-l ${opts.limit}: selects none of the ${skipped.length} host(s) in ${opts.journal}`, opts.journal, "-l");
        const chosen = new Set(names);
        const items = journaledItems.filter((i) => chosen.has(i.host));
        const deliveries = journaledDeliveriesAll.filter((d) => chosen.has(d.host));
        const consumers = journaledConsumersAll.filter((c) => chosen.has(c.host));
        const hosts = fleet.hosts.filter((h) => chosen.has(h.name));
        checkJournalWhere(hosts, items, opts.journal);
        if (skipped.length > 0) process.stderr.write(`${skipped.length} journal host(s) not selected by -l: skipped, not touched\n`);
        if (!(await confirm(`Restore ${items.length} binding(s)${consumers.length ? ` and ${consumers.length} consumer setting(s)` : ""}${deliveries.length ? `, and undo the certificate delivery on ${deliveries.length} host(s)` : ""} on ${names.length} host(s)\nfrom ${opts.journal}?`, opts.yes))) {
          process.stderr.write("nothing changed\n");
          return;
        }
        const journal = openJournal(opts.journal);
        // Ctrl-C while bindings go back: the hosts in progress end whole (a rollback has no
        // "start no new host": leaving hosts half-restored helps no one); a second one exits now.
        drainOnInterrupt(
          () => fleet.renderer.notice("certfleet: the rollback finishes the hosts it works on (Ctrl-C again to abort at once)"),
          `\n  then: certfleet rollback --journal ${opts.journal} (safe to run again)`,
        );
        try {
          const run = await fleet.renderer.run(names, () => runRollback(hosts, { ...fleet.deps, hostTimeoutMs }, { items, deliveries, consumers, concurrency: fleet.concurrency, journal, skipped }), { label: "rollback" });
          const report = withTransports(reportFromRun(run, { journal: opts.journal }), fleet.hosts);
          await publish(report, dir);
          process.stdout.write(renderRunSummary(report, { journal: opts.journal }));
          process.exitCode = journalMismatchExit(run) ?? exitCodeFor(report);
        } finally {
          journal.close();
        }
      } finally {
        await fleet.close();
      }
    });
}
