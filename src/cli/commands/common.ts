import { Command, Option } from "commander";
import { InputError, JournalMismatchError } from "../../model/errors.js";
import type { ResolvedHost } from "../../inventory/schema.js";
import type { RunOutcome } from "../../host/outcome.js";
import { groupBy } from "../../lib/group-by.js";
import { journaledWhere, whereDiffers, type JournaledBinding } from "../../journal/record.js";
import { readJournal, type JournalContents } from "../../journal/journal.js";
import type { VerifyTiming } from "../../verify/verify-endpoint.js";
import { secondsToMs } from "../options.js";

/** The options every fleet command shares (DESIGN.md's CLI contract). */
export function fleetOptions(cmd: Command): Command {
  return cmd
    .option("-i, --inventory <file>", "inventory file (YAML or JSON)", "inventory/hosts.yaml")
    .option("-l, --limit <pattern>", "hosts or groups: comma list, * globs, !name to exclude")
    .option("-c, --concurrency <n>", "hosts worked on at once", "10")
    .option("--out <dir>", "report directory (default ./certfleet-out/<timestamp>-<command>)")
    .option("--accept-new-host-keys", "trust and record host keys not yet in known_hosts (a changed key is always refused)")
    .option("--connect-timeout <seconds>", "SSH connect timeout")
    .option("--command-timeout <seconds>", "timeout for one remote command", "120")
    .addOption(new Option("--plain", "plain progress lines even on a terminal (automatic with CI, NO_COLOR or no TTY)"));
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** --host-timeout, shared by the commands that change hosts (rollout, its --resume, rollback). */
export function hostTimeoutOption(cmd: Command): Command {
  return cmd.option("--host-timeout <seconds>", "time budget per host: after it no new change starts on that host; what is in flight is finished or undone and reported", "300");
}

export function hostTimeoutFrom(opts: { hostTimeout?: string }): number {
  return secondsToMs(opts.hostTimeout, "--host-timeout", 300_000, 1);
}

/** `--old` and `--pfx-password-env`, shared by plan, rollout and verify. */
export function certificateOptions(cmd: Command, oldHelp: string): Command {
  return cmd
    .option("--old <thumbprint>", oldHelp, collect)
    .option("--pfx-password-env <VAR>", "environment variable holding the .pfx password (never the password itself)");
}

/**
 * AD FS, WAP, SSTP and Exchange bindings are left to their owner's tooling by default (listed
 * with the owner's command); this option rebinds them by netsh anyway.
 */
export function ownerManagedOption(cmd: Command): Command {
  return cmd.option("--rebind-owner-managed", "also rebind AD FS, WAP, SSTP and Exchange bindings by netsh (default: leave them to their owner and list the owner's command)");
}

export interface VerifyTimingCliOptions {
  verifyWindow: string;
  verifyInterval: string;
}

/** The TLS check's retry window: IIS may serve the old certificate until an app pool recycles. */
export function verifyTimingOptions(cmd: Command): Command {
  return cmd
    .option("--verify-window <seconds>", "how long to retry a TLS check that still sees the old certificate (app pool recycle)", "60")
    .option("--verify-interval <seconds>", "pause between TLS checks", "2");
}

export function verifyTimingFrom(opts: VerifyTimingCliOptions): VerifyTiming {
  return {
    windowMs: secondsToMs(opts.verifyWindow, "--verify-window", 60_000),
    intervalMs: secondsToMs(opts.verifyInterval, "--verify-interval", 2_000),
    handshakeTimeoutMs: 10_000,
  };
}

/** A journal named on the command line; unreadable is bad input (exit 2), before any host is contacted. */
export function readJournalArgument(file: string, option: string): JournalContents {
  let contents: JournalContents;
  try {
    contents = readJournal(file);
  } catch (err) {
    throw new InputError(`${file}: cannot read the journal (${(err as NodeJS.ErrnoException).code ?? String(err)})`, file, option);
  }
  // Nothing in it reads as a journal record: the wrong file (report.json, /etc/hostname), not a torn one.
  if (contents.records.length === 0) {
    throw new InputError(`${file} is not a certfleet journal (no journal record in it): pass the journal.jsonl from the rollout's --out folder`, file, option);
  }
  for (const d of contents.damaged) process.stderr.write(`${file}:${d.line}: unreadable record ignored (torn write?)\n`);
  return contents;
}

/**
 * Rollback and resume put bindings back only on the server the journal recorded: a host the
 * inventory now places at another address or port stops the command (exit 2) before any host is
 * contacted. (A different host key is caught when the host is connected to, before any command.)
 */
export function checkJournalWhere(hosts: readonly ResolvedHost[], items: readonly JournaledBinding[], journalFile: string): void {
  const byHost = groupBy(items, (i) => i.host);
  const problems = hosts.flatMap((h) => {
    const why = whereDiffers(h, journaledWhere(byHost.get(h.name) ?? []));
    return why ? [why] : [];
  });
  if (problems.length > 0) throw new InputError(`${journalFile}: ${problems.join("; ")}`, journalFile);
}

/** Exit 2 when a host was stopped because it is not the server the journal recorded (its host key differs). */
export function journalMismatchExit(run: RunOutcome): number | undefined {
  return run.hosts.some((h) => h.error instanceof JournalMismatchError) ? 2 : undefined;
}
