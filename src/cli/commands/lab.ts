import { relative } from "node:path";
import { Command } from "commander";
import { InputError } from "../../model/errors.js";
import { startLab } from "../../simulator/lab.js";
import { positiveInt } from "../options.js";
import { untilInterrupt } from "../interrupt.js";

/**
 * `certfleet lab`: the simulated fleet, kept running so that every command can be rehearsed
 * against it from another terminal (an interactive rollout, Ctrl-C, rollback, resume).
 */
export function labCommand(): Command {
  return new Command("lab")
    .description("start the simulated fleet and keep it running until Ctrl-C, with its inventory, key and known_hosts in --dir, to rehearse every command from another terminal")
    .requiredOption("--dir <dir>", "where to write hosts.yaml, id_ed25519, known_hosts and the certificates (removed on exit)")
    .option("--hosts <n>", "how many simulated hosts", "24")
    .option("--winrm <n>", "how many of them (the last ones) are reached over WinRM instead of SSH, every second one over HTTPS; their password is written to --dir/winrm-password", "0")
    .addHelpText("after", "\nExample:\n  certfleet lab --dir lab --hosts 40      # then, in another terminal: certfleet plan -i lab/hosts.yaml --new lab/new-wildcard.cer\n")
    .action(async (opts: { dir: string; hosts: string; winrm: string }) => {
      const n = positiveInt(opts.hosts, "--hosts", 24);
      const winrmHosts = opts.winrm === "0" ? 0 : positiveInt(opts.winrm, "--winrm", 0);
      if (winrmHosts > n) throw new InputError(`--winrm: ${winrmHosts} WinRM hosts, but the lab has ${n} (--hosts)`, undefined, "--winrm");
      if (n > 500) throw new InputError(`--hosts: at most 500 simulated hosts in one process, got ${n}`, undefined, "--hosts");
      let lab;
      try {
        lab = await startLab(opts.dir, n, winrmHosts);
      } catch (err) {
        if (err instanceof RangeError) throw new InputError(err.message, opts.dir, "--dir");
        throw err;
      }
      const d = relative(process.cwd(), lab.dir) || ".";
      const i = `-i ${d}/hosts.yaml`;
      process.stdout.write(
        [
          `certfleet lab: ${n} simulated Windows hosts on 127.0.0.1`,
          "  (2012 R2 to 2025; English, French, German; cmd.exe and PowerShell" + (n > 20 ? ";" : ")"),
          ...(n > 20 ? ["   web21-web23 carry faults: unreachable, not elevated, no private key)"] : []),
          `old certificate ${lab.oldThumbprint}  ${d}/old-wildcard.cer`,
          `new certificate ${lab.newThumbprint}  ${d}/new-wildcard.cer`,
          "",
          ...(lab.winrm ? [`${lab.winrm.hosts.length} host(s) over WinRM (${lab.winrm.hosts[0]}${lab.winrm.hosts.length > 1 ? ` to ${lab.winrm.hosts[lab.winrm.hosts.length - 1]}` : ""}), every second one HTTPS`, ""] : []),
          "In another terminal, in this folder:",
          // The WinRM hosts' password reaches certfleet as the inventory says: by a variable's name.
          ...(lab.winrm ? [`  export ${lab.winrm.passwordEnv}="$(cat ${d}/winrm-password)"`] : []),
          `  certfleet discover ${i}`,
          `  certfleet plan     ${i} --new ${d}/new-wildcard.cer`,
          `  certfleet rollout  ${i} --new ${d}/new-wildcard.cer \\`,
          "                     --canary 1 --batch 25% --max-failures 3",
          `  certfleet verify   ${i} --expect ${d}/new-wildcard.cer`,
          `  certfleet rollback ${i} \\`,
          "                     --journal certfleet-out/<run>-rollout/journal.jsonl",
          "",
          "The fleet keeps its state while it runs. Ctrl-C here stops it and removes",
          `what it wrote in ${d}/.`,
          "",
        ].join("\n"),
      );
      // A second Ctrl-C exits at once: the files go even then (the listening sockets die with us).
      const onExit = () => lab.removeFilesSync();
      process.once("exit", onExit);
      await untilInterrupt();
      await lab.stop();
      process.off("exit", onExit);
      process.stdout.write(`certfleet lab: stopped; removed ${lab.files.length} file(s) from ${d}/\n`);
      process.exitCode = 0;
    });
}
