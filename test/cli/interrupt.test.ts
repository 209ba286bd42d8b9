import { afterEach, describe, expect, it, vi } from "vitest";
import { drainOnInterrupt, installInterruptHandler } from "../../src/cli/interrupt.js";

describe("one Ctrl-C policy for the CLI", () => {
  const uninstall: Array<() => void> = [];
  afterEach(() => {
    while (uninstall.length) uninstall.pop()!();
    vi.restoreAllMocks();
  });
  const exits = () => vi.spyOn(process, "exit").mockImplementation(((code: number) => {
    throw new Error(`exit ${code}`);
  }) as never);
  vi.spyOn(process.stderr, "write");

  it("a nested command (demo runs the others) counts one press once: the first Ctrl-C drains, it does not abort", () => {
    const exit = exits();
    uninstall.push(installInterruptHandler(), installInterruptHandler());
    const stop = drainOnInterrupt(() => undefined);
    process.emit("SIGINT", "SIGINT");
    expect(stop.requested).toBe(true);
    expect(exit).not.toHaveBeenCalled();
    // the second press exits at once, 130
    expect(() => process.emit("SIGINT", "SIGINT")).toThrow("exit 130");
  });

  it("while only reading, the first Ctrl-C exits 130 (nothing changed)", () => {
    exits();
    uninstall.push(installInterruptHandler());
    expect(() => process.emit("SIGINT", "SIGINT")).toThrow("exit 130");
  });

  it("leaves no listener behind", () => {
    const before = process.listenerCount("SIGINT");
    installInterruptHandler()();
    expect(process.listenerCount("SIGINT")).toBe(before);
  });
});
