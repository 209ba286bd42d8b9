import { describe, expect, it } from "vitest";
import { renderJunit } from "../../src/report/junit.js";
import type { Report } from "../../src/report/schema.js";
import { discoverReport, REMOTE_1312, REMOTE_UNREACHABLE, sampleReport } from "./sample-report.js";

/**
 * A minimal structural reader for the JUnit subset certfleet writes: enough to check what CI
 * systems read (element nesting, counts, failure bodies) without an XML library.
 */
interface Case {
  classname: string;
  name: string;
  failure?: { message: string; type: string; body: string };
  skipped: boolean;
}
interface Suite {
  attrs: Record<string, string>;
  cases: Case[];
}

function attrs(tag: string): Record<string, string> {
  return Object.fromEntries([...tag.matchAll(/([a-zA-Z:]+)="([^"]*)"/g)].map((m) => [m[1] ?? "", unescape(m[2] ?? "")]));
}

function unescape(s: string): string {
  return s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, "&");
}

function parse(xml: string): { root: Record<string, string>; suites: Suite[] } {
  expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites ')).toBe(true);
  expect(xml.trimEnd().endsWith("</testsuites>")).toBe(true);
  const rootTag = /<testsuites [^>]*>/.exec(xml)?.[0] ?? "";
  const suites = [...xml.matchAll(/<testsuite ([^>]*)>([\s\S]*?)<\/testsuite>/g)].map((m) => {
    const cases = [...(m[2] ?? "").matchAll(/<testcase ([^>]*?)(?:\/>|>([\s\S]*?)<\/testcase>)/g)].map((c) => {
      const a = attrs(c[1] ?? "");
      const inner = c[2] ?? "";
      const f = /<failure ([^>]*)>([\s\S]*?)<\/failure>/.exec(inner);
      const fa = f ? attrs(f[1] ?? "") : undefined;
      const testCase: Case = { classname: a.classname ?? "", name: a.name ?? "", skipped: /<skipped[ />]/.test(inner) };
      if (f && fa) testCase.failure = { message: fa.message ?? "", type: fa.type ?? "", body: unescape(f[2] ?? "") };
      return testCase;
    });
    return { attrs: attrs(m[1] ?? ""), cases };
  });
  return { root: attrs(rootTag), suites };
}

const num = (s: string | undefined): number => Number(s);

describe("renderJunit", () => {
  const xml = renderJunit(sampleReport);
  const { root, suites } = parse(xml);
  const byHost = (name: string): Suite => suites.find((s) => s.attrs.name === name) ?? { attrs: {}, cases: [] };

  it("has one testsuite per host, named after it", () => {
    expect(root.name).toBe("certfleet");
    expect(suites.map((s) => s.attrs.name)).toEqual(sampleReport.hosts.map((h) => h.name));
  });

  it("counts add up: testsuites = sum of testsuites = the elements present", () => {
    const all = suites.flatMap((s) => s.cases);
    expect((xml.match(/<testcase /g) ?? []).length).toBe(all.length);
    expect(num(root.tests)).toBe((xml.match(/<testcase /g) ?? []).length);
    expect(num(root.failures)).toBe((xml.match(/<failure /g) ?? []).length);
    expect(num(root.skipped)).toBe((xml.match(/<skipped /g) ?? []).length);
    expect(num(root.errors)).toBe((xml.match(/<error /g) ?? []).length);
    for (const s of suites) {
      expect(num(s.attrs.tests)).toBe(s.cases.length);
      expect(num(s.attrs.failures)).toBe(s.cases.filter((c) => c.failure).length);
      expect(num(s.attrs.skipped)).toBe(s.cases.filter((c) => c.skipped).length);
      expect(num(s.attrs.errors)).toBe(0);
    }
    expect(suites.reduce((n, s) => n + num(s.attrs.tests), 0)).toBe(num(root.tests));
    expect(suites.reduce((n, s) => n + num(s.attrs.failures), 0)).toBe(num(root.failures));
    expect(suites.reduce((n, s) => n + num(s.attrs.skipped), 0)).toBe(num(root.skipped));
    expect(num(root.time)).toBeCloseTo(152.508, 3);
  });

  it("has a testcase `host` and one per binding, classname certfleet.<host>, name <kind> <endpoint>", () => {
    expect(byHost("web01").cases.map((c) => [c.classname, c.name])).toEqual([
      ["certfleet.web01", "host"],
      ["certfleet.web01", "ipport 0.0.0.0:443"],
      ["certfleet.web01", "hostnameport www.example.com:443"],
      ["certfleet.web01", "ipport [::]:443"],
    ]);
    expect(byHost("web01").cases.map((c) => [!!c.failure, c.skipped])).toEqual([
      [false, false],
      [false, false],
      [false, false],
      [false, true], // [::] not checked: no IPv6 address
    ]);
  });

  it("fails the verify mismatch with served and expected thumbprints and the remote text", () => {
    const web02 = byHost("web02");
    const mismatch = web02.cases.find((c) => c.name === "ipport 10.0.0.12:443");
    expect(mismatch?.failure?.type).toBe("verify");
    expect(mismatch?.failure?.message).toBe(
      "served 0f1e2d3c4b5a69788796a5b4c3d2e1f00a1b2c3d, expected a1b2c3d4e5f60718293a4b5c6d7e8f9011223344",
    );
    expect(mismatch?.failure?.body).toContain("attempts: 12");
    expect(mismatch?.failure?.body).toContain("served 0f1e2d3c4b5a69788796a5b4c3d2e1f00a1b2c3d (CN=*.example.com)");
  });

  it("one failure per problem: the mismatch fails; the host case and the binding put back with it do not", () => {
    const web02 = byHost("web02");
    expect(web02.cases.map((c) => [c.name, c.failure ? "failure" : c.skipped ? "skipped" : "pass"])).toEqual([
      ["host", "pass"],
      ["ipport 10.0.0.12:443", "failure"],
      ["hostnameport shop.example.com:443", "skipped"],
    ]);
    expect(xml).toMatch(/name="hostnameport shop\.example\.com:443">\n\s*<skipped message="put back: 10\.0\.0\.12:443 still served/);
    expect(num(web02.attrs.failures)).toBe(1);
  });

  it("a failed host's bindings that were never attempted are skipped, never failures", () => {
    const report: Report = {
      ...sampleReport,
      hosts: [
        {
          name: "web09",
          address: "10.0.0.19",
          status: "failed",
          durationMs: 10,
          error: { kind: "precondition", message: "the new certificate is not in LocalMachine\\My" },
          bindings: [
            { ...sampleReport.hosts[0]!.bindings[0]!, before: undefined, after: undefined, verify: undefined, action: "none", scope: "old", reason: "not changed (host blocked)" },
            { ...sampleReport.hosts[0]!.bindings[1]!, before: undefined, after: undefined, verify: undefined, action: "none", scope: "unrelated" },
          ],
        },
      ],
    };
    const cases = parse(renderJunit(report)).suites[0]!.cases;
    expect(cases.map((c) => [c.name, c.failure?.type ?? (c.skipped ? "skipped" : "pass")])).toEqual([
      ["host", "precondition"],
      ["ipport 0.0.0.0:443", "skipped"],
      ["hostnameport www.example.com:443", "pass"],
    ]);
  });

  it("fails the needs-attention binding with the netsh text and the manual command", () => {
    const c = byHost("web04").cases.find((x) => x.name === "ipport 0.0.0.0:443");
    expect(c?.failure?.type).toBe("apply");
    expect(c?.failure?.body).toContain(REMOTE_1312);
    expect(c?.failure?.body).toContain("run by hand: netsh http add sslcert ipport=0.0.0.0:443");
  });

  it("gives hosts without bindings one testcase: skipped when halted, failed with the remote text when unreachable", () => {
    expect(byHost("web05").cases).toEqual([{ classname: "certfleet.web05", name: "host", skipped: true }]);
    const web06 = byHost("web06").cases;
    expect(web06).toHaveLength(1);
    expect(web06[0]?.failure?.type).toBe("unreachable");
    expect(web06[0]?.failure?.body).toContain(REMOTE_UNREACHABLE);
  });

  it("passes unchanged and out-of-scope bindings", () => {
    expect(byHost("web03").cases.every((c) => !c.failure && !c.skipped)).toBe(true);
  });

  it("escapes XML specials and removes characters XML 1.0 forbids", () => {
    expect(xml).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/);
    expect(xml).toContain("already exists.\\u001b[0m\\u0000");
    const hostile: Report = {
      ...sampleReport,
      hosts: [
        {
          name: 'we"b<&>\'',
          address: "10.0.0.9",
          status: "failed",
          durationMs: 1,
          error: { kind: "parse", message: "bad <output> & \"quotes\"", remote: "]]> <x/> \u0007\ud800\uffff" },
          bindings: [],
        },
      ],
    };
    const out = renderJunit(hostile);
    expect(out).toContain('classname="certfleet.we&quot;b&lt;&amp;&gt;&#39;"');
    expect(out).toContain('message="bad &lt;output&gt; &amp; &quot;quotes&quot;"');
    expect(out).toContain("]]&gt; &lt;x/&gt; \\u0007\ufffd\ufffd</failure>");
    expect(parse(out).suites[0]?.cases[0]?.failure?.message).toBe('bad <output> & "quotes"');
  });

  it("passes every reachable host of a discover report and fails the unreachable ones", () => {
    const d = parse(renderJunit(discoverReport));
    // six hosts (each with its `host` case) and five bindings among the reachable ones
    expect(num(d.root.tests)).toBe(6 + 5);
    expect(num(d.root.failures)).toBe(3);
    expect(num(d.root.skipped)).toBe(0);
  });
});
