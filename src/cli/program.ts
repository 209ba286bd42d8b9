import { Command, CommanderError } from "commander";
import { CertfleetError, InputError } from "../model/errors.js";
import type { Dialer } from "../transport/dial.js";
import { discoverCommand } from "./commands/discover.js";
import { parseCommand } from "./commands/parse.js";
import { planCommand } from "./commands/plan.js";
import { rollbackCommand } from "./commands/rollback.js";
import { rolloutCommand } from "./commands/rollout.js";
import { deliverCommand } from "./commands/deliver.js";
import { PromptInterrupted } from "../certificate/pfx-password.js";
import { verifyCommand } from "./commands/verify.js";
import { demoCommand } from "./commands/demo.js";
import { labCommand } from "./commands/lab.js";
import { EXIT_INTERRUPTED, installInterruptHandler, OperatorAbort } from "./interrupt.js";

export const VERSION = "0.1.0";

export function buildProgram(dial?: Dialer): Command {
  const program = new Command("certfleet")
    .version(VERSION)
    .description(
      "Replace one certificate on many Windows/IIS servers at once, over OpenSSH or WinRM.\n\n" +
        "IIS does not hold the certificate: http.sys does, per socket (ip:port, or hostname:port for SNI). " +
        "certfleet discovers every binding, plans each change, rolls it out canary-then-all, journals every " +
        "original record before touching it, proves each endpoint by a TLS handshake, and writes reports.",
    )
    .addHelpText(
      "after",
      `
A typical night:
  certfleet discover                                  # what is bound where, what expires when
  certfleet plan    --new new-wildcard.cer            # what would change, what blocks a host
  certfleet rollout --new new-wildcard.cer --dry-run  # the exact netsh commands per host
  certfleet deliver --new renewed.pfx --pfx-password-env PFX_PW   # import it where it is missing, days ahead
  certfleet rollout --new new-wildcard.cer --canary 1 --batch 25% --max-failures 2
  certfleet verify  --expect new-wildcard.cer         # the report for the change record
  certfleet demo                                      # try it all on a simulated fleet
  certfleet lab --dir lab                             # a simulated fleet to rehearse on, until Ctrl-C

Exit codes: 0 all hosts fine; 1 a host failed or a verification mismatched;
            2 bad input or usage (no host contacted); 3 rollout halted by --max-failures;
            130 rollout stopped by Ctrl-C (hosts in progress finished safely).
`,
    )
    .showHelpAfterError("(run with --help for usage)");
  for (const cmd of [
    discoverCommand(dial),
    planCommand(dial),
    rolloutCommand(dial),
    deliverCommand(dial),
    verifyCommand(dial),
    rollbackCommand(dial),
    parseCommand(),
    demoCommand((argv) => runCli(argv, dial)),
    labCommand(),
  ]) {
    program.addCommand(cmd);
  }
  program.exitOverride();
  for (const c of program.commands) c.exitOverride();
  return program;
}

/** Runs the CLI and returns the exit code; bad input and usage are 2 (DESIGN.md). */
export async function runCli(argv: string[], dial?: Dialer): Promise<number> {
  const program = buildProgram(dial);
  process.exitCode = 0;
  const uninstall = installInterruptHandler();
  try {
    await program.parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof PromptInterrupted) {
      process.stderr.write(`certfleet: ${err.message}\n`);
      return EXIT_INTERRUPTED;
    }
    if (err instanceof OperatorAbort) {
      process.stderr.write(`certfleet: ${err.message}\n`);
      return EXIT_INTERRUPTED;
    }
    if (err instanceof CommanderError) {
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.code === "commander.help") return 0;
      return 2;
    }
    if (err instanceof InputError) {
      process.stderr.write(`certfleet: ${err.message}\n`);
      return 2;
    }
    if (err instanceof CertfleetError) {
      process.stderr.write(`certfleet: ${err.kind}: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(`certfleet: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  } finally {
    uninstall();
  }
}
