/**
 * What stops a host before any step runs. A step blocked only because the new certificate's key
 * cannot be read yet is not a stop when a delivery earlier in the run imports that certificate:
 * rollout-host plans the later steps again once the import is done (plan says so as a note).
 */
import type { CertfleetError } from "../model/errors.js";
import { NEW_KEY_UNREADABLE } from "../plan/consumer-moves.js";
import type { PlannedStep } from "./step.js";

export interface StepBlocks {
  /** the first block that stops the host now, if any */
  blocked: CertfleetError | undefined;
  /** index of the step that delivers the certificate in this run, or -1 */
  delivering: number;
  /** some step waits for the delivered certificate's key */
  waitsForDelivery: boolean;
}

export function stepBlocks(plans: readonly PlannedStep[]): StepBlocks {
  const delivering = plans.findIndex((p) => p.stateAfter !== undefined && !p.unchanged);
  const deferred = (p: PlannedStep, i: number) => delivering >= 0 && i > delivering && p.blocked?.message.includes(NEW_KEY_UNREADABLE) === true;
  return {
    blocked: plans.find((p, i) => p.blocked && !deferred(p, i))?.blocked,
    delivering,
    waitsForDelivery: plans.some(deferred),
  };
}
