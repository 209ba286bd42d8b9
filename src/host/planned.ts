/**
 * A plan as a host's outcome shows it: the error that blocks a host, the binding rows, and the
 * exact commands a rollout would send (`plan`, `--dry-run`). Pure.
 */
import { CertfleetError } from "../model/errors.js";
import type { BindingOutcome } from "./outcome.js";
import { addBindingCommand, deleteBindingCommand, showBindingCommand, updateBindingCommand } from "../windows/commands.js";
import type { HostPlan } from "../plan/schema.js";

export function planError(plan: HostPlan, host: string): CertfleetError | undefined {
  const blocking = plan.findings.filter((f) => f.blocking);
  if (blocking.length === 0) return undefined;
  const kind = blocking.some((f) => f.code === "not-elevated") ? "elevation" : "precondition";
  return new CertfleetError(kind, blocking.map((f) => f.message).join("; "), host);
}

export function plannedRows(plan: HostPlan): BindingOutcome[] {
  return plan.bindings.map((p) => ({ ...p.current, action: p.action, reason: p.reason, scope: p.scope }));
}

/** The exact commands a rollout would send for this plan, in order (`--dry-run`). */
export function dryRunCommands(plan: HostPlan, shell: "cmd" | "powershell", host: string): string[] {
  const cmds: string[] = [];
  for (const p of plan.bindings) {
    if (p.action !== "rebind" || !p.desired) continue;
    cmds.push(showBindingCommand(shell, p.current, host));
    cmds.push(updateBindingCommand(shell, p.desired, host));
    // A binding `add` cannot re-create (an update-only setting) is left alone where update is
    // missing, exactly as changeBinding does: list that, not a command the rollout would refuse.
    let fallback: string[];
    try {
      fallback = [deleteBindingCommand(shell, p.current, host), addBindingCommand(shell, p.desired, host)];
    } catch (err) {
      fallback = [`left as it is: ${err instanceof Error ? err.message : String(err)}`];
    }
    for (const line of fallback) cmds.push(`(where update is missing, e.g. 2012 R2) ${line}`);
    cmds.push(showBindingCommand(shell, p.current, host));
  }
  return cmds;
}
