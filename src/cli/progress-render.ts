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

export function listrRenderer(): ProgressRenderer {
  const waiting = new Map<string, { resolve: () => void; task?: ListrTaskWrapper<unknown, never, never>; status?: HostStatus; summary?: string; step?: string }>();
  const entry = (host: string) => {
    let e = waiting.get(host);
    if (!e) {
      let resolve!: () => void;
      const done = new Promise<void>((r) => (resolve = r));
      e = { resolve };
      (e as { done?: Promise<void> }).done = done;
      waiting.set(host, e);
    }
    return e as typeof e & { done: Promise<void> };
  };
  const sink: ProgressSink = {
    hostStep: (host, text) => {
      const e = entry(host);
      e.step = text;
      if (e.task) e.task.output = text;
    },
    hostDone: (host, status, summary) => {
      const e = entry(host);
      e.status = status;
      e.summary = summary;
      e.resolve();
    },
  };
  return {
    sink,
    async run(hosts, work) {
      const list = new Listr(
        hosts.map((host) => ({
          title: host,
          task: async (_ctx: unknown, task: ListrTaskWrapper<unknown, never, never>) => {
            const e = entry(host);
            e.task = task;
            if (e.step) task.output = e.step;
            await e.done;
            task.title = `${host}: ${MARK[e.status ?? "ok"]} - ${e.summary ?? ""}`;
            if (e.status === "failed" || e.status === "needs-attention") throw new Error(task.title);
            if (e.status === "halted") task.skip(task.title);
          },
        })),
        { concurrent: true, exitOnError: false, rendererOptions: { collapseErrors: false } } as never,
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
