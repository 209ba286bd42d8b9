/**
 * Progress for people: listr2 on an interactive terminal, plain timestamp-free lines in CI logs
 * (CI, NO_COLOR, or stderr not a TTY). Both render the same ProgressSink events.
 */
import { Listr, type ListrTaskWrapper } from "listr2";
import type { HostStatus } from "../report/schema.js";
import type { ProgressSink } from "../session/progress.js";

export interface ProgressRenderer {
  sink: ProgressSink;
  /** runs `work` while rendering; resolves with its result once the display has settled. */
  run<T>(hosts: readonly string[], work: () => Promise<T>): Promise<T>;
}

export function wantsPlainOutput(env: NodeJS.ProcessEnv = process.env, stream: NodeJS.WriteStream = process.stderr): boolean {
  return Boolean(env.CI) || env.NO_COLOR !== undefined || env.TERM === "dumb" || !stream.isTTY;
}

const MARK: Record<HostStatus, string> = {
  ok: "ok",
  changed: "changed",
  unchanged: "unchanged",
  failed: "FAILED",
  halted: "halted",
  "needs-attention": "NEEDS ATTENTION",
};

export function plainRenderer(write: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): ProgressRenderer {
  const sink: ProgressSink = {
    wave: (_i, label, hosts) => write(`== ${label}: ${hosts.length} host(s): ${hosts.join(", ")}`),
    hostStep: (host, text) => write(`${host}: ${text}`),
    hostDone: (host, status, summary) => write(`${host}: ${MARK[status]} - ${summary}`),
  };
  return { sink, run: (_hosts, work) => work() };
}

interface HostEntry {
  done: Promise<void>;
  resolve: () => void;
  task?: ListrTaskWrapper<unknown, never, never>;
  status?: HostStatus;
  summary?: string;
  step?: string;
}

/**
 * listr2 tasks, one per host, that follow the runner's events. Each run() gets fresh entries:
 * the same renderer serves the plan preview and then the rollout, and a finished Listr must never
 * be written to again. Rendering can never fail the work: a display error is swallowed.
 */
export function listrRenderer(): ProgressRenderer {
  let entries = new Map<string, HostEntry>();
  const entry = (host: string): HostEntry => {
    let e = entries.get(host);
    if (!e) {
      let resolve!: () => void;
      const done = new Promise<void>((r) => (resolve = r));
      e = { done, resolve };
      entries.set(host, e);
    }
    return e;
  };
  const safely = (f: () => void) => {
    try {
      f();
    } catch {
      // the display is best effort; the reports and the exit code carry the truth
    }
  };
  const sink: ProgressSink = {
    hostStep: (host, text) =>
      safely(() => {
        const e = entry(host);
        e.step = text;
        if (e.task) e.task.output = text;
      }),
    hostDone: (host, status, summary) =>
      safely(() => {
        const e = entry(host);
        e.status = status;
        e.summary = summary;
        e.resolve();
      }),
  };
  return {
    sink,
    async run(hosts, work) {
      entries = new Map();
      const list = new Listr(
        hosts.map((host) => ({
          title: host,
          task: async (_ctx: unknown, task: ListrTaskWrapper<unknown, never, never>) => {
            const e = entry(host);
            e.task = task;
            if (e.step) task.output = e.step;
            await e.done;
            e.task = undefined;
            task.title = `${host}: ${MARK[e.status ?? "ok"]} - ${e.summary ?? ""}`;
            if (e.status === "failed" || e.status === "needs-attention") throw new Error(task.title);
            if (e.status === "halted") task.skip(task.title);
          },
        })),
        // registerSignalListeners off: listr2's own SIGINT handler exits 127 mid-host; Ctrl-C is ours (interrupt.ts)
        { concurrent: true, exitOnError: false, registerSignalListeners: false, rendererOptions: { collapseErrors: false } } as never,
      );
      const shown = list.run().catch(() => undefined);
      try {
        return await work();
      } finally {
        for (const h of hosts) {
          const e = entry(h);
          if (e.status === undefined) {
            e.status = "halted";
            e.summary = "not run";
            e.resolve();
          }
        }
        await shown;
      }
    },
  };
}

export function chooseRenderer(plain: boolean): ProgressRenderer {
  return plain ? plainRenderer() : listrRenderer();
}
