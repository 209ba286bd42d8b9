import { CertfleetError } from "../model/errors.js";
import type { RemoteShell } from "../model/host-state.js";

/**
 * True when `whoami /groups` lists the High (S-1-16-12288) or System (S-1-16-16384) mandatory
 * level. The SIDs are printed the same in every display language; the group names are not.
 */
export function parseElevation(whoamiGroupsText: string): boolean {
  return /\bS-1-16-(?:12288|16384)\b/i.test(whoamiGroupsText);
}

/**
 * Reads the reply to `echo CFSHELL=%COMSPEC%` (docs/remote-commands.md): cmd.exe expands the
 * variable, PowerShell prints it literally.
 */
export function parseShellProbe(text: string, host?: string): RemoteShell {
  const m = /CFSHELL=(.*)/.exec(text);
  if (!m) {
    throw new CertfleetError("parse", "shell probe printed no CFSHELL= line", host, text.trim());
  }
  const value = (m[1] ?? "").trim();
  return /^['"]?%COMSPEC%/i.test(value) ? "powershell" : "cmd";
}
