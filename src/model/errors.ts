import { z } from "zod";

export const ErrorKind = z.enum([
  "unreachable",
  "auth",
  "host-key",
  "elevation",
  "precondition",
  "apply",
  "verify",
  "timeout",
  "parse",
]);
export type ErrorKind = z.infer<typeof ErrorKind>;

/**
 * Every failure certfleet reports about a host. `remote` carries the text Windows printed, so an
 * operator can search for it; `host` is the inventory name.
 */
export class CertfleetError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly host?: string,
    readonly remote?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "CertfleetError";
  }

  toJSON(): { kind: ErrorKind; message: string; remote?: string } {
    return { kind: this.kind, message: this.message, ...(this.remote ? { remote: this.remote } : {}) };
  }
}

/**
 * The host is not where the journal says it was (another address or port, another host key):
 * rollback and resume stop before touching it, and the command exits 2.
 */
export class JournalMismatchError extends CertfleetError {
  constructor(message: string, host: string) {
    super("host-key", message, host);
    this.name = "JournalMismatchError";
  }
}

/**
 * The host's time budget (--host-timeout) and the one restore window after it are spent: the
 * command was not sent. Never retried.
 */
export class BudgetSpentError extends CertfleetError {
  readonly budgetSpent = true as const;
  constructor(message: string, host: string) {
    super("timeout", message, host);
    this.name = "BudgetSpentError";
  }
}

/** Bad user input: exit code 2, no host contacted. `file` and `path` say where. */
export class InputError extends Error {
  constructor(
    message: string,
    readonly file?: string,
    readonly path?: string,
  ) {
    super(message);
    this.name = "InputError";
  }
}

export function asCertfleetError(err: unknown, host: string, fallback: ErrorKind): CertfleetError {
  if (err instanceof CertfleetError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new CertfleetError(fallback, message, host, undefined, { cause: err });
}
