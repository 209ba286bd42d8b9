import { resolve } from "node:path";
import type { ResolvedHost } from "../inventory/schema.js";
import type { Report } from "../report/schema.js";
import { defaultOutDir, writeReports } from "../report/write.js";

export function outDirFor(out: string | undefined, command: string, now: Date): string {
  return resolve(out ?? defaultOutDir(command, now));
}

/** The report with each host's transport named, from the inventory (pure). */
export function withTransports(report: Report, hosts: readonly Pick<ResolvedHost, "name" | "transport">[]): Report {
  const by = new Map(hosts.map((h) => [h.name, h.transport ?? "ssh"] as const));
  return { ...report, hosts: report.hosts.map((h) => (by.has(h.name) ? { ...h, transport: by.get(h.name)! } : h)) };
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
