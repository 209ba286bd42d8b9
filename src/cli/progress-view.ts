/**
 * What the terminal shows while a fleet command runs, as a pure function of the events so far:
 * one title line with the counters (done, changed, failed, left, failure budget), a line per
 * wave, then only the hosts that are running and those that finished with a problem. It fits the
 * terminal: at 80x24 a 40-host rollout is readable, never a screen of pending spinners.
 */
import type { HostStatus } from "../report/schema.js";
import { wrapLines } from "./text-wrap.js";

export interface ViewHost {
  status?: HostStatus;
  step?: string;
  summary?: string;
  /** when it finished, in events: problems are listed newest first */
  finishedAt?: number;
}

export interface ViewWave {
  label: string;
  hosts: readonly string[];
}

export interface ProgressState {
  /** "rollout", "plan", ... */
  label: string;
  total: number;
  hosts: ReadonlyMap<string, ViewHost>;
  /** waves started so far, in order (rollout only) */
  waves: readonly ViewWave[];
  /** failed hosts the run tolerates (rollout only) */
  failureBudget?: number;
  /** what the operator must see now (Ctrl-C: "stopping ..."), drawn first */
  notice?: string;
}

export interface ProgressView {
  title: string;
  lines: string[];
}

const PROBLEM: ReadonlySet<HostStatus> = new Set(["failed", "needs-attention"]);

function counts(names: Iterable<string>, hosts: ReadonlyMap<string, ViewHost>) {
  let done = 0;
  let changed = 0;
  let failed = 0;
  let halted = 0;
  let running = 0;
  for (const n of names) {
    const h = hosts.get(n);
    if (h?.status !== undefined) {
      done++;
      if (h.status === "changed") changed++;
      if (PROBLEM.has(h.status)) failed++;
      if (h.status === "halted") halted++;
    } else if (h?.step !== undefined) running++;
  }
  return { done, changed, failed, halted, running };
}

function fit(text: string, width: number): string {
  const flat = text.replace(/[\r\n\t]+/g, " ");
  return flat.length <= width ? flat : `${flat.slice(0, Math.max(1, width - 1))}…`;
}

export function progressView(state: ProgressState, size: { columns: number; rows: number } = { columns: 80, rows: 24 }): ProgressView {
  // listr2 draws the title after a 2-column mark and the output indented by 4 or so.
  const width = Math.max(20, size.columns - 6);
  const c = counts(state.hosts.keys(), state.hosts);
  const left = state.total - c.done;
  // "changed" means nothing to a run that only reads (discover, plan, verify)
  const changes = state.failureBudget !== undefined || c.changed > 0;
  const parts = [`${c.done}/${state.total} done`, ...(changes ? [`${c.changed} changed`] : []), `${c.failed} failed`];
  if (c.halted > 0) parts.push(`${c.halted} halted`);
  parts.push(`${left} left`);
  if (state.failureBudget !== undefined) parts.push(`budget ${c.failed}/${state.failureBudget} failed`);
  const title = fit(`${state.label}: ${parts.join(" · ")}`, width + 2);

  const room = Math.max(4, size.rows - 5);
  const lines: string[] = state.notice ? wrapLines("! ", state.notice, width).slice(0, 3) : [];

  // waves: the last few started ones (an earlier wave's counts are in the title's totals)
  const shownWaves = state.waves.slice(-3);
  if (state.waves.length > shownWaves.length) lines.push(`${state.waves.length - shownWaves.length} earlier wave(s) finished`);
  for (const w of shownWaves) {
    const wc = counts(w.hosts, state.hosts);
    const tail = wc.done === w.hosts.length ? "finished" : `${wc.running} running, ${w.hosts.length - wc.done - wc.running} waiting`;
    lines.push(fit(`${w.label} (${w.hosts.length} host${w.hosts.length === 1 ? "" : "s"}): ${wc.done} done, ${wc.changed} changed, ${wc.failed} failed; ${tail}`, width));
  }

  const running = [...state.hosts].filter(([, h]) => h.status === undefined && h.step !== undefined);
  const problems = [...state.hosts].filter(([, h]) => h.status !== undefined && PROBLEM.has(h.status)).sort(([, a], [, b]) => (b.finishedAt ?? 0) - (a.finishedAt ?? 0));
  const nameWidth = Math.min(16, Math.max(0, ...[...running, ...problems].map(([n]) => n.length)));

  let free = room - lines.length;
  // problems keep at most half of what is left, and always say how many there are
  const problemRoom = problems.length === 0 ? 0 : Math.max(1, Math.min(problems.length, Math.floor(free / 2)));
  const runningRoom = Math.max(0, free - problemRoom);
  const runningShown = running.length > runningRoom ? Math.max(0, runningRoom - 1) : running.length;
  for (const [name, h] of running.slice(0, runningShown)) lines.push(fit(`▸ ${name.padEnd(nameWidth)}  ${h.step ?? ""}`, width));
  if (running.length > runningShown) lines.push(`▸ … and ${running.length - runningShown} more running`);
  free = room - lines.length;
  const problemsShown = problems.length > free ? Math.max(0, free - 1) : problems.length;
  for (const [name, h] of problems.slice(0, problemsShown)) lines.push(fit(`✖ ${name.padEnd(nameWidth)}  ${h.status === "needs-attention" ? "NEEDS ATTENTION: " : ""}${h.summary ?? ""}`, width));
  if (problems.length > problemsShown) lines.push(`✖ … and ${problems.length - problemsShown} more with a problem (all in the summary below)`);
  return { title, lines };
}
