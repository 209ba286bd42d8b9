import { rmSync } from "node:fs";
import { chmod, mkdir, open, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { htmlChunks } from "./html.js";
import { jsonChunks } from "./json.js";
import { junitChunks } from "./junit.js";
import { markdownChunks } from "./markdown.js";
import type { ReportView } from "./view.js";

export type ReportFormat = "json" | "md" | "html" | "junit";

const WRITERS: Record<ReportFormat, { file: string; chunks: (r: ReportView) => Iterable<string> }> = {
  json: { file: "report.json", chunks: jsonChunks },
  md: { file: "report.md", chunks: markdownChunks },
  html: { file: "report.html", chunks: htmlChunks },
  junit: { file: "junit.xml", chunks: junitChunks },
};

const ALL_FORMATS: readonly ReportFormat[] = ["json", "md", "html", "junit"];

/**
 * Written to disk in blocks of about this many characters: a report is never one string in memory.
 * Kept well under V8's large-object size (about 128 KB), so a block is young garbage that the
 * next scavenge takes, not old-space garbage that waits for a full collection: with 256 KB
 * blocks a 3,000-host verify peaked 40 MB higher.
 */
const BLOCK = 32 * 1024;

/**
 * Writes each format a host at a time into a `.partial` file and renames them into place only
 * when all succeeded, so an invalid report leaves no half-written directory behind (a folder this
 * call created is removed again). Files are 0644 whatever the umask: reports hold no secrets and
 * are meant to be shared (the journal, which is 0600, is written elsewhere).
 */
export async function writeReports(
  dir: string,
  report: ReportView,
  options: { formats?: ReportFormat[] } = {},
): Promise<{ files: string[] }> {
  const formats = ALL_FORMATS.filter((f) => (options.formats ?? ALL_FORMATS).includes(f));
  const files = formats.map((f) => join(dir, WRITERS[f].file));
  const created = await mkdir(dir, { recursive: true });
  const partials: string[] = [];
  // A second Ctrl-C exits at once (src/cli/interrupt.ts): no half-written file is left behind then either.
  const onExit = () => {
    for (const p of partials) rmSync(p, { force: true });
  };
  process.once("exit", onExit);
  try {
    for (const [i, f] of formats.entries()) {
      const partial = `${files[i]!}.partial`;
      partials.push(partial);
      await writeChunks(partial, WRITERS[f].chunks(report));
    }
  } catch (e) {
    await Promise.all(partials.map((p) => rm(p, { force: true })));
    if (created !== undefined) await rm(created, { recursive: true, force: true });
    throw e;
  } finally {
    process.removeListener("exit", onExit);
  }
  for (const [i, partial] of partials.entries()) await rename(partial, files[i]!);
  return { files };
}

/** Text chunks to a new 0644 file, gathered into blocks so that a small chunk is not a write of its own. */
async function writeChunks(path: string, chunks: Iterable<string>): Promise<void> {
  const file = await open(path, "w", 0o644);
  try {
    let block: string[] = [];
    let size = 0;
    for (const chunk of chunks) {
      block.push(chunk);
      size += chunk.length;
      if (size >= BLOCK) {
        await file.write(block.join(""), null, "utf8");
        block = [];
        size = 0;
      }
    }
    if (size > 0) await file.write(block.join(""), null, "utf8");
  } finally {
    await file.close();
  }
  await chmod(path, 0o644);
}

/** `./certfleet-out/20260320-140742-rollout`, in local time: the operator reads it in a file list. */
export function defaultOutDir(command: string, now: Date): string {
  const p = (n: number): string => String(n).padStart(2, "0");
  const stamp =
    `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-` + `${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  const safeCommand = command.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "") || "run";
  return `./certfleet-out/${stamp}-${safeCommand}`;
}
