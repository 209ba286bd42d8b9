import { z } from "zod";
import { Binding } from "../model/binding.js";
import { Thumbprint } from "../model/thumbprint.js";

export const FindingCode = z.enum([
  "not-elevated",
  "new-cert-absent",
  "new-cert-superseded",
  "new-cert-no-private-key",
  "new-cert-private-key-unknown",
  "new-cert-expired",
  "new-cert-not-yet-valid",
  "sni-not-covered",
  "binding-not-recreatable",
  "binding-unreadable",
  "store-not-read",
  "original-cert-absent",
]);
export type FindingCode = z.infer<typeof FindingCode>;

export const Finding = z.object({
  code: FindingCode,
  /** a blocking finding keeps certfleet from changing anything on the host. */
  blocking: z.boolean(),
  message: z.string(),
  endpoint: z.string().optional(),
});
export type Finding = z.infer<typeof Finding>;

export const PlannedBinding = z.object({
  current: Binding,
  action: z.enum(["rebind", "none"]),
  scope: z.enum(["new", "old", "unrelated", "none"]),
  reason: z.string(),
  /** the binding as it must read after the change (same everything, new hash). */
  desired: Binding.optional(),
});
export type PlannedBinding = z.infer<typeof PlannedBinding>;

export const HostPlan = z.object({
  host: z.string(),
  /** rebind: at least one binding changes; unchanged: nothing to do; blocked: a blocking finding. */
  outcome: z.enum(["rebind", "unchanged", "blocked"]),
  oldThumbprints: z.array(Thumbprint),
  findings: z.array(Finding),
  bindings: z.array(PlannedBinding),
});
export type HostPlan = z.infer<typeof HostPlan>;
