/**
 * The plan in a few lines: identical changes grouped across hosts ("41 bindings on 12 hosts:
 * update to <thumb>"), the per-host commands left to `-v` and `--dry-run`. Pure.
 */
import { visibleControls } from "../report/format.js";
import type { ReportView } from "../report/view.js";

export interface ChangeGroup {
  /** the certificate the bindings use now */
  from: string;
  /** how the planner described it ("uses old *.example.com, expires 2026-12-05") */
  reason: string;
  bindings: number;
  hosts: string[];
}

/** Rebinds grouped by the certificate they move away from, biggest group first. */
export function changeGroups(report: ReportView): ChangeGroup[] {
  const groups = new Map<string, ChangeGroup>();
  for (const h of report.hosts) {
    if (h.status === "failed" || h.status === "needs-attention") continue;
    for (const b of h.bindings) {
      if (b.action !== "rebind" || b.certHash === null) continue;
      let g = groups.get(b.certHash);
      if (!g) groups.set(b.certHash, (g = { from: b.certHash, reason: b.reason ?? "", bindings: 0, hosts: [] }));
      g.bindings++;
      if (!g.hosts.includes(h.name)) g.hosts.push(h.name);
    }
  }
  return [...groups.values()].sort((a, b) => b.bindings - a.bindings);
}

export function renderChangeGroups(report: ReportView): string[] {
  const to = report.target?.newThumbprint;
  const groups = changeGroups(report);
  if (groups.length === 0) return ["  no binding to rebind on the hosts that can be changed"];
  const lines: string[] = [];
  const n = (k: number, what: string) => `${k} ${what}${k === 1 ? "" : "s"}`;
  for (const g of groups) {
    lines.push(`  ${n(g.bindings, "binding")} on ${n(g.hosts.length, "host")}: update to ${to ?? "the new certificate"}`);
    const from = g.reason.replace(/^uses old /, "");
    lines.push(`    from ${g.from}`);
    if (from && from !== g.from) lines.push(`         ${visibleControls(from)}`);
  }
  return lines;
}
