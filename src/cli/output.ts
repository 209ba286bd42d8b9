import { resolve } from "node:path";
import type { Report } from "../report/schema.js";
import { defaultOutDir, writeReports } from "../report/write.js";

export function outDirFor(out: string | undefined, command: string, now: Date): string {
  return resolve(out ?? defaultOutDir(command, now));
}

export async function publish(report: Report, dir: string, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<void> {
  const { files } = await writeReports(dir, report);
  log(`reports: ${files.join(", ")}`);
}

/** DESIGN.md's exit codes: 0 all fine, 1 a host failed or a verification mismatched, 3 halted by the budget. */
export function exitCodeFor(report: Report, halted = false): number {
  if (halted) return 3;
  return report.hosts.some((h) => h.status === "failed" || h.status === "needs-attention") ? 1 : 0;
}
