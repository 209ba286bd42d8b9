import { describe, expect, it } from "vitest";
import { oneRowPerBinding } from "../../src/host/binding-rows.js";
import type { BindingOutcome } from "../../src/host/outcome.js";

const OLD = "0f1e2d3c4b5a69788796a5b4c3d2e1f00a1b2c3d";
const row = (endpoint: string, action: BindingOutcome["action"], reason = ""): BindingOutcome => ({
  kind: "ipport",
  endpoint,
  certHash: OLD,
  appId: null,
  storeName: "MY",
  settings: {},
  action,
  ...(reason ? { reason } : {}),
});

describe("oneRowPerBinding", () => {
  it("keeps the row of the step that moved a binding, where the binding first appeared", () => {
    const rows = [row("0.0.0.0:443", "rebind"), row("0.0.0.0:5986", "none", "moved with its owner's own setting by the owners step"), row("0.0.0.0:5986", "rebind")];
    const out = oneRowPerBinding(rows);
    expect(out.map((r) => [r.endpoint, r.action])).toEqual([
      ["0.0.0.0:443", "rebind"],
      ["0.0.0.0:5986", "rebind"],
    ]);
    expect(out[1]).toBe(rows[2]);
  });

  it("a binding put back by its step keeps the restored row; bindings only ever left keep their first row", () => {
    const out = oneRowPerBinding([row("0.0.0.0:8172", "none", "first"), row("0.0.0.0:8172", "restored"), row("[::]:443", "none", "a"), row("[::]:443", "none", "b")]);
    expect(out.map((r) => [r.endpoint, r.action, r.reason])).toEqual([
      ["0.0.0.0:8172", "restored", undefined],
      ["[::]:443", "none", "a"],
    ]);
  });

  it("never hides a second step that acted on the same binding", () => {
    expect(oneRowPerBinding([row("0.0.0.0:443", "rebind"), row("0.0.0.0:443", "failed")])).toHaveLength(2);
  });
});
