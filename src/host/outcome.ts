/**
 * What a run learned and did, host by host: the engine's result model. Runners return these;
 * the report contract (src/report/schema.ts) is written from them by one mapper at the edge
 * (src/report/from-outcomes.ts), so a change in here cannot silently change report.json.
 */
import { z } from "zod";
import { Binding } from "../model/binding.js";
import { Certificate } from "../model/certificate.js";
import { CertfleetError } from "../model/errors.js";
import { Thumbprint } from "../model/thumbprint.js";
import { NewCertificate } from "../certificate/target.js";
import { TlsProof } from "../verify/proof.js";

export const HostStatus = z.enum(["ok", "changed", "unchanged", "failed", "halted", "needs-attention"]);
export type HostStatus = z.infer<typeof HostStatus>;

/** What happened to one binding: moved, nothing, put back, or failed (see manualCommand). */
export const BindingAction = z.enum(["rebind", "none", "restored", "failed"]);
export type BindingAction = z.infer<typeof BindingAction>;

export const BindingScope = z.enum(["new", "old", "unrelated", "none"]);
export type BindingScope = z.infer<typeof BindingScope>;

/** One binding: as read (the Binding fields), what was planned for it, what the change did, the proof. */
export const BindingOutcome = Binding.extend({
  before: Binding.optional(),
  after: Binding.optional(),
  action: BindingAction.optional(),
  reason: z.string().optional(),
  scope: BindingScope.optional(),
  proof: TlsProof.optional(),
  /** what to run by hand when certfleet could not restore this binding. */
  manualCommand: z.string().optional(),
});
export type BindingOutcome = z.infer<typeof BindingOutcome>;

/** What a flaky network cost one host's visit: reads sent again, connections re-opened, time lost. */
export const NetworkCost = z.object({
  retries: z.number().int().nonnegative(),
  reconnects: z.number().int().nonnegative(),
  lostMs: z.number().nonnegative(),
});
export type NetworkCost = z.infer<typeof NetworkCost>;

export const HostOutcome = z.object({
  name: z.string(),
  address: z.string(),
  status: HostStatus,
  wave: z.number().int().nonnegative().optional(),
  durationMs: z.number().nonnegative(),
  /** the typed error (kind, message, remote text) when the host failed or needs attention. */
  error: z.instanceof(CertfleetError).optional(),
  certificates: z.array(Certificate).optional(),
  bindings: z.array(BindingOutcome),
  warnings: z.array(z.string()).optional(),
  /** exact remote commands, in order (dry-run and plan: to be sent; otherwise: sent). */
  commands: z.array(z.string()).optional(),
  /** present when the visit rode out dropped connections or timed-out reads. */
  network: NetworkCost.optional(),
});
export type HostOutcome = z.infer<typeof HostOutcome>;

export const RunCommand = z.enum(["discover", "plan", "rollout", "verify", "rollback"]);
export type RunCommand = z.infer<typeof RunCommand>;

/** One fleet command's run: when, for which certificate, and every host's outcome in inventory order. */
export const RunOutcome = z.object({
  command: RunCommand,
  startedAt: z.string(),
  finishedAt: z.string(),
  target: z
    .object({
      newCert: NewCertificate.pick({ thumbprint: true, subject: true }).merge(
        NewCertificate.pick({ dnsNames: true, notBefore: true, notAfter: true, source: true }).partial(),
      ),
      oldThumbprints: z.array(Thumbprint),
    })
    .optional(),
  dryRun: z.boolean().optional(),
  hosts: z.array(HostOutcome),
  /** hosts the command was not asked to touch (rollback -l: journal hosts not selected). */
  skipped: z.array(z.string()).optional(),
});
export type RunOutcome = z.infer<typeof RunOutcome>;
