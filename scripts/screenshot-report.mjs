#!/usr/bin/env node
// Renders a certfleet report.html in headless Chromium, saves a screenshot, and fails when the
// page references or requests anything outside the file itself.
//
//   node scripts/screenshot-report.mjs REPORT.html [SHOT.png] [--chromium PATH] [--no-static-check]
//
// Two independent checks:
//  1. static: no src/href/srcset/... attribute pointing anywhere but `#...` or `data:`, no CSS
//     url() to anything but `#...`/`data:`, no @import, no <script>/<link>/<iframe>/<base>/... tag;
//  2. dynamic: Chromium runs with --enable-logging=stderr --v=1; every URL request it logs
//     (NotifyBeforeURLRequest) that is not file:, data:, about: or chrome: and not one of
//     Chromium's own background calls (listed below) is a request made by the page.
// Chromium is pointed at a dead loopback proxy and a resolver that resolves nothing, so even its
// own background calls never leave the machine.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

export const DEFAULT_CHROMIUM = "/usr/bin/chromium";

/** Requests the browser itself makes whatever page it shows (component updater, account check). */
const CHROMIUM_OWN_REQUESTS = [
  /^https?:\/\/update\.googleapis\.com\/service\/update2\//,
  /^https?:\/\/clients2\.google\.com\/time\//,
  /^https?:\/\/accounts\.google\.com\/ListAccounts\?/,
  /^https?:\/\/clients2\.google\.com\/service\/update2\//,
];

const LOCAL_SCHEMES = /^(?:file|data|about|chrome|chrome-untrusted|devtools|blob):/i;

const URL_ATTRIBUTES = new Set([
  "src", "href", "srcset", "poster", "action", "formaction", "data", "background", "xlink:href",
  "ping", "manifest", "codebase", "cite", "longdesc", "lowsrc", "dynsrc", "imagesrcset",
]);

const FORBIDDEN_TAGS = /^(?:script|link|iframe|frame|object|embed|base|portal|applet|audio|video|source|track)$/i;

/** Returns one line per external reference found in `html`; empty when the page is self-contained. */
export function findExternalReferences(html) {
  const findings = [];
  const tagRe = /<([a-zA-Z][a-zA-Z0-9:-]*)((?:[^>"']|"[^"]*"|'[^']*')*)>/g;
  const attrRe = /([^\s=/>]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g;
  for (const tag of html.matchAll(tagRe)) {
    const name = tag[1] ?? "";
    const attrs = tag[2] ?? "";
    if (FORBIDDEN_TAGS.test(name)) findings.push(`<${name}> tag`);
    for (const a of attrs.matchAll(attrRe)) {
      const attr = (a[1] ?? "").toLowerCase();
      const value = decodeEntities(a[2] ?? a[3] ?? a[4] ?? "").trim();
      if (URL_ATTRIBUTES.has(attr) && value !== "" && !value.startsWith("#") && !/^data:/i.test(value)) {
        findings.push(`<${name} ${attr}="${value}">`);
      }
      if (attr === "style") findings.push(...cssReferences(value).map((f) => `<${name} style>: ${f}`));
      if (attr === "http-equiv" && /refresh/i.test(value)) findings.push(`<${name} http-equiv="refresh">`);
    }
  }
  for (const style of html.matchAll(/<style[^>]*>([\s\S]*?)<\/style>/gi)) {
    findings.push(...cssReferences(style[1] ?? "").map((f) => `<style>: ${f}`));
  }
  return findings;
}

function cssReferences(css) {
  const findings = [];
  if (/@import/i.test(css)) findings.push("@import");
  for (const m of css.matchAll(/url\(\s*(["']?)([^)"']*)\1\s*\)/gi)) {
    const target = (m[2] ?? "").trim();
    if (!target.startsWith("#") && !/^data:/i.test(target)) findings.push(`url(${target})`);
  }
  return findings;
}

function decodeEntities(text) {
  return text
    .replace(/&#x([0-9a-f]+);/gi, (_, h) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#([0-9]+);/g, (_, d) => String.fromCodePoint(Number(d)))
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&apos;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

/** URLs Chromium logged as requested that neither are local nor are Chromium's own background calls. */
export function pageRequestsFromLog(log) {
  const urls = [];
  for (const m of log.matchAll(/NotifyBeforeURLRequest: (\S+)/g)) {
    const url = m[1] ?? "";
    if (LOCAL_SCHEMES.test(url)) continue;
    if (CHROMIUM_OWN_REQUESTS.some((re) => re.test(url))) continue;
    urls.push(url);
  }
  return [...new Set(urls)];
}

/** Screenshot `htmlPath` into `pngPath`; resolves with what it found, never throws for findings. */
export async function screenshotReport({ htmlPath, pngPath, chromium = DEFAULT_CHROMIUM, staticCheck = true, timeoutMs = 90_000 }) {
  const html = await readFile(htmlPath, "utf8");
  const staticFindings = staticCheck ? findExternalReferences(html) : [];
  if (!existsSync(chromium)) {
    return { ok: false, problem: `Chromium not found at ${chromium} (apt-get install -y chromium)`, staticFindings, pageRequests: [] };
  }
  const profile = await mkdtemp(join(tmpdir(), "certfleet-chromium-"));
  const args = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-extensions",
    "--disable-default-apps",
    "--no-pings",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--disable-features=NetworkTimeServiceQuerying,OptimizationHints,MediaRouter,Translate,AutofillServerCommunication",
    // Nothing leaves the machine: a proxy on the discard port and a resolver that resolves nothing.
    "--proxy-server=http://127.0.0.1:9",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--enable-logging=stderr",
    "--v=1",
    `--user-data-dir=${profile}`,
    `--screenshot=${resolve(pngPath)}`,
    "--window-size=1280,2000",
    pathToFileURL(resolve(htmlPath)).href,
  ];
  try {
    const { code, log } = await run(chromium, args, timeoutMs);
    const pageRequests = pageRequestsFromLog(log);
    const bytes = existsSync(pngPath) ? (await stat(pngPath)).size : 0;
    const problems = [];
    if (code !== 0) problems.push(`chromium exited with ${code}`);
    if (bytes === 0) problems.push("no screenshot written");
    if (staticFindings.length) problems.push(`external references: ${staticFindings.join("; ")}`);
    if (pageRequests.length) problems.push(`network requests: ${pageRequests.join(" ")}`);
    return { ok: problems.length === 0, problem: problems.join("\n") || undefined, pngPath, bytes, staticFindings, pageRequests };
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
}

function run(command, args, timeoutMs) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    const chunks = [];
    child.stdout.on("data", (c) => chunks.push(c));
    child.stderr.on("data", (c) => chunks.push(c));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? `signal ${signal}`, log: Buffer.concat(chunks).toString("utf8") });
    });
  });
}

async function main(argv) {
  const positional = [];
  let chromium = DEFAULT_CHROMIUM;
  let staticCheck = true;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (arg === "--chromium") chromium = argv[++i] ?? DEFAULT_CHROMIUM;
    else if (arg === "--no-static-check") staticCheck = false;
    else positional.push(arg);
  }
  const [htmlPath, pngArg] = positional;
  if (!htmlPath) {
    process.stderr.write("usage: node scripts/screenshot-report.mjs REPORT.html [SHOT.png] [--chromium PATH] [--no-static-check]\n");
    return 2;
  }
  const pngPath = pngArg ?? htmlPath.replace(/\.html?$/i, "") + ".png";
  const result = await screenshotReport({ htmlPath, pngPath, chromium, staticCheck });
  process.stdout.write(`${JSON.stringify(result)}\n`);
  if (!result.ok) process.stderr.write(`screenshot-report: ${result.problem}\n`);
  return result.ok ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`screenshot-report: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
