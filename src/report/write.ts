import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { renderHtml } from "./html.js";
import { renderJson } from "./json.js";
import { renderJunit } from "./junit.js";
import { renderMarkdown } from "./markdown.js";
import type { Report } from "./schema.js";

export type ReportFormat = "json" | "md" | "html" | "junit";

const WRITERS: Record<ReportFormat, { file: string; render: (r: Report) => string }> = {
  json: { file: "report.json", render: renderJson },
  md: { file: "report.md", render: renderMarkdown },
  html: { file: "report.html", render: renderHtml },
  junit: { file: "junit.xml", render: renderJunit },
};

const ALL_FORMATS: readonly ReportFormat[] = ["json", "md", "html", "junit"];

/**
 * Renders every format first and writes only when all succeeded, so an invalid report leaves no
 * half-written directory behind. Files are 0644 whatever the umask: reports hold no secrets and
 * are meant to be shared (the journal, which is 0600, is written elsewhere).
 */
export async function writeReports(
  dir: string,
  report: Report,
  options: { formats?: ReportFormat[] } = {},
): Promise<{ files: string[] }> {
  const formats = ALL_FORMATS.filter((f) => (options.formats ?? ALL_FORMATS).includes(f));
  const rendered = formats.map((f) => ({ path: join(dir, WRITERS[f].file), content: WRITERS[f].render(report) }));
  await mkdir(dir, { recursive: true });
  for (const { path, content } of rendered) {
    await writeFile(path, content, { encoding: "utf8", mode: 0o644 });
    await chmod(path, 0o644);
  }
  return { files: rendered.map((r) => r.path) };
}

/** `./certfleet-out/20260320-140742-rollout`, in local time: the operator reads it in a file list. */
export function defaultOutDir(command: string, now: Date): string {
  const p = (n: number): string => String(n).padStart(2, "0");
  const stamp =
    `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-` + `${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  const safeCommand = command.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "") || "run";
  return `./certfleet-out/${stamp}-${safeCommand}`;
}
