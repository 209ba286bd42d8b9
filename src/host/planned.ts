/**
 * A plan as a host's outcome shows it: the error that blocks a host, the binding rows, and the
 * commands the per-binding protocol sends for it (`plan`, `--dry-run`). Pure.
 */
import { CertfleetError } from "../model/errors.js";
import type { BindingOutcome } from "./outcome.js";
import type { HostPlan } from "../plan/schema.js";
import type { RemoteShell } from "../model/host-state.js";
import type { HostCapabilities } from "../session/host-session.js";
import { plannedChange } from "./change-binding.js";

export function planError(plan: HostPlan, host: string): CertfleetError | undefined {
  const blocking = plan.findings.filter((f) => f.blocking);
  if (blocking.length === 0) return undefined;
  const kind = blocking.some((f) => f.code === "not-elevated") ? "elevation" : "precondition";
  return new CertfleetError(kind, blocking.map((f) => f.message).join("; "), host);
}

export function plannedRows(plan: HostPlan): BindingOutcome[] {
  return plan.bindings.map((p) => ({ ...p.current, action: p.action, reason: p.reason, scope: p.scope }));
}

/**
 * What `applyHostPlan` (the per-binding protocol) sends for this plan when all goes as planned:
 * per binding, read, change, read back (host/change-binding.ts plannedChange); nothing after a
 * binding it would refuse.
 */
export function plannedPerBinding(plan: HostPlan, shell: RemoteShell, update: HostCapabilities["update"], host: string): string[] {
  const commands: string[] = [];
  for (const p of plan.bindings) {
    if (p.action !== "rebind" || !p.desired) continue;
    const one = plannedChange(shell, p.current, p.desired, update, host);
    commands.push(...one.commands);
    if (one.refused !== undefined) break;
  }
  return commands;
}
