import { describe, expect, it } from "vitest";
import { InvalidReportError, renderJson, validateReport } from "../../src/report/json.js";
import { Report } from "../../src/report/schema.js";
import { discoverReport, NEW, sampleReport } from "./sample-report.js";

/** The same object with every object's keys in reverse order (record contents too). */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reverseKeys(v)]));
  }
  return value;
}

describe("renderJson", () => {
  it("round-trips through the zod Report schema", () => {
    for (const report of [sampleReport, discoverReport]) {
      const text = renderJson(report);
      const back = Report.parse(JSON.parse(text));
      expect(back).toEqual(report);
      expect(renderJson(back)).toBe(text);
    }
  });

  it("is pretty-printed with a trailing newline", () => {
    const text = renderJson(sampleReport);
    expect(text.endsWith("}\n")).toBe(true);
    expect(text.split("\n")[1]).toBe('  "schemaVersion": 1,');
  });

  it("prints object keys in schema order whatever order the builder used", () => {
    const shuffled = reverseKeys(sampleReport) as typeof sampleReport;
    expect(Object.keys(shuffled)[0]).toBe("hosts");
    const text = renderJson(shuffled);
    const top = Object.keys(JSON.parse(text) as object);
    expect(top.slice(0, 5)).toEqual(["schemaVersion", "tool", "command", "startedAt", "finishedAt"]);
    const firstHost = (JSON.parse(text) as { hosts: Array<Record<string, unknown>> }).hosts[0];
    expect(Object.keys(firstHost ?? {}).slice(0, 3)).toEqual(["name", "address", "status"]);
  });

  it("keeps a binding's settings in netsh display order", () => {
    const parsed = JSON.parse(renderJson(sampleReport)) as Report;
    const settings = parsed.hosts[0]?.bindings[0]?.settings ?? {};
    expect(Object.keys(settings).slice(0, 3)).toEqual(["verifyclientcertrevocation", "verifyrevocationwithcachedclientcertonly", "usagecheck"]);
  });

  it("drops keys the contract does not know instead of leaking them", () => {
    const withExtra = { ...sampleReport, env: { CERTFLEET_PASSWORD: "x" }, hosts: sampleReport.hosts.map((h) => ({ ...h, password: "y" })) };
    const text = renderJson(withExtra as unknown as Report);
    expect(text).not.toContain("CERTFLEET_PASSWORD");
    expect(text).not.toContain('"password"');
  });

  it("refuses a report that breaks the contract, naming the path", () => {
    const bad = { ...sampleReport, target: { newThumbprint: NEW.toUpperCase(), oldThumbprints: [] } };
    expect(() => renderJson(bad)).toThrow(InvalidReportError);
    expect(() => validateReport(bad)).toThrow(/target\.newThumbprint/);
  });
});
