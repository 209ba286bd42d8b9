/**
 * What the report writers and the run summary read: the report contract (./schema.ts) with its
 * hosts as a sequence rather than an array, so that a big fleet's report can be written from the
 * run's results file a host at a time (see src/cli/output.ts). An in-memory `Report` is one too:
 * an array is a sequence. report.json stays the contract; this type never reaches it.
 */
import type { Report, ReportHost } from "./schema.js";

/**
 * Hosts that can be gone through any number of times, each time from the first, with their
 * number known up front. No array methods: a consumer that needs a subset filters it on the way
 * (src/lib/iterables.ts), so the whole fleet's rows are never held at once.
 */
export interface HostSequence extends Iterable<ReportHost> {
  readonly length: number;
}

export type ReportView = Omit<Report, "hosts"> & { hosts: HostSequence };

/** A sequence of `length` items, each pass a new iteration of `items()` (for a source read again every time). */
export function hostSequence(length: number, items: () => Iterator<ReportHost>): HostSequence {
  return { length, [Symbol.iterator]: items };
}
