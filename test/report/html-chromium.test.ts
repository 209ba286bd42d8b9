import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_CHROMIUM, findExternalReferences, pageRequestsFromLog, screenshotReport } from "../../scripts/screenshot-report.mjs";
import { renderHtml } from "../../src/report/html.js";
import type { Report } from "../../src/report/schema.js";
import { report as rolloutWithFailures } from "./rollout-outcomes.js";
import { discoverReport, sampleReport } from "./sample-report.js";

const hasChromium = existsSync(DEFAULT_CHROMIUM);

/** Width and height from a PNG's IHDR chunk. */
function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
  expect(png.subarray(12, 16).toString("latin1")).toBe("IHDR");
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

// Always runs, Chromium or not: the page must not reference anything outside itself.
describe("report.html references nothing outside itself", () => {
  it("the sample reports have no external reference, though a host value contains a URL", () => {
    for (const report of [sampleReport, discoverReport, rolloutWithFailures]) {
      const html = renderHtml(report);
      expect(findExternalReferences(html)).toEqual([]);
      expect(html).not.toMatch(/\b(?:src|href|srcset)\s*=\s*["']?\s*(?:https?:)?\/\//i);
      expect(html).not.toMatch(/@import|url\(\s*["']?(?!#|data:)/i);
    }
    expect(renderHtml(sampleReport)).toContain("http://evil.example/"); // as escaped text only
  });

  it("hostile values cannot smuggle a reference in", () => {
    const url = 'x" src="https://evil.example/a.png" style="background:url(https://evil.example/b)';
    const evil: Report = {
      ...sampleReport,
      hosts: [{ name: url, address: `<img src=${url}>`, status: "failed", durationMs: 1, bindings: [], warnings: [`<link href="//evil.example/c.css">`] }],
    };
    expect(findExternalReferences(renderHtml(evil))).toEqual([]);
  });

  it("the checker itself finds the references it is meant to find", () => {
    const bad = [
      '<img src="https://cdn.example/x.png">',
      "<a href='//cdn.example/'>x</a>",
      '<link rel="stylesheet" href="style.css">',
      "<style>@import 'x.css'; body{background:url(http://x/y.png)}</style>",
      '<div style="background:url(&quot;https://x/y&quot;)"></div>',
      '<svg><image href="a.png"/></svg>',
      '<meta http-equiv="refresh" content="0;url=https://x/">',
    ];
    for (const snippet of bad) expect(findExternalReferences(snippet), snippet).not.toEqual([]);
    expect(findExternalReferences('<a href="#host-web01">x</a><img src="data:image/png;base64,AAAA"><p>https://x/ src=//y</p>')).toEqual([]);
  });

  it("the Chromium log reader keeps page requests and ignores the browser's own calls", () => {
    const log = [
      "[1:2:VERBOSE1:net/base/network_delegate.cc:38] NotifyBeforeURLRequest: https://update.googleapis.com/service/update2/json?cup2key=1",
      "[1:2:VERBOSE1:net/base/network_delegate.cc:38] NotifyBeforeURLRequest: https://accounts.google.com/ListAccounts?gpsia=1",
      "[1:2:VERBOSE1:net/base/network_delegate.cc:38] NotifyBeforeURLRequest: file:///tmp/report.html",
      "[1:2:VERBOSE1:net/base/network_delegate.cc:38] NotifyBeforeURLRequest: https://fonts.googleapis.com/css2?family=Inter",
    ].join("\n");
    expect(pageRequestsFromLog(log)).toEqual(["https://fonts.googleapis.com/css2?family=Inter"]);
  });
});

describe("report.html in headless Chromium", () => {
  let dir = "";
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "certfleet-html-"));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it.runIf(hasChromium)("renders the sample report to a plausible screenshot without any network request", async () => {
    const htmlPath = join(dir, "report.html");
    const pngPath = join(dir, "report.png");
    await writeFile(htmlPath, renderHtml(sampleReport));
    const result = await screenshotReport({ htmlPath, pngPath });
    expect(result.problem).toBeUndefined();
    expect(result.ok).toBe(true);
    expect(result.pageRequests).toEqual([]);
    const png = await readFile(pngPath);
    expect(pngSize(png)).toEqual({ width: 1280, height: 2000 });
    // a blank 1280x2000 page compresses to a few kB; the rendered report is far larger
    expect(png.length).toBeGreaterThan(50_000);
  });

  it.runIf(hasChromium)("renders a rollout with failures (remedies, next commands) without any network request", async () => {
    const htmlPath = join(dir, "rollout.html");
    const pngPath = join(dir, "rollout.png");
    await writeFile(htmlPath, renderHtml(rolloutWithFailures));
    const result = await screenshotReport({ htmlPath, pngPath });
    expect(result.problem).toBeUndefined();
    expect(result.pageRequests).toEqual([]);
    expect((await readFile(pngPath)).length).toBeGreaterThan(50_000);
  });

  it.runIf(hasChromium)("notices a page that fetches something (the network check is live)", async () => {
    const htmlPath = join(dir, "leaky.html");
    await writeFile(htmlPath, '<!DOCTYPE html><p>leak</p><img src="http://127.0.0.1:9/probe.png">');
    const result = await screenshotReport({ htmlPath, pngPath: join(dir, "leaky.png"), staticCheck: false });
    expect(result.ok).toBe(false);
    expect(result.pageRequests).toEqual(["http://127.0.0.1:9/probe.png"]);
  });
});
