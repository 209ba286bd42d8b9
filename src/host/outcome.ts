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
import { JournaledMove } from "../journal/record.js";
import { TransportKind } from "../inventory/schema.js";

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

/**
 * One consumer of a certificate beyond the http.sys bindings (the WinRM listener's own setting,
 * the RDP and WMSvc registry values, a key grant) or an owner-managed binding left to its owner:
 * as discovery read it, and what a step did with it.
 */
export const ConsumerRow = z.object({
  /** iis, winrm-https, wmsvc, rdp, adfs, wap, sstp, exchange, none; `key` for a key grant */
  owner: z.string(),
  source: z.enum(["binding", "winrm-listener", "registry", "key"]),
  /** `Listener?Address=*+Transport=HTTPS`, `RDP-Tcp\SSLCertificateSHA1Hash`, `0.0.0.0:49443`, `S-1-5-20 on <thumbprint>` */
  name: z.string(),
  /** the certificate it names as read (null: none) */
  certHash: Thumbprint.nullable(),
  /** netsh | with-owner-setting | owner-setting | owner-managed | grant */
  handling: z.string().optional(),
  /** moved (changed by a step), restored (put back), failed, none (left), owner-managed (left to its owner: needs attention) */
  action: z.enum(["moved", "restored", "failed", "none", "owner-managed"]).optional(),
  before: z.string().nullable().optional(),
  after: z.string().nullable().optional(),
  reason: z.string().optional(),
  /** the owner's command (owner-managed), or what to run by hand when a restore failed */
  manualCommand: z.string().optional(),
  /** the RDP listener's handshake */
  proof: TlsProof.optional(),
  /** the change a step made (what its undo puts back); internal, not reported */
  move: JournaledMove.optional(),
});
export type ConsumerRow = z.infer<typeof ConsumerRow>;

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
  /** how the host was reached (set by the visit; absent for a host never contacted) */
  transport: TransportKind.optional(),
  status: HostStatus,
  wave: z.number().int().nonnegative().optional(),
  durationMs: z.number().nonnegative(),
  /** the typed error (kind, message, remote text) when the host failed or needs attention. */
  error: z.instanceof(CertfleetError).optional(),
  certificates: z.array(Certificate).optional(),
  bindings: z.array(BindingOutcome),
  /** the certificate's other consumers (discover, verify) and what the consumer steps did (rollout, rollback). */
  consumers: z.array(ConsumerRow).optional(),
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
