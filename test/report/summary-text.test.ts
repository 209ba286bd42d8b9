import { describe, expect, it } from "vitest";
import type { Report } from "../../src/report/schema.js";
import { renderDiscoverSummary } from "../../src/report/summary-text.js";
import { discoverReport, HOSTILE, LEGACY, NEW, OLD } from "./sample-report.js";

const text = renderDiscoverSummary(discoverReport);
const lines = text.split("\n");

describe("renderDiscoverSummary", () => {
  it("starts with the counts and the finish time", () => {
    expect(lines[0]).toBe("certfleet discover: 6 hosts, 3 ok, 3 failed (finished 2026-03-20 09:00:04 UTC)");
  });

  it("lists certificates soonest expiry first with days counted from finishedAt", () => {
    const heads = lines.filter((l) => /^ {2}\S/.test(l) && /[0-9a-f]{40}/.test(l) && !l.includes("Failures"));
    expect(heads.map((l) => /[0-9a-f]{40}/.exec(l)?.[0])).toEqual([LEGACY, OLD, HOSTILE, NEW]);
    expect(heads[0]).toMatch(/^ {2}expired 110 days ago {2}2025-12-01 {2}9988/);
    expect(heads[1]).toMatch(/^ {2}in 26 days {12}2026-04-15 {2}0f1e/);
    expect(heads[3]).toMatch(/^ {2}in 376 days {11}2027-03-31 {2}a1b2/);
  });

  it("aligns the thumbprint column", () => {
    const heads = lines.filter((l) => /[0-9a-f]{40}/.test(l) && l.startsWith("  ") && !l.startsWith("    "));
    const columns = new Set(heads.map((l) => l.search(/[0-9a-f]{40}/)));
    expect(columns.size).toBe(1);
  });

  it("shows the hosts and bindings that use each certificate", () => {
    const at = lines.findIndex((l) => l.includes(OLD));
    expect(lines[at + 1]).toBe("    web01  ipport 0.0.0.0:443, hostnameport www.example.com:443");
    expect(lines[at + 2]).toBe("    web04  ipport [::]:443");
    const hostile = lines.findIndex((l) => l.includes(HOSTILE));
    expect(lines[hostile + 1]).toBe("    not bound; in the store of web03");
    expect(lines[hostile + 2]).toBe("    private key not shown on: web03");
  });

  it("names the hosts holding a certificate without its private key", () => {
    const at = lines.findIndex((l) => l.includes(NEW));
    expect(lines.slice(at + 1, at + 3)).toEqual(["    web03  ipport 0.0.0.0:443", "    no private key on: web04"]);
  });

  it("groups failures by error kind, aligned", () => {
    const at = lines.indexOf("Failures (3):");
    expect(lines.slice(at + 1, at + 4)).toEqual([
      "  unreachable  web06  could not connect to 10.0.0.16:22 within 4 s (connect ETIMEDOUT 10.0.0.16:22)",
      "               web08  could not connect to 10.0.0.18:22: ECONNREFUSED",
      "  auth         web07  certadmin@10.0.0.17: all authentication methods failed",
    ]);
  });

  it("has no colour codes and lets no terminal escape from a host through", () => {
    const hostile: Report = {
      ...discoverReport,
      hosts: [
        {
          name: "web\u001b[2J01",
          address: "10.0.0.1",
          status: "failed",
          durationMs: 1,
          error: { kind: "parse", message: "bad\u001b]0;title\u0007 output", remote: "\r\n\u001b[31mred" },
          bindings: [],
        },
      ],
    };
    const out = renderDiscoverSummary(hostile);
    expect(text).not.toMatch(/\u001b/);
    expect(out).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
    expect(out).toContain("web\\u001b[2J01");
    expect(out).toContain("(\\u001b[31mred)");
  });

  it("says so when no certificate was found", () => {
    const empty: Report = { ...discoverReport, hosts: [] };
    expect(renderDiscoverSummary(empty)).toContain("No certificates found.");
  });
});
