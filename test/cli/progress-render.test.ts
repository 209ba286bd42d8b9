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
