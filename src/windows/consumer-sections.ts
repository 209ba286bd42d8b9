/**
 * The consumer sections of discovery's one command (`winrm`, `reg-rdp`, `reg-wmsvc`), parsed
 * (pure). A missing section means "not read" (null), never "none": an older discovery line, a
 * scripted test host, or output cut before it. A host without WinRM prints an error instead of
 * listeners (on stderr, so here usually nothing): that is read as "no listener".
 */
import type { ConsumerReadingsState } from "../model/consumer.js";
import { REGISTRY_CONSUMERS } from "./consumer-commands.js";
import { parseRegBinaryHash, type RegHashReading } from "./reg-parse.js";
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
  const reg = (name: string, consumer: keyof typeof REGISTRY_CONSUMERS): RegHashReading | null => {
    const text = sections.get(name);
    if (text === undefined) return null;
    // reg.exe prints a value it finds on stdout and "not found" on stderr, which the transport
    // hands over after all of stdout (after the end marker), so inside the one discovery command
    // an absent value shows as an empty section. (Its own read-back, one command, sees the message.)
    if (text.trim() === "") return { state: "absent", message: "no value (reg.exe printed nothing on stdout)" };
    return parseRegBinaryHash(text, REGISTRY_CONSUMERS[consumer].value);
  };
  return { readings: { winrmListeners, rdp: reg("reg-rdp", "rdp"), wmsvc: reg("reg-wmsvc", "wmsvc") }, warnings };
}
