import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { findExternalReferences } from "../../scripts/screenshot-report.mjs";
import { renderHtml } from "../../src/report/html.js";
import { renderJson } from "../../src/report/json.js";
import { renderJunit } from "../../src/report/junit.js";
import { renderMarkdown } from "../../src/report/markdown.js";
import type { Report } from "../../src/report/schema.js";
import { renderDiscoverSummary } from "../../src/report/summary-text.js";
import { discoverReport, sampleReport, SECRET } from "./sample-report.js";

const writers: Array<[string, (r: Report) => string]> = [
  ["json", renderJson],
  ["md", renderMarkdown],
  ["html", renderHtml],
  ["junit", renderJunit],
  ["summary", renderDiscoverSummary],
];

describe("no report contains a secret", () => {
  const saved = { ...process.env };
  beforeEach(() => {
    // What a real run has in its environment: the password named by passwordEnv, an agent socket.
    process.env.CERTFLEET_PASSWORD = SECRET;
    process.env.SSH_AUTH_SOCK = `/tmp/ssh-${SECRET}/agent.1`;
  });
  afterEach(() => {
    process.env = { ...saved };
  });

  it("writers use the Report only: nothing from the environment gets in", () => {
    for (const report of [sampleReport, discoverReport]) {
      for (const [name, render] of writers) {
        const out = render(report);
        expect(out, name).not.toContain(SECRET);
        expect(out, name).not.toContain("CERTFLEET_PASSWORD");
        expect(out, name).not.toContain("SSH_AUTH_SOCK");
      }
    }
  });
});

/** The sample report with an arbitrary host-supplied string in every free-text field. */
function withHostText(s: string): Report {
  const r = structuredClone(sampleReport);
  const web03 = r.hosts[2];
  const web04 = r.hosts[3];
  if (!web03 || !web04) throw new Error("sample report changed shape");
  web03.name = `web03${s}`;
  web03.warnings = [s];
  const cert = web03.certificates?.[2];
  if (cert) cert.subject = s;
  const binding = web03.bindings[1];
  if (binding) {
    binding.endpoint = `${s}:443`;
    binding.reason = s;
  }
  web04.error = { kind: "apply", message: s, remote: s };
  return r;
}

// Characters that matter to one of the formats, mixed with arbitrary text.
const hostile = fc.oneof(
  fc.string(),
  fc.string({ unit: fc.constantFrom("<", ">", "&", '"', "'", "|", "`", "*", "_", "[", "]", "\n", "\r", "\u0000", "\u001b", "\u0007", "\ud800", "\uffff", "a", " ", "/", "=", "(", ")", ":") }),
);

describe("escaping holds for any text a host can return", () => {
  it("HTML: no tag, attribute or reference can be injected", () => {
    fc.assert(
      fc.property(hostile, (s) => {
        const html = renderHtml(withHostText(s));
        expect(findExternalReferences(html)).toEqual([]);
        const tags = new Set([...html.matchAll(/<([a-zA-Z][a-zA-Z0-9-]*)/g)].map((m) => m[1]));
        const allowed = ["html", "head", "meta", "title", "style", "body", "main", "header", "h1", "h2", "h3", "p", "span", "section", "div", "dl", "dt", "dd", "code", "br", "table", "thead", "tbody", "tr", "th", "td", "a", "pre", "ul", "li", "details", "summary", "abbr", "figure", "svg", "rect", "line", "text", "tspan", "circle", "footer", "strong", "colgroup", "col"];
        for (const t of tags) expect(allowed, `unexpected <${t}>`).toContain(t);
        expect(html).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/);
      }),
      { numRuns: 150 },
    );
  });

  it("JUnit: only XML 1.0 characters, and the testcase count is unchanged", () => {
    const expected = (renderJunit(sampleReport).match(/<testcase /g) ?? []).length;
    fc.assert(
      fc.property(hostile, (s) => {
        const xml = renderJunit(withHostText(s));
        expect(xml).not.toMatch(/[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u);
        expect((xml.match(/<testcase /g) ?? []).length).toBe(expected);
        expect((xml.match(/<testsuite /g) ?? []).length).toBe(sampleReport.hosts.length);
        // no unescaped markup characters inside attribute values
        for (const m of xml.matchAll(/ (?:name|classname|message|type|value|hostname)="([^"]*)"/g)) expect(m[1]).not.toMatch(/[<>]/);
      }),
      { numRuns: 150 },
    );
  });

  it("Markdown: table rows keep their column count", () => {
    fc.assert(
      fc.property(hostile, (s) => {
        const md = renderMarkdown(withHostText(s));
        const rows = md.split("\n").filter((l) => l.startsWith("| ipport") || l.startsWith("| hostnameport"));
        for (const row of rows) expect(row.slice(1, -1).split(/(?<!\\)\|/)).toHaveLength(8);
        // outside fenced code blocks (rendered literally), no HTML tag but the ones certfleet writes
        const prose = md.replace(/^(`{3,})[^\n]*\n[\s\S]*?\n\1$/gm, "");
        expect(prose).not.toMatch(/<(?!\/?(?:a|details|summary)\b)[a-zA-Z]/);
      }),
      { numRuns: 150 },
    );
  });
});
