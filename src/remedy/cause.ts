/**
 * What a remedy is made from and what it says: the facts of one failure, the causes certfleet
 * tells apart (those of any transport, and WinRM's own), and the remedy's two sentences. Types
 * only: the classifiers (./remedy.ts, ./winrm-causes.ts) both read them.
 */
import type { TransportKind } from "../inventory/schema.js";
import type { ErrorKind } from "../model/errors.js";

export interface FailureFacts {
  kind: ErrorKind;
  message: string;
  /** what Windows printed, if anything */
  remote?: string;
  /** how the host was reached; absent: SSH (hosts from before WinRM, and hosts never contacted) */
  transport?: TransportKind;
}

export interface Remedy {
  /** the likely cause, in plain words */
  cause: string;
  /** one short step to take on the host (or locally) before going on; absent when there is none */
  fix?: string;
}

export type WinrmCause =
  | "winrm-no-password"
  | "winrm-basic-over-http"
  | "winrm-no-shared-auth"
  | "winrm-no-answer"
  | "winrm-not-a-listener"
  | "winrm-pin-mismatch"
  | "winrm-untrusted"
  | "winrm-ca-file"
  | "winrm-shell-quota"
  | "winrm-memory-quota"
  | "winrm-garbled";

export type Cause =
  | "no-private-key"
  | "cert-absent"
  | "cert-superseded"
  | "access-denied"
  | "bad-parameter"
  | "binding-exists"
  | "binding-missing"
  | "refused"
  | "no-route"
  | "handshake-dropped"
  | "timeout"
  | "host-key-changed"
  | "host-key-unknown"
  | "host-key"
  | "auth"
  | "verify"
  | "owner-managed"
  | "changed-by-someone"
  | "blocked"
  | "not-in-inventory"
  | "journal-mismatch"
  | "unreadable"
  | "unknown"
  | WinrmCause;
