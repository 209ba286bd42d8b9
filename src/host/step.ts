/**
 * One step of a host's rollout (DESIGN.md "A host's rollout as a list of steps"). Each step:
 * plans purely from the host's state and the target; applies under the safety protocol, writing
 * its journal records (intent before, done after); can be undone after a later failure (a later
 * step, or the TLS proof); finishes or puts back what an interrupted run left (resume); puts
 * every journaled original back (rollback); and reports its part of the host's outcome as rows.
 *
 * The list of steps, in order, is src/host/steps.ts.
 */
import type { Target } from "../certificate/target.js";
import type { HostJournal } from "../journal/host-journal.js";
import type { JournaledBinding, JournalStep } from "../journal/record.js";
import type { CertfleetError } from "../model/errors.js";
import type { HostState, RemoteShell } from "../model/host-state.js";
import type { HostSession } from "../session/host-session.js";
import type { BindingOutcome, ConsumerRow } from "./outcome.js";
import type { RestoreResult, SettleResult } from "./settle-restore.js";

/** What a step's command listing needs to know about the host beyond its plan. */
export interface CommandContext {
  shell: RemoteShell;
  host: string;
  /** the transport writes files over SFTP (SSH); else delivery stages them through a command's stdin (WinRM). */
  canStageFiles: boolean;
}

export interface StepApplied {
  status: "changed" | "unchanged" | "failed" | "needs-attention";
  bindings: BindingOutcome[];
  error?: CertfleetError;
  commands: string[];
  /** the consumers the step moved or left (consumer steps only) */
  consumers?: ConsumerRow[];
}

/** A step planned for one host: everything it would do there, decided before anything is sent. */
export interface PlannedStep {
  /** a blocking finding: nothing is changed on the host. */
  readonly blocked: CertfleetError | undefined;
  /** warnings and notes the plan found (the `plan` command lists them). */
  readonly findings: string[];
  /** nothing to do on this host. */
  readonly unchanged: boolean;
  /** the rows as planned (plan, dry run, nothing to do). */
  rows(): BindingOutcome[];
  /** the consumer rows as planned (consumer steps only). */
  consumerRows?(): ConsumerRow[];
  /** what the operator should see even when all goes well (an owner-managed binding left to its owner). */
  readonly warnings?: string[];
  /** the rows when the host was blocked: nothing was attempted. */
  notAttemptedRows(): BindingOutcome[];
  /**
   * The exact remote command lines this step sends when all goes as planned, in order, built by
   * the builders its `apply` uses (plan, --dry-run; see host/planned-commands.ts). What only the
   * run knows is a marked placeholder; an SFTP upload (not a command line) is a marked line.
   */
  commands(ctx: CommandContext): string[];
  /** what the listed commands assume that discovery could not tell (plan and --dry-run show it beside them). */
  readonly commandNotes?: string[];
  /** the progress line while it runs. */
  describe(): string;
  /** does it, journaling each change; a failure part-way puts back what this step moved. */
  apply(session: HostSession, journal: HostJournal): Promise<StepApplied>;
  /** the host's state as this step leaves it (the next step plans against it); absent: unchanged. */
  stateAfter?(state: HostState): HostState;
  /** puts back what `apply` did, for a step whose undo needs what it planned (else HostStep.undo). */
  undo?(session: HostSession, journal: HostJournal): Promise<{ commands: string[]; attention: boolean }>;
}

export interface HostStep {
  readonly name: string;
  /** the journal records it writes and, on resume and rollback, reads back (`step` in journal/record.ts). */
  readonly journalStep: JournalStep;
  plan(state: HostState, target: Target, now: Date): PlannedStep;
  /** puts back what `apply` moved (its rows are updated in place); after a later step or the proof failed. */
  undo(session: HostSession, rows: BindingOutcome[], target: Target, journal: HostJournal, consumers?: ConsumerRow[]): Promise<{ commands: string[]; attention: boolean }>;
  /** resume: finish what an interrupted run left half-done, or put the whole step back. */
  settle(session: HostSession, items: readonly JournaledBinding[], journal: HostJournal): Promise<SettleResult>;
  /** rollback: put every journaled original back. */
  restore(session: HostSession, items: readonly JournaledBinding[], journal: HostJournal): Promise<RestoreResult>;
}
