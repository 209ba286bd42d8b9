import { z } from "zod";
import { Binding } from "../model/binding.js";
import { Certificate } from "../model/certificate.js";
import { ErrorKind } from "../model/errors.js";
import { Thumbprint } from "../model/thumbprint.js";

/** report.json: the contract in DESIGN.md. Extend it, never break it; bump schemaVersion if you must. */

export const HostStatus = z.enum(["ok", "changed", "unchanged", "failed", "halted", "needs-attention"]);
export type HostStatus = z.infer<typeof HostStatus>;

export const BindingAction = z.enum(["rebind", "none", "restored", "failed"]);
export type BindingAction = z.infer<typeof BindingAction>;

export const VerifyResult = z.object({
  ok: z.boolean(),
  /** true when the endpoint could not be checked (e.g. `[::]` with no IPv6 address known). */
  skipped: z.boolean().optional(),
  servedThumbprint: Thumbprint.optional(),
  expectedThumbprint: Thumbprint.optional(),
  /** the address:port the handshake went to, and the SNI name sent. */
  target: z.string().optional(),
  serverName: z.string().optional(),
  notAfter: z.string().optional(),
  sniCovered: z.boolean().optional(),
  chainComplete: z.boolean().optional(),
  attempts: z.number().int().optional(),
  error: z.string().optional(),
});
export type VerifyResult = z.infer<typeof VerifyResult>;

export const ReportError = z.object({
  kind: ErrorKind,
  message: z.string(),
  remote: z.string().optional(),
});
export type ReportError = z.infer<typeof ReportError>;

export const ReportBinding = Binding.extend({
  before: Binding.optional(),
  after: Binding.optional(),
  action: BindingAction.optional(),
  /** why the planner chose the action ("uses old *.example.com, expires 2026-12-05"). */
  reason: z.string().optional(),
  /** scope relative to the target certificates: new, old (to be replaced), or unrelated. */
  scope: z.enum(["new", "old", "unrelated", "none"]).optional(),
  verify: VerifyResult.optional(),
  /** what to run by hand when certfleet could not restore this binding. */
  manualCommand: z.string().optional(),
});
export type ReportBinding = z.infer<typeof ReportBinding>;

/** What to run next once the cause is fixed: re-run the failed hosts, resume, or roll back. */
export const ReportNextStep = z.object({
  /** when to take this step, in words */
  when: z.string(),
  /** the command, ready to paste */
  run: z.string(),
});
export type ReportNextStep = z.infer<typeof ReportNextStep>;

/** A failed or needs-attention host's likely cause in plain words, the fix, and the next command. */
export const ReportRemedy = z.object({
  cause: z.string(),
  fix: z.string().optional(),
  next: z.array(ReportNextStep),
});
export type ReportRemedy = z.infer<typeof ReportRemedy>;
/**
 * One consumer of a certificate beyond the http.sys binding rows: the WinRM listener's own
 * setting, the RDP and WMSvc registry values, a key grant by SID, or an owner-managed binding
 * left to its owner (action `owner-managed`: needs attention, `manualCommand` is the owner's
 * command). discover and verify list what they read; rollout and rollback what they did.
 */
export const ReportConsumer = z.object({
  owner: z.string(),
  source: z.enum(["binding", "winrm-listener", "registry", "key"]),
  name: z.string(),
  certHash: Thumbprint.nullable(),
  handling: z.string().optional(),
  action: z.enum(["moved", "restored", "failed", "none", "owner-managed"]).optional(),
  before: z.string().nullable().optional(),
  after: z.string().nullable().optional(),
  reason: z.string().optional(),
  manualCommand: z.string().optional(),
  verify: VerifyResult.optional(),
});
export type ReportConsumer = z.infer<typeof ReportConsumer>;

export const ReportHost = z.object({
  name: z.string(),
  address: z.string(),
  /** how certfleet reached the host (absent in reports written before WinRM: ssh). */
  transport: z.enum(["ssh", "winrm"]).optional(),
  status: HostStatus,
  wave: z.number().int().nonnegative().optional(),
  durationMs: z.number().nonnegative(),
  error: ReportError.optional(),
  /** failed and needs-attention hosts: what probably went wrong, what to do, what to run next. */
  remedy: ReportRemedy.optional(),
  certificates: z.array(Certificate).optional(),
  bindings: z.array(ReportBinding),
  /** the certificate's other consumers (see ReportConsumer). */
  consumers: z.array(ReportConsumer).optional(),
  warnings: z.array(z.string()).optional(),
  /** exact remote commands, in order (dry-run and plan). */
  commands: z.array(z.string()).optional(),
  /**
   * Present when the host's connection dropped (or a read timed out) and certfleet carried on:
   * reads sent again, connections re-opened, and the milliseconds lost to both.
   */
  network: z
    .object({ retries: z.number().int().nonnegative(), reconnects: z.number().int().nonnegative(), lostMs: z.number().nonnegative() })
    .optional(),
});
export type ReportHost = z.infer<typeof ReportHost>;

export const ReportCommand = z.enum(["discover", "plan", "rollout", "verify", "rollback", "demo"]);
export type ReportCommand = z.infer<typeof ReportCommand>;

export const ReportSummary = z.object({
  hosts: z.number().int().nonnegative(),
  ok: z.number().int().nonnegative(),
  changed: z.number().int().nonnegative(),
  unchanged: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  halted: z.number().int().nonnegative(),
  needsAttention: z.number().int().nonnegative(),
});
export type ReportSummary = z.infer<typeof ReportSummary>;

export const Report = z.object({
  schemaVersion: z.literal(1),
  tool: z.literal("certfleet"),
  command: ReportCommand,
  startedAt: z.string(),
  finishedAt: z.string(),
  /** the certificate rolled out or expected, and the ones it replaces (rollout, plan, verify). */
  target: z
    .object({
      newThumbprint: Thumbprint,
      oldThumbprints: z.array(Thumbprint),
      subject: z.string().optional(),
      /** the new certificate's DNS names (SAN), from the certificate file when one was given. */
      dnsNames: z.array(z.string()).optional(),
      notBefore: z.string().optional(),
      notAfter: z.string().optional(),
      /** where subject, names and dates come from: the certificate file, or the hosts' stores. */
      describedBy: z.enum(["file", "hosts"]).optional(),
    })
    .optional(),
  dryRun: z.boolean().optional(),
  summary: ReportSummary,
  hosts: z.array(ReportHost),
  /** hosts the run was not asked to touch (rollback -l: the journal's other hosts); not in `hosts`. */
  skippedHosts: z.array(z.string()).optional(),
});
export type Report = z.infer<typeof Report>;

export function summarize(hosts: readonly ReportHost[]): ReportSummary {
  const count = (s: HostStatus) => hosts.filter((h) => h.status === s).length;
  return {
    hosts: hosts.length,
    ok: count("ok"),
    changed: count("changed"),
    unchanged: count("unchanged"),
    failed: count("failed"),
    halted: count("halted"),
    needsAttention: count("needs-attention"),
  };
}

/**
 * The report's `target` block. With the default `--old` every host decides which of its
 * certificates are old; the report lists the union of what the hosts found, so the change record
 * names every certificate that was replaced.
 */
export function reportTarget(target: ReportTargetInput, hosts: readonly ReportHost[]): NonNullable<Report["target"]> {
  const found = hosts.flatMap((h) => h.bindings.filter((b) => b.scope === "old" && b.certHash !== null).map((b) => b.certHash!));
  const oldThumbprints = [...new Set([...target.oldThumbprints, ...found])];
  const c = target.newCert;
  return {
    newThumbprint: c.thumbprint,
    oldThumbprints,
    ...(c.subject ? { subject: c.subject } : {}),
    ...(c.dnsNames && c.dnsNames.length > 0 ? { dnsNames: [...c.dnsNames] } : {}),
    ...(c.notBefore ? { notBefore: c.notBefore } : {}),
    ...(c.notAfter ? { notAfter: c.notAfter } : {}),
    ...(c.describedBy ? { describedBy: c.describedBy } : {}),
  };
}

/** What a run knows of its target: the new certificate (as described so far) and the `--old` given. */
export interface ReportTargetInput {
  newCert: {
    thumbprint: string;
    subject?: string;
    dnsNames?: readonly string[];
    notBefore?: string;
    notAfter?: string;
    describedBy?: "file" | "hosts";
  };
  oldThumbprints: readonly string[];
}

/** The report envelope every command writes: the contract's fixed fields, the summary derived from the hosts. */
export function buildReport(
  command: ReportCommand,
  startedAt: string,
  finishedAt: string,
  hosts: ReportHost[],
  target?: ReportTargetInput,
): Report {
  return {
    schemaVersion: 1,
    tool: "certfleet",
    command,
    startedAt,
    finishedAt,
    ...(target ? { target: reportTarget(target, hosts) } : {}),
    summary: summarize(hosts),
    hosts,
  };
}
