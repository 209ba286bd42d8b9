/**
 * The mapper from the engine's outcomes to the report, and what the writers make of it after a
 * rollout with failures: each failed host carries its cause, fix and next command in every report;
 * "Certificates seen" shows the bindings as the run left them; the target names the new
 * certificate's subject, names and expiry; JUnit skips what was never attempted.
 */
import { describe, expect, it } from "vitest";
import { certificatesSeen } from "../../src/report/certificates-seen.js";
import { reportFromRun } from "../../src/report/from-outcomes.js";
import { renderHtml } from "../../src/report/html.js";
import { renderJunit } from "../../src/report/junit.js";
import { renderMarkdown } from "../../src/report/markdown.js";
import { Report } from "../../src/report/schema.js";
import { renderDiscoverSummary } from "../../src/report/summary-text.js";
import { JOURNAL, NEW, OLD, report, rollout } from "./rollout-outcomes.js";

describe("remedies in every report", () => {
  it("report.json: each failed host carries its cause, fix and the next commands naming the journal and the failed hosts", () => {
    expect(Report.parse(report)).toEqual(report);
    const by = new Map(report.hosts.map((h) => [h.name, h]));
    expect(by.get("web1")?.remedy).toBeUndefined();
    expect(by.get("web5")?.remedy).toBeUndefined();
    expect(by.get("web2")?.remedy?.cause).toMatch(/no usable private key/);
    expect(by.get("web2")?.remedy?.fix).toMatch(/importPFX/);
    // the repair command names the real certificate, not a placeholder
    expect(by.get("web2")?.remedy?.fix).toContain(`certutil -repairstore My ${NEW}`);
    expect(by.get("web3")?.remedy?.cause).toMatch(/does not serve the expected certificate/);
    expect(by.get("web4")?.remedy?.cause).toMatch(/connection refused/);
    const runs = by.get("web4")?.remedy?.next.map((s) => s.run);
    expect(runs).toEqual([`certfleet rollout --resume ${JOURNAL} --new new.cer -l web2,web3,web4`, `certfleet rollback --journal ${JOURNAL}`]);
  });

  it("report.md and report.html show each failed host's cause, fix and the next command", () => {
    const md = renderMarkdown(report);
    expect(md).toContain("## What to do next");
    expect(md).toMatch(/\| \[web2\]\(#host-web2\) \| ❌ failed \| the new certificate has no usable private key/);
    expect(md).toContain(`Once the failed host(s) are fixed:\n\n\`\`\`sh\ncertfleet rollout --resume ${JOURNAL} --new new.cer -l web2,web3,web4\n`);
    expect(md).toContain(`Or, to put every changed binding back:\n\n\`\`\`sh\ncertfleet rollback --journal ${JOURNAL}\n`);
    const web4 = md.slice(md.indexOf('<a id="host-web4">'));
    expect(web4).toMatch(/\*\*Likely cause:\*\* nothing accepts SSH/);
    expect(web4).toContain(`certfleet rollback --journal ${JOURNAL}`);

    const html = renderHtml(report);
    expect(html).toContain("<h2>What to do next</h2>");
    const section = html.slice(html.indexOf('id="host-web2"'));
    expect(section).toMatch(/<strong>Likely cause:<\/strong> the new certificate has no usable private key/);
    expect(section).toContain(`<p class="when">Once the failed host(s) are fixed:</p><pre class="next-cmd">certfleet rollout --resume ${JOURNAL} --new new.cer -l web2,web3,web4</pre>`);
  });

  it("junit.xml: every failure's text carries the cause, the fix and the next command", () => {
    const xml = renderJunit(report);
    const failures = [...xml.matchAll(/<failure [^>]*>([\s\S]*?)<\/failure>/g)].map((m) => m[1] ?? "");
    expect(failures).toHaveLength(3); // web2's change, web3's proof, web4's connection
    for (const body of failures) {
      expect(body).toMatch(/likely cause: /);
      expect(body).toContain(`certfleet rollout --resume ${JOURNAL} --new new.cer -l web2,web3,web4`);
    }
    expect(failures.find((f) => f.includes("erreur : 1312"))).toMatch(/fix: import it with its key/);
  });
});

describe("reports tell the truth after the run", () => {
  it("Certificates seen lists the bindings as the run left them: moved ones on the new certificate, put-back ones on the old", () => {
    const certs = new Map(certificatesSeen(report).map((c) => [c.thumbprint, c]));
    const uses = (t: string) => certs.get(t)?.usedBy.map((u) => `${u.host} ${u.endpoint}`);
    expect(uses(NEW)).toEqual(["web1 0.0.0.0:443", "web1 10.0.0.1:8443"]);
    expect(uses(OLD)).toEqual(["web2 0.0.0.0:443", "web2 10.0.0.2:8443", "web3 0.0.0.0:443"]);
    // and the text summary, which reads the same list
    const text = renderDiscoverSummary(report);
    expect(text.slice(text.indexOf(NEW))).toMatch(new RegExp(`${NEW}.*\\n\\s+web1\\s+ipport 0\\.0\\.0\\.0:443, ipport 10\\.0\\.0\\.1:8443`));
    expect(renderMarkdown(report)).toMatch(/`a1b2c3d4` \([^)]*\): web1 ipport 0\.0\.0\.0:443; web1 ipport 10\.0\.0\.1:8443\n/);
  });

  it("report.html lists a certificate's bindings a line per host, under a count", () => {
    const html = renderHtml(report);
    const row = html.slice(html.indexOf(`${NEW} <span class="role r-new">`));
    const cell = /<td class="small"><div class="muted">(\d+ bindings? on \d+ hosts?)<\/div>([\s\S]*?)<\/td>\n<\/tr>/.exec(row);
    expect(cell?.[1]).toBe("2 bindings on 1 host");
    expect(cell?.[2]).toBe(
      '<div class="use"><strong>web1</strong> <span class="muted">ipport</span> <span class="mono">0.0.0.0:443</span> · <span class="muted">ipport</span> <span class="mono">10.0.0.1:8443</span></div>',
    );
  });

  it("report.html tells a missing private key from one certutil did not show", () => {
    const certs = (r: typeof report) => renderHtml(r).match(/<table class="certtable">[\s\S]*?<\/table>/)?.[0] ?? "";
    const hosts = report.hosts.map((h) => ({
      ...h,
      certificates: (h.certificates ?? []).map((c) => (c.thumbprint !== NEW ? c : { ...c, hasPrivateKey: h.name === "web2" ? false : h.name === "web3" ? ("unknown" as const) : true })),
    }));
    const table = certs({ ...report, hosts });
    expect(table).toContain("<th>private key</th>");
    expect(table).toContain('<div><span class="warn">missing on</span> web2</div><div class="muted" title="certutil did not say">not shown on web3</div>');
  });

  it("the target names the new certificate's subject, names and expiry from the certificate file", () => {
    expect(report.target).toMatchObject({
      newThumbprint: NEW,
      subject: "CN=*.example.com, O=Example",
      dnsNames: ["*.example.com", "example.com"],
      notAfter: "2027-11-30T00:00:00.000Z",
      describedBy: "file",
    });
    const md = renderMarkdown(report);
    expect(md).toContain("- **Names (SAN):** \\*.example.com, example.com");
    expect(md).toContain("- **Expires:** 2027-11-30 (in 366 days)");
    const box = renderHtml(report).match(/<section class="target">[\s\S]*?<\/section>/)?.[0] ?? "";
    expect(box).toContain("<dt>subject</dt><dd>CN=*.example.com, O=Example</dd>");
    expect(box).toContain("<code>*.example.com</code>, <code>example.com</code>");
    expect(box).toMatch(/<dt>expires<\/dt><dd><span class="mono">2027-11-30<\/span>/);
  });

  it("with only a thumbprint, the target is described from what the hosts' stores showed for it", () => {
    const r = reportFromRun(rollout({ thumbprint: NEW, source: "thumbprint" }));
    expect(r.target).toMatchObject({ subject: "CN=*.example.com", notAfter: "2027-12-20T00:00:00.000Z", describedBy: "hosts" });
    expect(r.target?.dnsNames).toBeUndefined();
    expect(renderMarkdown(r)).toContain("- **Expires:** 2027-12-20");
  });

  it("JUnit: bindings never attempted and hosts never started are skipped, and no failure is reported for a change never made", () => {
    const xml = renderJunit(report);
    const cases = [...xml.matchAll(/<testcase classname="certfleet\.([^"]+)" name="([^"]+)"[^>]*?(?:\/>|>([\s\S]*?)<\/testcase>)/g)].map((m) => ({
      host: m[1],
      name: m[2],
      body: m[3] ?? "",
    }));
    const one = (h: string, n: string) => cases.find((c) => c.host === h && c.name === n)?.body ?? "missing";
    expect(one("web2", "ipport 10.0.0.2:8443")).toMatch(/<skipped message="not attempted: /);
    expect(one("web5", "host")).toMatch(/<skipped message="not attempted: /);
    expect(one("web3", "ipport 0.0.0.0:443")).toMatch(/<failure message="served/); // its proof failed: a real failure
    // web2's update failed and the binding stayed as it was: a failed change, never "not restored"
    expect(one("web2", "ipport 0.0.0.0:443")).toMatch(/<failure message="ipport 0\.0\.0\.0:443: change failed"/);
    expect(xml).not.toContain("was not restored");
    expect(one("web1", "ipport 0.0.0.0:443")).toBe("");
  });
});
