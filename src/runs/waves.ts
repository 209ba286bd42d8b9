/**
 * Pure wave assembly: canary first, then batches. `--canary N|NAME,...`, `--batch N|P%`,
 * `--max-failures N|P%`. Bad specs are input errors (exit 2) before any host is contacted.
 */
import { InputError } from "../model/errors.js";

export function parseCountOrPercent(spec: string, total: number, option: string): number {
  const m = /^\s*(\d+)\s*(%?)\s*$/.exec(spec);
  if (!m) throw new InputError(`${option}: expected a whole number or a percentage like 10%, got ${JSON.stringify(spec)}`, undefined, option);
  const n = Number(m[1]);
  if (!Number.isSafeInteger(n)) throw new InputError(`${option}: ${JSON.stringify(spec.slice(0, 40))} is too large`, undefined, option);
  if (m[2] === "%") {
    if (n > 100) throw new InputError(`${option}: a percentage cannot exceed 100%, got ${spec}`, undefined, option);
    return Math.floor((total * n) / 100);
  }
  return n;
}

export interface WavePlan {
  /** wave 0 is the canary wave (possibly empty when there are no hosts). */
  waves: string[][];
}

export function assembleWaves(hosts: readonly string[], canarySpec = "1", batchSpec?: string): WavePlan {
  let canary: string[];
  if (/^\s*\d+\s*$/.test(canarySpec)) {
    canary = hosts.slice(0, Number(canarySpec));
  } else {
    canary = canarySpec.split(",").map((s) => s.trim()).filter(Boolean);
    const unknown = canary.filter((n) => !hosts.includes(n));
    if (unknown.length > 0) {
      throw new InputError(`--canary: ${unknown.map((n) => JSON.stringify(n.slice(0, 80))).join(", ")} ${unknown.length === 1 ? "is" : "are"} not among the selected hosts`, undefined, "--canary");
    }
    canary = hosts.filter((h) => canary.includes(h));
  }
  const rest = hosts.filter((h) => !canary.includes(h));
  const waves: string[][] = [canary];
  if (rest.length === 0) return { waves };
  // A percentage rounds up to at least one host; an explicit 0 is a mistake, not "one".
  const size =
    batchSpec === undefined
      ? rest.length
      : /%\s*$/.test(batchSpec)
        ? Math.max(1, parseCountOrPercent(batchSpec, hosts.length, "--batch"))
        : parseCountOrPercent(batchSpec, hosts.length, "--batch");
  if (size === 0) throw new InputError("--batch: a batch must hold at least one host", undefined, "--batch");
  for (let i = 0; i < rest.length; i += size) waves.push(rest.slice(i, i + size));
  return { waves };
}

/** How many failed hosts the whole rollout tolerates (`--max-failures`, default 0). */
export function failureBudget(spec: string | undefined, total: number): number {
  return spec === undefined ? 0 : parseCountOrPercent(spec, total, "--max-failures");
}
