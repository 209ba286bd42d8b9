/**
 * Command-line values read and checked: numbers, durations and the certificate options. Bad
 * input is an InputError (exit 2) raised before any host is contacted.
 */
import { randomBytes } from "node:crypto";
import { statSync } from "node:fs";
import { extname } from "node:path";
import type { Target } from "../certificate/target.js";
import { newRunId } from "../certificate/host-delivery.js";
import { pfxPassword } from "../certificate/pfx-password.js";
import { readPfxFile } from "../certificate/pfx-read.js";
import { resolveNewCertificate } from "../certificate/read-file.js";
import { InputError } from "../model/errors.js";
import { normalizeThumbprint } from "../model/thumbprint.js";

export function positiveInt(value: string | undefined, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
    throw new InputError(`${option}: expected a whole number of at least 1, got ${JSON.stringify(value)}`, undefined, option);
  }
  return Number(value);
}

/** The longest delay a Node timer keeps; a longer one fires at once (TimeoutOverflowWarning). */
const MAX_TIMER_MS = 2_147_483_647;

/** Seconds -> ms; `minMs` 1 where 0 would mean "give up at once" (a command timeout). */
export function secondsToMs(value: string | undefined, option: string, fallbackMs: number, minMs = 0): number {
  if (value === undefined) return fallbackMs;
  if (!/^\d+(?:\.\d+)?$/.test(value)) throw new InputError(`${option}: expected seconds, got ${JSON.stringify(value)}`, undefined, option);
  const ms = Math.round(Number(value) * 1000);
  if (ms < minMs || ms > MAX_TIMER_MS) {
    throw new InputError(`${option}: expected from ${minMs / 1000} to ${Math.floor(MAX_TIMER_MS / 1000)} seconds, got ${JSON.stringify(value)}`, undefined, option);
  }
  return ms;
}

export function readTarget(arg: string, old: readonly string[] | undefined, pfxPasswordEnv?: string): Target {
  const newCert = resolveNewCertificate(arg, { pfxPasswordEnv });
  const oldThumbprints = (old ?? []).flatMap((o) => o.split(",")).map((o) => {
    const t = normalizeThumbprint(o);
    if (!t) throw new InputError(`--old: ${JSON.stringify(o.slice(0, 80))} is not a SHA-1 thumbprint (40 hex digits)`, undefined, "--old");
    return t;
  });
  if (oldThumbprints.includes(newCert.thumbprint)) {
    throw new InputError("--old names the new certificate itself", undefined, "--old");
  }
  return { newCert, oldThumbprints };
}

export interface DeliveryTargetOptions {
  pfxPasswordEnv?: string;
  exportable?: boolean;
  now?: Date;
}

/**
 * `--new` for the commands that can deliver (plan, rollout, deliver): a .pfx/.p12 is opened and
 * checked here, before any host is contacted (wrong password, no key, several leaves, expired or
 * not yet valid, a CA, a key type: InputError, exit 2), and travels as the run's delivery. The
 * password comes from `--pfx-password-env`, else a prompt on the terminal; it stays on the controller.
 */
export async function readDeliveryTarget(arg: string, old: readonly string[] | undefined, options: DeliveryTargetOptions = {}): Promise<Target> {
  const ext = extname(arg).toLowerCase();
  if (ext !== ".pfx" && ext !== ".p12") return readTarget(arg, old, options.pfxPasswordEnv);
  const now = options.now ?? new Date();
  // A mistyped file name is said as such, before anyone is asked for its password.
  try {
    if (!statSync(arg).isFile()) throw Object.assign(new Error("not a file"), { code: "EISDIR" });
  } catch (err) {
    throw new InputError(`--new: cannot read ${JSON.stringify(arg.slice(0, 80))} as a certificate file (${(err as NodeJS.ErrnoException).code ?? "unreadable"})`, arg, "--new");
  }
  const password = await pfxPassword(arg, { ...(options.pfxPasswordEnv !== undefined ? { envName: options.pfxPasswordEnv } : {}), io: { input: process.stdin, output: process.stderr } });
  const contents = readPfxFile(arg, password, now);
  const oldTarget = readTarget(contents.leaf.certificate.thumbprint, old);
  return { ...oldTarget, newCert: contents.leaf.certificate, delivery: { contents, exportable: options.exportable === true, stagingId: newRunId(now, randomBytes) } };
}
