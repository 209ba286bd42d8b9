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
