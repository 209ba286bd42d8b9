/**
 * Progress for people: listr2 on an interactive terminal, plain timestamp-free lines in CI logs
 * (CI, NO_COLOR, or stderr not a TTY). Both render the same ProgressSink events.
 */
import { Listr, type ListrTaskWrapper } from "listr2";
import type { HostStatus } from "../report/schema.js";
import type { ProgressSink } from "../host/progress.js";
import { progressView, type ViewHost, type ViewWave } from "./progress-view.js";

export interface ProgressRenderer {
  sink: ProgressSink;
  /** runs `work` while rendering; resolves with its result once the display has settled. */
  run<T>(hosts: readonly string[], work: () => Promise<T>, options?: RunDisplayOptions): Promise<T>;
  /** a message the operator must see now (Ctrl-C: "stopping ..."), drawn with the progress */
  notice(text: string): void;
}

export interface RunDisplayOptions {
  /** what the run is ("rollout", "plan preview", ...) */
  label?: string;
  /** failed hosts the rollout tolerates, shown next to the failed count */
  failureBudget?: number;
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
  return { sink, run: (_hosts, work) => work(), notice: (text) => write(text) };
}

/**
 * listr2 on a terminal: ONE task whose title carries the counters and whose output lists the
 * waves, the running hosts and the hosts that finished with a problem (progress-view.ts), redrawn
 * as events arrive and fitted to the terminal. Each run() starts from fresh state: the same
 * renderer serves the plan preview and then the rollout, and a finished Listr is never written to
 * again. Rendering can never fail the work: a display error is swallowed.
 */
export function listrRenderer(size: () => { columns: number; rows: number } = terminalSize): ProgressRenderer {
  let state: { label: string; total: number; hosts: Map<string, ViewHost>; waves: ViewWave[]; failureBudget?: number; notice?: string } | undefined;
  let task: ListrTaskWrapper<unknown, never, never> | undefined;
  let events = 0;
  const safely = (f: () => void) => {
    try {
      f();
    } catch {
      // the display is best effort; the reports and the exit code carry the truth
    }
  };
  const redraw = () =>
    safely(() => {
      if (!state || !task) return;
      const view = progressView(state, size());
      task.title = view.title;
      task.output = view.lines.join("\n");
    });
  const host = (name: string): ViewHost | undefined => {
    if (!state) return undefined;
    let h = state.hosts.get(name);
    if (!h) state.hosts.set(name, (h = {}));
    return h;
  };
  const sink: ProgressSink = {
    wave: (_i, label, hosts) =>
      safely(() => {
        state?.waves.push({ label, hosts: [...hosts] });
        redraw();
      }),
    hostStep: (name, text) =>
      safely(() => {
        const h = host(name);
        if (h && h.status === undefined) h.step = text;
        redraw();
      }),
    hostDone: (name, status, summary) =>
      safely(() => {
        const h = host(name);
        if (h) Object.assign(h, { status, summary, finishedAt: ++events });
        redraw();
      }),
  };
  return {
    sink,
    // listr2 holds back stderr while it draws: a notice is part of the drawing, or plain text
    notice(text) {
      if (state && task) {
        state.notice = text;
        redraw();
      } else process.stderr.write(`${text}\n`);
    },
    async run(hosts, work, options = {}) {
      state = {
        label: options.label ?? "hosts",
        total: hosts.length,
        hosts: new Map(hosts.map((h) => [h, {}])),
        waves: [],
        ...(options.failureBudget !== undefined ? { failureBudget: options.failureBudget } : {}),
      };
      let settle!: () => void;
      const settled = new Promise<void>((r) => (settle = r));
      const list = new Listr(
        [
          {
            title: state.label,
            task: async (_ctx: unknown, t: ListrTaskWrapper<unknown, never, never>) => {
              task = t;
              redraw();
              await settled;
              redraw();
              task = undefined;
              t.output = "";
            },
            // one entry: the latest view (a larger bar would stack every earlier view)
            rendererOptions: { outputBar: 1, persistentOutput: false },
          },
        ] as never,
        // registerSignalListeners off: listr2's own SIGINT handler exits 127 mid-host; Ctrl-C is ours (interrupt.ts)
        { concurrent: false, exitOnError: false, registerSignalListeners: false, rendererOptions: { formatOutput: "truncate", removeEmptyLines: true } } as never,
      );
      const shown = list.run().catch(() => undefined);
      try {
        return await work();
      } finally {
        settle();
        await shown;
        state = undefined;
      }
    },
  };
}

function terminalSize(): { columns: number; rows: number } {
  return { columns: process.stdout.columns || 80, rows: process.stdout.rows || 24 };
}

export function chooseRenderer(plain: boolean): ProgressRenderer {
  return plain ? plainRenderer() : listrRenderer();
}
