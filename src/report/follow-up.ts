/**
 * What the Markdown and HTML reports list before the hosts: the hosts that need attention and
 * every host with a remedy, with the run's next commands. Gathered in one pass over the hosts,
 * keeping only the few fields those lists print, so the hosts can be a sequence read from the
 * results file (./view.ts) and the lists still come before the hosts' own sections. Pure.
 */
import type { HostStatus, ReportHost, ReportRemedy } from "./schema.js";

export interface FollowUp {
  /** needs-attention hosts, in report order, with their error's message when they have one */
  attention: Array<{ name: string; message?: string }>;
  /** hosts with a remedy (failed or needs-attention), in report order */
  remedies: Array<{ name: string; status: HostStatus; cause: string; fix?: string }>;
  /** the first remedy's next commands (every host's are the same: they name all the failed hosts) */
  next: ReportRemedy["next"];
}

export function followUp(hosts: Iterable<ReportHost>): FollowUp {
  const out: FollowUp = { attention: [], remedies: [], next: [] };
  for (const h of hosts) {
    if (h.status === "needs-attention") out.attention.push({ name: h.name, ...(h.error ? { message: h.error.message } : {}) });
    if (h.remedy === undefined) continue;
    if (out.remedies.length === 0) out.next = h.remedy.next;
    out.remedies.push({ name: h.name, status: h.status, cause: h.remedy.cause, ...(h.remedy.fix !== undefined ? { fix: h.remedy.fix } : {}) });
  }
  return out;
}

/**
 * What a host leaves to the owners of its bindings (AD FS, WAP, SSTP, Exchange): the owners, and
 * their commands once each (a farm's commands are the same for each of its bindings).
 */
export function leftToOwners(h: Pick<ReportHost, "consumers">): { owners: string[]; commands: string[] } {
  const managed = (h.consumers ?? []).filter((c) => c.action === "owner-managed");
  return {
    owners: [...new Set(managed.map((c) => c.owner))],
    commands: [...new Set(managed.flatMap((c) => (c.manualCommand ? [c.manualCommand] : [])))],
  };
}
