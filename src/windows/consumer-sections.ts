/**
 * The consumer sections of discovery's one command (`winrm`, `reg-rdp`, `reg-wmsvc`), parsed
 * (pure). A missing section means "not read" (null), never "none": an older discovery line, a
 * scripted test host, or output cut before it. A host without WinRM prints an error instead of
 * listeners; that is read as "no listener" with the error kept as a warning.
 */
import type { ConsumerReadingsState } from "../model/consumer.js";
import { REGISTRY_CONSUMERS } from "./consumer-commands.js";
import { parseRegBinaryHash } from "./reg-parse.js";
import { parseWinrmListeners } from "./winrm-listener-parse.js";

export function consumerSectionsOf(sections: ReadonlyMap<string, string>): { readings: ConsumerReadingsState; warnings: string[] } {
  const warnings: string[] = [];
  const winrm = sections.get("winrm");
  let winrmListeners: ConsumerReadingsState["winrmListeners"] = null;
  if (winrm !== undefined) {
    const parsed = parseWinrmListeners(winrm);
    winrmListeners = parsed.listeners;
    warnings.push(...parsed.warnings);
  }
  const reg = (name: string, consumer: keyof typeof REGISTRY_CONSUMERS) => {
    const text = sections.get(name);
    return text === undefined ? null : parseRegBinaryHash(text, REGISTRY_CONSUMERS[consumer].value);
  };
  return { readings: { winrmListeners, rdp: reg("reg-rdp", "rdp"), wmsvc: reg("reg-wmsvc", "wmsvc") }, warnings };
}
