import { InputError } from "../model/errors.js";
import type { Inventory, ResolvedHost } from "./schema.js";

/** `*` any run, `?` one character, whole-string, case-sensitive like the names themselves. */
function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${body}$`);
}

const isGlob = (token: string) => /[*?]/.test(token);

/** The host names one `-l` token stands for; an unknown literal name is an input error. */
function expand(inv: Inventory, token: string, limit: string): Set<string> {
  const names = new Set<string>();
  const hostNames = inv.hosts.map((h) => h.name);
  if (isGlob(token)) {
    const re = globToRegExp(token);
    for (const h of hostNames) if (re.test(h)) names.add(h);
    for (const [group, members] of Object.entries(inv.groups)) if (re.test(group)) for (const m of members) names.add(m);
    return names;
  }
  if (hostNames.includes(token)) names.add(token);
  // Own keys only: `-l constructor` names no group, whatever Object.prototype holds.
  const members = Object.hasOwn(inv.groups, token) ? inv.groups[token] : undefined;
  if (members) for (const m of members) names.add(m);
  if (!hostNames.includes(token) && !members) {
    throw new InputError(
      `-l ${limit}: unknown host or group ${JSON.stringify(token)} (not in ${inv.file})`,
      inv.file,
    );
  }
  return names;
}

/**
 * `-l` selection: a comma list of host names, group names and `*`/`?` globs over both; `!x`
 * excludes after all inclusions; only exclusions means "all hosts except". Inventory order kept.
 */
export function selectHosts(inv: Inventory, raw?: string): ResolvedHost[] {
  if (raw === undefined || raw.trim() === "") return [...inv.hosts];
  // For messages: quoted when it holds anything a terminal could act on.
  const limit = /^[\x20-\x7e]*$/.test(raw) ? raw : JSON.stringify(raw);
  const tokens = raw
    .split(",")
    .map((t) => t.trim())
    .filter((t) => t !== "");
  const includes = tokens.filter((t) => !t.startsWith("!"));
  const excludes = tokens.filter((t) => t.startsWith("!")).map((t) => t.slice(1).trim());
  if (excludes.some((t) => t === "")) throw new InputError(`-l ${limit}: "!" must be followed by a host or group name`);

  const included = new Set<string>();
  if (includes.length === 0) for (const h of inv.hosts) included.add(h.name);
  for (const t of includes) for (const n of expand(inv, t, limit)) included.add(n);
  for (const t of excludes) for (const n of expand(inv, t, limit)) included.delete(n);

  const selected = inv.hosts.filter((h) => included.has(h.name));
  if (selected.length === 0) throw new InputError(`-l ${limit}: selects no hosts from ${inv.file}`, inv.file);
  return selected;
}

/**
 * `rollback -l`: which of the journal's hosts the selection names. The journal decides what
 * there is to roll back, so a host the inventory no longer has can still be named (literally or
 * by a glob); groups and globs over inventory hosts work as for every command. Journal hosts not
 * selected are `skipped`: not touched, and said so.
 */
export function selectJournalHosts(inv: Inventory, journalHosts: readonly string[], raw?: string): { selected: string[]; skipped: string[] } {
  // Inventory order, then the journal's hosts the inventory no longer has: the order the hosts
  // finished in the journal is no order a person reads a list in (and it differs run to run).
  const rank = new Map(inv.hosts.map((h, i) => [h.name, i] as const));
  const ordered = [...journalHosts].sort((a, b) => (rank.get(a) ?? Number.MAX_SAFE_INTEGER) - (rank.get(b) ?? Number.MAX_SAFE_INTEGER));
  if (raw === undefined || raw.trim() === "") return { selected: ordered, skipped: [] };
  const extra = ordered.filter((n) => !rank.has(n)).map((name) => ({ name }) as ResolvedHost);
  const chosen = new Set(selectHosts({ ...inv, hosts: [...inv.hosts, ...extra] }, raw).map((h) => h.name));
  return { selected: ordered.filter((n) => chosen.has(n)), skipped: ordered.filter((n) => !chosen.has(n)) };
}
