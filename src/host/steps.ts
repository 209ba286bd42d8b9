/**
 * A host's rollout, step by step, in this order. A new step (import the PFX before the rebind,
 * move another consumer after it, retire the old certificate last) is a file in ./steps/ and
 * one line here; see src/host/step.ts for what a step must do.
 */
import { deliverStep } from "./steps/deliver.js";
import { rebindStep } from "./steps/rebind.js";
import { grantStep, ownersStep, rdpStep } from "./steps/consumers.js";
import type { JournalStep } from "../journal/record.js";
import type { HostStep } from "./step.js";

export const HOST_STEPS: readonly HostStep[] = [
  deliverStep, // import the PFX where the host lacks the certificate (rollout/deliver --new FILE.pfx)
  grantStep, // read on the new key, by SID, for every account that needs it
  rebindStep, // http.sys bindings that IIS or nobody owns
  ownersStep, // the WinRM HTTPS listener and WMSvc, each with its binding
  rdpStep, // the RDP listener's registry value
  // retire (next issues)
];

/** The step that wrote these journal records: it settles them on resume and restores them on rollback. */
export function stepOwning(journalStep: JournalStep): HostStep {
  const step = HOST_STEPS.find((s) => s.journalStep === journalStep);
  if (!step) throw new Error(`no host step owns journal records of step ${journalStep}`);
  return step;
}
