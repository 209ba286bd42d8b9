import { createInterface } from "node:readline/promises";
import { InputError } from "../model/errors.js";

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

/** Asks on the terminal; without one, refuses (a change needs --yes in scripts). */
export async function confirm(question: string, yes: boolean | undefined): Promise<boolean> {
  if (yes) return true;
  ensureConfirmable(yes);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
