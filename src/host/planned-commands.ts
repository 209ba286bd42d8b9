/**
 * The exact command lines a rollout sends to one host after discovery, in order, when all goes
 * as planned: what `plan` and `rollout --dry-run` list (report.json `commands`, the printed
 * summary). Pure. Each step lists what its own `apply` sends, built by the same builders
 * (HostStep `commands`), and this file runs the steps as rollout-host.ts does: each planned
 * against the state the steps before it leave, and after a delivery the keys read again and the
 * later steps planned again, as rollout-host.ts does once the import is done.
 *
 * Read-only commands the rollout sends after discovery (the batched rebind's read-back, a
 * consumer's value read before and after its change, the keys read after a delivery) are listed
 * too: the list is everything the host receives. Discovery itself (and the key reads that
 * belong to it) is not: `plan` and the dry run send it themselves.
 *
 * What only the run itself knows is a marked placeholder: the staging folder's run id
 * (`<run id>`), the one-time password of an import (`[one-time password]`), and the key file of a
 * certificate the run delivers (`<key file of the delivered certificate>`).
 */
import type { Target } from "../certificate/target.js";
import type { HostState } from "../model/host-state.js";
import { keyAclReadCommand, keyLocationCommand } from "../windows/consumer-commands.js";
import { MACHINE_KEY_DIRS, WELL_KNOWN, type KeyLocation } from "../windows/key-acl-parse.js";
import { keysNeeded } from "./consumer-keys.js";
import { stepBlocks } from "./step-blocks.js";
import type { CommandContext, HostStep, PlannedStep } from "./step.js";

export interface StepPlanned {
  step: HostStep;
  plan: PlannedStep;
}

/** Each step planned against the state the steps before it leave (the rebind: after delivery). */
export function planSteps(from: HostState, steps: readonly HostStep[], target: Target, now: Date): StepPlanned[] {
  let after = from;
  return steps.map((step) => {
    const plan = step.plan(after, target, now);
    after = plan.stateAfter?.(after) ?? after;
    return { step, plan };
  });
}

export const DELIVERED_KEY_FILE = "<key file of the delivered certificate>";
const DELIVERED_KEY_ID = "<key id>";

/**
 * Stands for the key a delivery creates, whose container name only the import tells: a value
 * of the key grammar that no real key has (a unique name is an MD5 hash and the machine GUID),
 * replaced by the placeholder in every listed line.
 */
const DELIVERED_KEY: KeyLocation = { uniqueName: `${"0".repeat(32)}_00000000-0000-0000-0000-000000000000`, provider: "(the delivered key's provider)", storage: "csp" };

/** A freshly imported machine key: Administrators and SYSTEM only (what the grant step adds to). */
const FRESH_KEY_ACL = {
  object: DELIVERED_KEY_FILE,
  sddl: `D:PAI(A;;FA;;;SY)(A;;FA;;;BA)`,
  aces: [
    { type: "A", flags: "", rights: "FA", sid: WELL_KNOWN.system, inherited: false },
    { type: "A", flags: "", rights: "FA", sid: WELL_KNOWN.administrators, inherited: false },
  ],
};

function withPlaceholders(line: string): string {
  return line
    .split(`${MACHINE_KEY_DIRS[DELIVERED_KEY.storage]}\\${DELIVERED_KEY.uniqueName}`)
    .join(DELIVERED_KEY_FILE)
    .split(DELIVERED_KEY.uniqueName.slice(0, 32))
    .join(DELIVERED_KEY_ID);
}

/**
 * What host/consumer-keys.ts `withConsumerKeys` sends for the state a delivery leaves, and the
 * state it returns, with the delivered key's location a placeholder: the keys the rollout reads
 * once the import is done.
 */
function deliveredKeys(state: HostState, target: Target, ctx: CommandContext): { commands: string[]; state: HostState } {
  const wanted = keysNeeded(state, target);
  if (wanted.length === 0 || !state.consumers) return { commands: [], state };
  const commands: string[] = [];
  const keys: NonNullable<NonNullable<HostState["consumers"]>["keys"]> = {};
  for (const t of wanted) {
    commands.push(keyLocationCommand(t, ctx.host));
    const known = state.consumers.keys?.[t];
    const reading = t === target.newCert.thumbprint ? { ok: true as const, location: DELIVERED_KEY, acl: FRESH_KEY_ACL } : known;
    if (reading?.ok) commands.push(keyAclReadCommand(ctx.shell, reading.location, ctx.host));
    if (reading) keys[t] = reading;
  }
  return { commands, state: { ...state, consumers: { ...state.consumers, keys } } };
}

/**
 * The lines the rollout sends to this host after discovery, in order, when all goes as planned.
 * `state` is the host as discovered (with the keys discovery read); `planned` its steps planned
 * from it (planSteps). Empty for a host a block stops.
 */
export function plannedCommands(state: HostState, planned: readonly StepPlanned[], target: Target, now: Date, ctx: CommandContext): string[] {
  const { blocked, delivering } = stepBlocks(planned.map((p) => p.plan));
  if (blocked) return [];
  let steps = planned;
  const lines: string[] = [];
  for (let i = 0; i < steps.length; i++) {
    const { plan } = steps[i]!;
    // Still blocked once the delivery was planned again: the rollout stops here (and puts back what it did).
    if (plan.blocked) break;
    if (plan.unchanged) continue;
    lines.push(...plan.commands(ctx));
    if (i === delivering && plan.stateAfter) {
      const delivered = deliveredKeys(plan.stateAfter(state), target, ctx);
      lines.push(...delivered.commands);
      steps = [...steps.slice(0, i + 1), ...planSteps(delivered.state, steps.slice(i + 1).map((p) => p.step), target, now)];
    }
  }
  return lines.map(withPlaceholders);
}
