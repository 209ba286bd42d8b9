import { groupBy } from "../lib/group-by.js";
import { bindingKey } from "../model/binding.js";
import type { BindingOutcome } from "./outcome.js";

/**
 * A host's binding rows from all its steps, one row a binding (pure). Each step reports every
 * binding it looked at, so a binding another step moves (the WinRM listener's 5986 binding, moved
 * with the listener by the owners step) comes once as `none` from the rebind step and once as
 * moved from the owners step. The row of the step that acted on it is kept, where the binding first
 * appeared; rows that all say `none` keep the first. Two steps that both acted keep both rows: that
 * is never hidden.
 */
export function oneRowPerBinding(rows: readonly BindingOutcome[]): BindingOutcome[] {
  const acted = (r: BindingOutcome) => r.action !== undefined && r.action !== "none";
  const out: BindingOutcome[] = [];
  for (const same of groupBy(rows, bindingKey).values()) {
    const acting = same.filter(acted);
    out.push(...(acting.length > 0 ? acting : [same[0]!]));
  }
  return out;
}
