import { describe, expect, it } from "vitest";
import { plainRenderer, wantsPlainOutput } from "../../src/cli/progress-render.js";

const tty = { isTTY: true } as NodeJS.WriteStream;
const pipe = { isTTY: false } as NodeJS.WriteStream;

describe("progress rendering", () => {
  it("is plain in CI, with NO_COLOR, on a dumb terminal or without a TTY; listr2 otherwise", () => {
    expect(wantsPlainOutput({ CI: "true" }, tty)).toBe(true);
    expect(wantsPlainOutput({ NO_COLOR: "" }, tty)).toBe(true);
    expect(wantsPlainOutput({ TERM: "dumb" }, tty)).toBe(true);
    expect(wantsPlainOutput({}, pipe)).toBe(true);
    expect(wantsPlainOutput({ TERM: "xterm-256color" }, tty)).toBe(false);
  });

  it("prints one plain line per event, without escape codes", async () => {
    const lines: string[] = [];
    const r = plainRenderer((l) => lines.push(l));
    const result = await r.run(["web01", "web02"], async () => {
      r.sink.wave?.(0, "canary", ["web01"]);
      r.sink.hostStep?.("web01", "connecting");
      r.sink.hostDone?.("web01", "changed", "1 binding(s) rebound and verified");
      r.sink.hostDone?.("web02", "needs-attention", "restore failed");
      return 42;
    });
    expect(result).toBe(42);
    expect(lines).toEqual([
      "== canary: 1 host(s): web01",
      "web01: connecting",
      "web01: changed - 1 binding(s) rebound and verified",
      "web02: NEEDS ATTENTION - restore failed",
    ]);
    expect(lines.join("\n")).not.toMatch(/\u001b\[/);
  });
});

describe("the listr2 renderer", () => {
  it("serves two runs in a row (plan preview, then rollout) without writing to the finished first list", async () => {
    const { listrRenderer } = await import("../../src/cli/progress-render.js");
    // listr2 picks its real (TTY) renderer only on a terminal: pretend to be one, as the bug lived there.
    const wasTTY = process.stdout.isTTY;
    const write = process.stdout.write;
    Object.defineProperty(process.stdout, "isTTY", { value: true, configurable: true });
    process.stdout.write = (() => true) as typeof process.stdout.write;
    const r = listrRenderer();
    let first: string;
    let second: string;
    try {
    first = await r.run(["web01"], async () => {
      r.sink.hostStep?.("web01", "discovering");
      r.sink.hostDone?.("web01", "ok", "1 binding(s) to rebind");
      return "plan";
    });
    second = await r.run(["web01"], async () => {
      r.sink.hostStep?.("web01", "rebinding 1 binding(s)");
      r.sink.hostDone?.("web01", "changed", "1 binding(s) rebound and verified");
      return "rollout";
    });
    } finally {
      process.stdout.write = write;
      Object.defineProperty(process.stdout, "isTTY", { value: wasTTY, configurable: true });
    }
    expect([first, second]).toEqual(["plan", "rollout"]);
  });
});
