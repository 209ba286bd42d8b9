/**
 * The local files an inventory names, checked before any host is contacted: a missing or
 * unreadable identityFile is bad input (exit 2, one line), not one "authentication failed" per host.
 */
import { accessSync, constants, statSync } from "node:fs";
import { InputError } from "../model/errors.js";
import type { ResolvedHost } from "./schema.js";

export function checkIdentityFiles(inventoryFile: string, hosts: readonly ResolvedHost[]): void {
  const users = new Map<string, string[]>();
  for (const h of hosts) if (h.identityFile !== undefined) users.set(h.identityFile, [...(users.get(h.identityFile) ?? []), h.name]);
  for (const [path, names] of users) {
    const problem = unreadable(path);
    if (problem === undefined) continue;
    const who = names.length === 1 ? `host ${names[0]}` : `${names.length} hosts (${names.slice(0, 3).join(", ")}${names.length > 3 ? ", ..." : ""})`;
    throw new InputError(`${inventoryFile}: identityFile ${path} (for ${who}) ${problem}`, inventoryFile, "identityFile");
  }
}

function unreadable(path: string): string | undefined {
  try {
    if (!statSync(path).isFile()) return "is not a file";
    accessSync(path, constants.R_OK);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === "ENOENT" ? "does not exist" : code === "EACCES" ? "cannot be read (permission denied)" : `cannot be read (${code ?? String(err)})`;
  }
}
