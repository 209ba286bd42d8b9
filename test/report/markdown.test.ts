import { describe, expect, it } from "vitest";
import { codeBlock, md, renderMarkdown } from "../../src/report/markdown.js";
import { discoverReport, HOSTILE, LEGACY, NEW, OLD, sampleReport } from "./sample-report.js";

const text = renderMarkdown(sampleReport);

/** Table rows (lines starting with `|`) split on unescaped pipes. */
function cells(line: string): string[] {
  return line
    .slice(1, -1)
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());
}

describe("renderMarkdown", () => {
  it("has a title with the command and the start and finish times", () => {
    expect(text.startsWith("# certfleet rollout report\n")).toBe(true);
    expect(text).toContain("2026-03-20 14:05:10 UTC");
    expect(text).toContain("2026-03-20 14:07:42 UTC");
  });

  it("has the summary table with the report's numbers", () => {
    const lines = text.split("\n");
    const header = lines.findIndex((l) => l.startsWith("| hosts | ok | changed"));
    expect(cells(lines[header] ?? "")).toEqual(["hosts", "ok", "changed", "unchanged", "failed", "halted", "needs attention"]);
    expect(cells(lines[header + 2] ?? "")).toEqual(["6", "0", "1", "1", "2", "1", "1"]);
  });

  it("names the target certificate in full", () => {
    expect(text).toContain(`**New:** \`${NEW}\``);
    expect(text).toContain(`**Replaces:** \`${OLD}\``);
  });

  it("shows each binding's before → after with 8-hex hashes and the full ones in details", () => {
    expect(text).toContain("| ipport | 0.0.0.0:443 | `0f1e2d3c` → `a1b2c3d4` |");
    expect(text).toContain(`\`${OLD}\` → \`${NEW}\``);
    expect(text).toContain("<summary>Full thumbprints</summary>");
  });

  it("shows the verify mismatch with served and expected thumbprints", () => {
    const row = text.split("\n").find((l) => l.startsWith("| ipport | 10.0.0.12:443 |")) ?? "";
    expect(row).toContain("❌ served `0f1e2d3c`, expected `a1b2c3d4`");
    expect(text).toContain("⏭ not checked: the inventory gives no IPv6 address");
    expect(text).toContain("(SNI www.example.com)");
  });

  it("every binding-table row has exactly 8 cells even with pipes in host values", () => {
    const rows = text.split("\n").filter((l) => l.startsWith("| ipport") || l.startsWith("| hostnameport"));
    expect(rows.length).toBe(8);
    for (const row of rows) expect(cells(row)).toHaveLength(8);
    expect(text).toContain("uses CN=legacy-intranet.corp.local \\| out of scope");
  });

  it("escapes pipes, Markdown specials and HTML in values read from hosts", () => {
    expect(text).not.toContain("<script>");
    expect(text).toContain("CN=&lt;script&gt;alert('x')&lt;/script&gt; \\| \\*bold\\* \\_em\\_ \\[link\\](http://evil.example/) \\`tick\\` \\#1");
    const certRow = text.split("\n").find((l) => l.includes(HOSTILE)) ?? "";
    expect(cells(certRow)).toHaveLength(6);
    expect(md("a|b\nc")).toBe("a\\|b c");
  });

  it("puts the error's remote text in a code block, control characters made visible", () => {
    expect(text).toContain("**Error** (`apply`): add of ipport=0.0.0.0:443 failed");
    expect(text).toContain("```text\nSSL Certificate add failed, Error: 1312\nA specified logon session does not exist.");
    expect(text).toContain("already exists.\\u001b[0m\\u0000\n");
    expect(text).not.toMatch(/[\u0000\u001b]/);
  });

  it("a code fence cannot be closed by backticks in remote text", () => {
    expect(codeBlock("a ``` b", "text")).toBe("````text\na ``` b\n````");
  });

  it("lists the manual commands of the needs-attention host", () => {
    expect(text).toContain("## Needs attention");
    expect(text).toMatch(/\*\*Run by hand\*\*[^\n]*\n\n```bat\nnetsh http add sslcert ipport=0\.0\.0\.0:443 certhash=0f1e2d3c/);
  });

  it("lists warnings, escaped", () => {
    expect(text).toContain("- unknown netsh label \\`Foo \\| Bar\\` kept as label:Foo \\| Bar");
    expect(text).toContain("unreadable &lt;b&gt;");
  });

  it("has a certificates-seen table with days to expiry from finishedAt, holders and keyless holders", () => {
    const rows = text.split("\n").filter((l) => l.startsWith("| `"));
    const byHash = (h: string) => cells(rows.find((r) => r.includes(h)) ?? "");
    expect(byHash(LEGACY).slice(2, 5)).toEqual(["2025-12-01", "-110 ⚠ expired", "web03"]);
    expect(byHash(OLD).slice(2, 5)).toEqual(["2026-04-15", "26", "web01, web02, web04"]);
    expect(byHash(NEW).slice(3, 6)).toEqual(["376", "web01, web02, web03, web04", "web04"]);
    expect(byHash(NEW)[0]).toBe(`\`${NEW}\` (new)`);
    // soonest expiry first
    expect(rows).toHaveLength(4);
    expect(rows[0]).toContain(LEGACY);
    expect(rows[3]).toContain(NEW);
  });

  it("renders a discover report without target or actions", () => {
    const d = renderMarkdown(discoverReport);
    expect(d.startsWith("# certfleet discover report")).toBe(true);
    expect(d).not.toContain("## Target certificate");
    expect(d).toContain("| 6 | 3 | 0 | 0 | 3 | 0 | 0 |");
  });
});
