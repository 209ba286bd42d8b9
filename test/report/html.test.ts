import { describe, expect, it } from "vitest";
import { renderHtml } from "../../src/report/html.js";
import type { Report } from "../../src/report/schema.js";
import { discoverReport, NEW, OLD, sampleReport } from "./sample-report.js";

const html = renderHtml(sampleReport);

/** The markup of the <section> for one host. */
function hostSection(name: string): string {
  const m = new RegExp(`<section class="host s-[a-z-]+" id="host-${name}">([\\s\\S]*?)</section>`).exec(html);
  return m?.[1] ?? "";
}

describe("renderHtml", () => {
  it("is one complete document with inline CSS and a CSP that forbids every fetch", () => {
    expect(html.startsWith("<!DOCTYPE html>\n<html lang=\"en\">")).toBe(true);
    expect(html.trimEnd().endsWith("</html>")).toBe(true);
    expect(html).toContain("<style>");
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
    expect(html).not.toMatch(/<script|<link|<img|<iframe/i);
  });

  it("escapes a <script> subject read from a host everywhere it appears", () => {
    expect(html).not.toContain("<script>alert");
    expect(html).toContain("CN=&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; | *bold*");
    // in the SVG timeline's tooltip too
    expect(html).toMatch(/<title>CN=&lt;script&gt;alert/);
  });

  it("escapes host names, warnings and remote text", () => {
    const evil: Report = {
      ...sampleReport,
      hosts: [
        {
          name: '"><img src=x onerror=alert(1)>',
          address: "10.0.0.1",
          status: "failed",
          durationMs: 5,
          error: { kind: "apply", message: "<b>boom</b>", remote: "</pre><script>alert(2)</script>" },
          bindings: [],
          warnings: ["<iframe src=//evil>"],
        },
      ],
    };
    const out = renderHtml(evil);
    expect(out).not.toMatch(/<img|<script|<iframe|<b>boom/);
    expect(out).toContain("&lt;/pre&gt;&lt;script&gt;alert(2)&lt;/script&gt;");
    expect(out).toContain('id="host-img-src-x-onerror-alert-1"');
  });

  it("shows the summary counts", () => {
    const card = (label: string) => new RegExp(`<div class="n">(\\d+)</div><div class="l">${label}</div>`).exec(html)?.[1];
    expect([card("hosts"), card("ok"), card("changed"), card("unchanged"), card("failed"), card("halted"), card("needs attention")]).toEqual([
      "6", "0", "1", "1", "2", "1", "1",
    ]);
  });

  it("colours each host by status", () => {
    expect(html).toContain('<section class="host s-changed" id="host-web01">');
    expect(html).toContain('<section class="host s-failed" id="host-web02">');
    expect(html).toContain('<section class="host s-halted" id="host-web05">');
    expect(html).toContain('<section class="host s-needs-attention" id="host-web04">');
    expect(html).toMatch(/\.host\.s-failed\{border-left-color:var\(--bad\)\}/);
    expect(html).toMatch(/--bad:#cf222e/);
    expect(html).toMatch(/\.host\.s-needs-attention\{border-left-color:var\(--warn\)\}/);
  });

  it("shows before → after per binding and the verification result", () => {
    const web01 = hostSection("web01");
    expect(web01).toContain(`<abbr title="${OLD}">0f1e2d3c</abbr> <span class="arrow">→</span> <abbr title="${NEW}">a1b2c3d4</abbr>`);
    expect(web01).toContain('<span class="vr v-ok">✓ match</span>');
    expect(web01).toContain('<span class="vr v-skip">not checked</span>');
    const web02 = hostSection("web02");
    expect(web02).toContain(`<span class="vr v-bad">✗ mismatch</span> <span class="small">served <abbr title="${OLD}">0f1e2d3c</abbr> expected <abbr title="${NEW}">a1b2c3d4</abbr></span>`);
  });

  it("shows the manual command of the needs-attention host, and a callout for it", () => {
    expect(hostSection("web04")).toMatch(/<div class="manual">[\s\S]*<pre>netsh http add sslcert ipport=0\.0\.0\.0:443 certhash=0f1e2d3c/);
    expect(html).toMatch(/<div class="callout"><strong>1 host needs attention:<\/strong> <a href="#host-web04">web04<\/a>/);
  });

  it("draws an expiry timeline with one marker per certificate and a line at finishedAt", () => {
    const svg = /<svg[\s\S]*?<\/svg>/.exec(html)?.[0] ?? "";
    expect((svg.match(/<circle /g) ?? []).length).toBe(4);
    expect(svg).toContain("report 2026-03-20");
    expect(svg).toContain("expired 110 days ago");
    expect(svg).toContain("in 376 days");
    expect(svg).toContain('stroke-dasharray="4 3"');
  });

  it("is print-friendly", () => {
    expect(html).toContain("@media print{");
    expect(html).toContain("break-inside:avoid");
  });

  it("is deterministic: the same report renders the same bytes", () => {
    expect(renderHtml(structuredClone(sampleReport))).toBe(html);
  });

  it("renders a discover report and a report without certificates", () => {
    const d = renderHtml(discoverReport);
    expect(d).toContain("<h1>certfleet discover report</h1>");
    // a discover report has no plan and no proof: no empty before/after, action or verify columns
    expect(d).toContain("<thead><tr><th>kind</th><th>endpoint</th><th>certificate</th><th>appid</th><th>store</th></tr></thead>");
    expect(html).toContain("<th>before → after</th><th>appid</th><th>store</th><th>action</th><th>verify</th></tr></thead>");
    const empty: Report = { ...discoverReport, hosts: [], summary: { hosts: 0, ok: 0, changed: 0, unchanged: 0, failed: 0, halted: 0, needsAttention: 0 } };
    const out = renderHtml(empty);
    expect(out).not.toContain("<svg");
    expect(out).toContain("</html>");
  });
});

describe("renderHtml: each host's other consumers", () => {
  const SID = "S-1-5-20";
  const report: Report = {
    ...sampleReport,
    hosts: [
      {
        name: "app01",
        address: "10.0.0.7",
        status: "needs-attention",
        durationMs: 900,
        bindings: [],
        consumers: [
          { owner: "winrm-https", source: "winrm-listener", name: "Transport=HTTPS Address=*", certHash: OLD, action: "moved", before: OLD, after: NEW, verify: { ok: true } },
          { owner: "rdp", source: "registry", name: "RDP-Tcp SSLCertificateSHA1Hash", certHash: OLD, action: "moved", before: OLD, after: NEW, verify: { ok: true, servedThumbprint: NEW, expectedThumbprint: NEW } },
          { owner: "key", source: "key", name: "private key read by NETWORK SERVICE", certHash: NEW, action: "moved", before: null, after: SID },
          { owner: "adfs", source: "binding", name: "hostnameport sts.example.com:443 <adfs>", certHash: OLD, action: "owner-managed", manualCommand: `Set-AdfsSslCertificate -Thumbprint ${NEW}` },
          { owner: "wmsvc", source: "registry", name: "WMSvc SslCertificateHash", certHash: OLD, action: "failed", before: OLD, reason: "read back OLD", manualCommand: `reg add HKLM\\SOFTWARE\\Microsoft\\WebManagement\\Server /v SslCertificateHash /t REG_BINARY /d ${OLD} /f` },
          { owner: "wmsvc", source: "registry", name: "WMSvc read back", certHash: NEW, verify: { ok: false, error: "WMSvc names OLD" } },
        ],
      },
    ],
  };
  const page = renderHtml(report);
  const section = /<section class="host s-needs-attention" id="host-app01">([\s\S]*?)<\/section>/.exec(page)?.[1] ?? "";

  it("lists every consumer in the host's own section, with what it named before and after", () => {
    expect(section).toContain('<table class="bindings consumers">');
    for (const name of ["Transport=HTTPS Address=*", "RDP-Tcp SSLCertificateSHA1Hash", "private key read by NETWORK SERVICE", "WMSvc SslCertificateHash"]) expect(section).toContain(name);
    expect(section).toMatch(/Transport=HTTPS Address=\*<\/td>\n<td>winrm-https<\/td>\n<td class="mono"><abbr title="0f1e2d3c[0-9a-f]+">0f1e2d3c[^<]*<\/abbr> <span class="arrow">→<\/span> <abbr title="a1b2c3d4/);
    // a key grant's "after" is the account, not a certificate
    expect(section).toContain(`<span class="mono">${SID}</span>`);
  });

  it("says how each was proven: a setting read back, the RDP listener by its handshake", () => {
    expect(section).toContain("✓ read back");
    expect(section).toMatch(/RDP-Tcp[\s\S]*?✓ match/);
    expect(section).toContain("✗ WMSvc names OLD");
  });

  it("gives the owner's command for an owner-managed binding, and the restore of a failed consumer to run by hand", () => {
    expect(section).toMatch(/<strong>Needs attention<\/strong>: left to their owner[\s\S]*?<pre>Set-AdfsSslCertificate -Thumbprint a1b2/);
    expect(section).toMatch(/<strong>Run by hand<\/strong>[\s\S]*?<pre>reg add HKLM\\SOFTWARE\\Microsoft\\WebManagement\\Server/);
    // escaped like every value from a host
    expect(section).toContain("sts.example.com:443 &lt;adfs&gt;");
    expect(section).not.toContain("<adfs>");
  });
});
