import { createInterface } from "node:readline/promises";
import { InputError } from "../model/errors.js";
import { OperatorAbort } from "./interrupt.js";

/**
 * Refuses up front when a confirmation will be needed and cannot be asked: a usage error (exit 2)
 * must come before any host is contacted, not after a preview run.
 */
export function ensureConfirmable(yes: boolean | undefined): void {
  if (yes) return;
  if (!process.stdin.isTTY) {
    throw new InputError("refusing to change hosts without confirmation: no terminal to ask on; review `certfleet plan` and pass --yes");
  }
}

/**
 * Asks on the terminal; without one, refuses (a change needs --yes in scripts). Ctrl-C (or Ctrl-D)
 * at the prompt is the operator's "no": an OperatorAbort, exit 130, nothing changed.
 */
export async function confirm(question: string, yes: boolean | undefined): Promise<boolean> {
  if (yes) return true;
  ensureConfirmable(yes);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const closed = new Promise<never>((_, reject) => rl.once("close", () => reject(new OperatorAbort())));
  closed.catch(() => undefined);
  try {
    const answer = await Promise.race([rl.question(`${question} [y/N] `), closed]).catch((err: unknown) => {
      // readline rejects the question with an AbortError when Ctrl-C closes it
      if (err instanceof OperatorAbort || (err instanceof Error && err.name === "AbortError")) throw new OperatorAbort();
      throw err;
    });
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
