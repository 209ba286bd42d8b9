/**
 * Ctrl-C, one policy for every renderer (listr2 on a terminal, plain lines in CI). listr2's own
 * SIGINT handler exits 127 mid-host, so the renderer is created with it off and SIGINT lands here.
 *
 * While a command only reads (discover, plan, the confirmation preview), the first Ctrl-C ends it
 * at once: "aborted, nothing changed", exit 130. While hosts change, the command sets a drain
 * policy: the first Ctrl-C only asks the runner to start no new host, so the hosts in progress end
 * whole and the report and journal are written; the second Ctrl-C exits at once.
 */

import { writeSync } from "node:fs";

/** The operator stopped a command before it changed anything (Ctrl-C at a prompt or preview). */
export class OperatorAbort extends Error {
  constructor(message = "aborted, nothing changed") {
    super(message);
    this.name = "OperatorAbort";
  }
}

export const EXIT_INTERRUPTED = 130;

type Policy = () => void;

const policies: Policy[] = [];
let presses = 0;
/** what a second Ctrl-C adds to its message: how to go on from the journal */
let afterAbort = "";

/** The terminal as the user should get it back: listr2 hides the cursor while it draws. */
function restoreTerminal(): void {
  if (process.stdout.isTTY) writeSafely(1, "\x1b[?25h");
  if (process.stderr.isTTY) writeSafely(2, "\x1b[?25h");
}

/**
 * Straight to the file descriptor: while listr2 draws, it holds back what is written to
 * process.stderr until it ends, and an exit now would lose it.
 */
function writeSafely(fd: number, text: string): void {
  try {
    writeSync(fd, text);
  } catch {
    // a closed terminal: nothing to tell
  }
}

function exitNow(message: string): never {
  restoreTerminal();
  writeSafely(2, `\ncertfleet: ${message}\n`);
  process.exit(EXIT_INTERRUPTED);
}

const abortNothingChanged: Policy = () => exitNow("aborted, nothing changed");

function onSigint(): void {
  presses++;
  if (presses > 1) exitNow(`aborted at once (second Ctrl-C)${afterAbort}`);
  (policies.at(-1) ?? abortNothingChanged)();
}

let installed = 0;

/**
 * Installed by the CLI for the life of one command; returns the uninstaller. Nested commands
 * (`demo` runs the others) share the one listener: a press must count once.
 */
export function installInterruptHandler(): () => void {
  if (installed++ === 0) process.on("SIGINT", onSigint);
  presses = 0;
  afterAbort = "";
  const outer = policies.length;
  return () => {
    policies.length = outer;
    if (--installed === 0) process.off("SIGINT", onSigint);
  };
}

export interface StopSwitch {
  /** true once the operator pressed Ctrl-C */
  readonly requested: boolean;
}

/**
 * While hosts change (until the command ends): the first Ctrl-C calls `onFirst` (say what happens
 * next) and sets `requested`; a second one exits 130 at once, its message followed by `howToGoOn`.
 */
export function drainOnInterrupt(onFirst: () => void, howToGoOn = ""): StopSwitch {
  let requested = false;
  afterAbort = howToGoOn;
  policies.push(() => {
    requested = true;
    onFirst();
  });
  return {
    get requested() {
      return requested;
    },
  };
}

/** A command that runs until Ctrl-C (the rehearsal fleet): resolves at the first Ctrl-C. */
export function untilInterrupt(): Promise<void> {
  return new Promise((resolve) => {
    policies.push(() => resolve());
  });
}
