/** The netsh field catalogue is the one place a setting is known: labels, layouts and the add builder agree with it. */
import { describe, expect, it } from "vitest";
import { addParamsFor } from "../../src/windows/commands.js";
import { SETTINGS } from "../../src/windows/netsh/fields.js";
import { LABELS } from "../../src/windows/netsh/labels.js";
import { orderFor } from "../../src/windows/netsh/layouts.js";

describe("the netsh field catalogue", () => {
  it("every setting has labels and a place in the newest layout", () => {
    const labelled = new Set(LABELS.map(([canon]) => canon));
    const newest = new Set(orderFor(25));
    for (const s of SETTINGS) {
      expect(labelled.has(s.name), s.name).toBe(true);
      expect(newest.has(s.name), s.name).toBe(true);
    }
  });

  it("the add builder sets every addable setting that differs from its default, in catalogue order, and refuses the others", () => {
    const settings: Record<string, string> = {};
    for (const s of SETTINGS) {
      settings[s.name] = s.shows === "enabled" ? (s.default === "enable" ? "Disabled" : "Enabled") : s.shows === "set" ? "Set" : s.shows === "int" ? "60" : "Contoso";
    }
    const b = { kind: "ipport" as const, endpoint: "0.0.0.0:443", certHash: "a".repeat(40), appId: "{4dc3e181-e14b-4a21-b022-59fc669b0914}", storeName: "MY", settings };
    const out = addParamsFor(b);
    expect(out.params.slice(3).map(([name]) => name)).toEqual(SETTINGS.filter((s) => s.addable).map((s) => s.name));
    expect(out.unrepresentable).toEqual(SETTINGS.filter((s) => !s.addable).map((s) => `${s.display} is set and netsh add cannot set it`));
  });
});
