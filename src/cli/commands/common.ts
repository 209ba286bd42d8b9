import { Command, Option } from "commander";

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
