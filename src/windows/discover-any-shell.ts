/**
 * Discovery in ONE remote command when the host's OpenSSH default shell is not known yet
 * (`shell: auto`): a line that cmd.exe and Windows PowerShell 5.1 both run, whose output says which
 * of them ran it, and which then runs the discovery sections of `discoverCommand` for that shell.
 *
 *   echo CFSHELL=%COMSPEC% ' & <cmd sections, markers written ==CF^:name==> & rem '; <PowerShell sections>
 *
 * cmd.exe knows no single quotes: it expands %COMSPEC%, echoes `CFSHELL=C:\...\cmd.exe '`, runs
 * every `&`-joined section (the caret escapes nothing visible, it only keeps the typed marker from
 * reading as a marker) and stops at `rem`, which makes the rest of the line a remark.
 * PowerShell leaves %COMSPEC% as typed and reads `' & ... rem '` as one single-quoted string: echo
 * prints `CFSHELL=%COMSPEC%` and that string (whose `==CF^:` markers are not markers), then runs
 * its own `;`-separated sections. The `;`-part holds no `& | < > ( ) ^ %` or `"`, so nothing in it
 * means anything to cmd.exe's parser before the remark.
 *
 * The text before the first marker is the shell probe's answer (read with parseShellProbe).
 */
import type { RemoteShell } from "../model/host-state.js";
import { discoverCommand } from "./commands.js";
import { parseShellProbe } from "./elevation.js";

function cmdPart(): string {
  // The same sections as discoverCommand("cmd"), with each marker's colon escaped.
  return discoverCommand("cmd").replace(/echo ==CF:/g, "echo ==CF^:");
}

/**
 * The one discovery line for a host whose shell is unknown. A function, not a constant: commands.ts
 * (the send gate) imports this file and this file imports commands.ts.
 */
export function discoverAnyShellCommand(): string {
  return `echo CFSHELL=%COMSPEC% ' & ${cmdPart()} & rem '; ${discoverCommand("powershell")}`;
}

/** Which shell ran DISCOVER_ANY_SHELL, from the text before its first section marker. */
export function shellOfDiscovery(preamble: string, host?: string): RemoteShell {
  return parseShellProbe(preamble, host);
}
