/**
 * Helpers for the verify and fault-matrix end-to-end tests: targets, an in-memory journal, rollout
 * options, and before/after comparisons of a simulated host's bindings.
 */
import { describeDer } from "../../src/certificate/read-file.js";
import type { Target } from "../../src/certificate/target.js";
import type { JournalWriter } from "../../src/journal/journal.js";
import type { JournalRecord } from "../../src/journal/record.js";
import type { RolloutRunOptions } from "./reported.js";
import type { VerifyTiming } from "../../src/verify/verify-endpoint.js";
import type { SimCertificate, SimHost, SimSnapshot } from "../../src/simulator/index.js";
import { simBindingEssentials } from "./harness.js";

export const IIS_APPID = "{4dc3e181-e14b-4a21-b022-59fc669b0914}";

/** The target as `--new FILE` gives it: thumbprint, subject, SANs and validity from the DER. */
export function targetFor(cert: SimCertificate, old: readonly SimCertificate[] = []): Target {
  return { newCert: describeDer(cert.der), oldThumbprints: old.map((c) => c.thumbprint) };
}

export interface MemoryJournal extends JournalWriter {
  records: JournalRecord[];
}

export function memoryJournal(): MemoryJournal {
  const records: JournalRecord[] = [];
  return { path: "(memory)", records, append: (r) => void records.push(r), close: () => undefined };
}

/** Fast verification for tests: the window is counted in attempts by the simulator's stale serves. */
export const FAST_TIMING: VerifyTiming = { windowMs: 0, intervalMs: 10, handshakeTimeoutMs: 5_000 };

export function rolloutOptions(target: Target, names: readonly string[], extra: Partial<RolloutRunOptions> = {}): RolloutRunOptions {
  return {
    target,
    waves: [[...names]],
    maxFailures: names.length,
    concurrency: 4,
    dryRun: false,
    journal: memoryJournal(),
    verify: { enabled: true, timing: FAST_TIMING },
    ...extra,
  };
}

type Essentials = ReturnType<typeof simBindingEssentials>;

/** A host's bindings in comparable form, sorted by key. */
export function bindingsOf(s: SimSnapshot | SimHost): Essentials[] {
  const list = "snapshot" in s ? s.snapshot().bindings : s.bindings;
  return list.map(simBindingEssentials).sort((a, b) => `${a.kind}=${a.endpoint}`.localeCompare(`${b.kind}=${b.endpoint}`));
}

/** What the plan promises: every binding on `from` moved to `to`, nothing else different. */
export function planned(s: SimSnapshot, from: string, to: string): Essentials[] {
  return bindingsOf(s).map((b) => (b.certHash === from ? { ...b, certHash: to } : b));
}

/** A RegExp that matches once, then never again: a transient fault. */
export class OnceRegExp extends RegExp {
  hits = 0;
  override test(text: string): boolean {
    if (this.hits > 0) return false;
    const r = super.test(text);
    if (r) this.hits++;
    return r;
  }
}
