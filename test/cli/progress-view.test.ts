import { describe, expect, it } from "vitest";
import { progressView, type ViewHost } from "../../src/cli/progress-view.js";

const names = (n: number) => Array.from({ length: n }, (_, i) => `web${String(i + 1).padStart(2, "0")}`);

function state(total: number, set: (hosts: Map<string, ViewHost>) => void, waves = [{ label: "canary", hosts: names(1) }], failureBudget?: number) {
  const hosts = new Map<string, ViewHost>(names(total).map((n) => [n, {}]));
  set(hosts);
  return { label: "rollout", total, hosts, waves, ...(failureBudget !== undefined ? { failureBudget } : {}) };
}

describe("progressView: a 40-host rollout at 80x24", () => {
  const s = state(
    40,
    (h) => {
      h.set("web01", { status: "changed", summary: "1 binding(s) rebound", finishedAt: 1 });
      for (const n of names(11).slice(1, 7)) h.set(n, { status: "changed", summary: "rebound", finishedAt: 2 });
      h.set("web08", { status: "failed", summary: "unreachable: cannot connect to 127.0.0.1 port 45841: ECONNREFUSED", finishedAt: 3 });
      for (const n of ["web09", "web10", "web11"]) h.set(n, { step: "rebinding 2 binding(s)" });
    },
    [
      { label: "canary", hosts: names(1) },
      { label: "wave 1", hosts: names(11).slice(1) },
    ],
    2,
  );
  const view = progressView(s, { columns: 80, rows: 24 });

  it("a title with the counters and the failure budget", () => {
    expect(view.title).toBe("rollout: 8/40 done · 7 changed · 1 failed · 32 left · budget 1/2 failed");
  });

  it("a line per wave, then only running hosts and hosts with a problem; no pending host", () => {
    expect(view.lines).toEqual([
      "canary (1 host): 1 done, 1 changed, 0 failed; finished",
      "wave 1 (10 hosts): 7 done, 6 changed, 1 failed; 3 running, 0 waiting",
      "▸ web09  rebinding 2 binding(s)",
      "▸ web10  rebinding 2 binding(s)",
      "▸ web11  rebinding 2 binding(s)",
      "✖ web08  unreachable: cannot connect to 127.0.0.1 port 45841: ECONNREFUSED",
    ]);
    for (const pending of names(40).slice(11)) expect(view.lines.join("\n")).not.toContain(pending);
  });

  it("fits the terminal however many hosts run or fail", () => {
    const big = state(1000, (h) => {
      for (const n of names(1000).slice(0, 300)) h.set(n, { step: "verifying over TLS" });
      for (const n of names(1000).slice(300, 500)) h.set(n, { status: "failed", summary: "x".repeat(200), finishedAt: 1 });
    });
    for (const size of [{ columns: 80, rows: 24 }, { columns: 60, rows: 12 }]) {
      const v = progressView(big, size);
      expect(v.lines.length + 1).toBeLessThanOrEqual(size.rows - 3);
      for (const l of [v.title, ...v.lines]) expect(l.length).toBeLessThanOrEqual(size.columns - 2);
      expect(v.lines.some((l) => /… and \d+ more running/.test(l))).toBe(true);
      expect(v.lines.some((l) => /… and \d+ more with a problem/.test(l))).toBe(true);
    }
  });

  it("needs-attention says so; the newest problem comes first", () => {
    const v = progressView(
      state(3, (h) => {
        h.set("web01", { status: "failed", summary: "old", finishedAt: 1 });
        h.set("web02", { status: "needs-attention", summary: "restore failed", finishedAt: 2 });
      }),
    );
    expect(v.lines.slice(-2)).toEqual(["✖ web02  NEEDS ATTENTION: restore failed", "✖ web01  old"]);
  });
});

describe("progressView: a notice (Ctrl-C) is drawn first, inside the view", () => {
  it("listr2 holds back stderr while it draws: the stop message must be part of the drawing", () => {
    const s = { ...state(2, (h) => h.set("web01", { step: "rebinding 1 binding(s)" })), notice: "certfleet: stopping: no new host starts; hosts in progress finish safely (Ctrl-C again to abort at once)" };
    const v = progressView(s, { columns: 80, rows: 24 });
    expect(v.lines.slice(0, 2)).toEqual(["! certfleet: stopping: no new host starts; hosts in progress finish safely", "  (Ctrl-C again to abort at once)"]);
    expect(v.lines).toContain("▸ web01  rebinding 1 binding(s)");
  });
});
