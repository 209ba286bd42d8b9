/**
 * The batched compare-and-set: ONE command line that changes every binding of a host, each only
 * if the host still shows the hash certfleet read (and journaled) for it. Pure builders and the
 * parser of what the host prints; nothing here sends anything.
 *
 * API
 *   casBatchCommands(shell, changes, { mode, host?, maxLength? }) -> CasBatchLine[]
 *     `changes[i]` = { from: the binding as read, to: the same binding with the new hash }. The
 *     lines, in order, cover the changes in order; each stays within maxLength (default: 8,000
 *     characters for cmd.exe, whose limit is 8,191; 30,000 for PowerShell, under CreateProcess's
 *     32,767). Send a line only after the previous one ended with every change `changed`.
 *     mode `update` uses `netsh http update sslcert`; `delete-add` (hosts without update, 2012 R2)
 *     deletes, adds the new binding and, if that add fails, adds the original back at once.
 *   parseCasBatchOutput(text, line) -> CasBatchResult
 *     one outcome per change of the line: `changed`, `refused` (the host showed another hash: the
 *     binding was left untouched), `failed` (netsh's exit code and text; with delete-add whether
 *     the delete happened and the put-back's exit code), `not-reached` (an earlier binding
 *     stopped the line), or `unknown` (the output ended first: read the binding back).
 *
 * What runs on the host, per binding `i` (cmd.exe; PowerShell is the same with if/-match/
 * $LASTEXITCODE, see the builders):
 *   netsh http show sslcert KEY | findstr /i /l /c:": OLDHASH" >nul || (echo ==CFCAS:i:refused== & exit 1)
 *   & netsh http update sslcert KEY certhash=NEW ... && echo ==CFCAS:i:changed==
 *     || (call echo ==CFCAS:i:failed:%^errorlevel%== & exit 1)
 * `|` binds tighter than `||`, which binds tighter than `&`; `exit 1` ends the whole line, so the
 * first refusal or failure stops the batch; `%^errorlevel%` survives the line's own expansion and
 * CALL expands it when it runs (the exit code of the netsh that just failed). The line ends with
 * `echo ==CFCAS:end==`: its absence means the output was cut short. The check reads the value
 * after netsh's `: ` separator, which every display language prints, so a hash elsewhere in a
 * label cannot match. Every value went through the strict grammar (the netsh builders), and the
 * send gate accepts exactly these shapes (cas-batch-gate.ts).
 *
 * A timed-out or cut-off line is never re-sent: its outcomes are `unknown`, and the caller reads
 * each binding back and finishes or restores it binding by binding.
 */
import type { Binding } from "../model/binding.js";
import { bindingKey } from "../model/binding.js";
import { CertfleetError } from "../model/errors.js";
import type { RemoteShell } from "../model/host-state.js";
import { addBindingCommand, deleteBindingCommand, showBindingCommand, updateBindingCommand } from "./commands.js";
import { requireValue, shown } from "./grammar.js";

export interface CasChange {
  /** the binding as read before the change (journaled): the host must still show its hash */
  from: Binding;
  /** the same binding (same key) as it should be after the change */
  to: Binding;
}

export type CasMode = "update" | "delete-add";

export interface CasBatchOptions {
  mode: CasMode;
  host?: string;
  /** longest command line to build (defaults per shell: CAS_MAX_LINE) */
  maxLength?: number;
}

export interface CasBatchLine {
  command: string;
  /** index of the line's first change in the caller's list */
  first: number;
  /** how many changes the line carries (first .. first+count-1) */
  count: number;
}

/** cmd.exe refuses lines over 8,191 characters; PowerShell's bound is CreateProcess's 32,767. */
export const CAS_MAX_LINE: Record<RemoteShell, number> = { cmd: 8000, powershell: 30000 };

const END: Record<RemoteShell, string> = { cmd: "echo ==CFCAS:end==", powershell: "echo '==CFCAS:end=='" };
const JOIN: Record<RemoteShell, string> = { cmd: " & ", powershell: "; " };

/** One binding's compare-and-set, as a fragment of the line. */
export function casFragment(shell: RemoteShell, index: number, change: CasChange, mode: CasMode, host?: string): string {
  const { from, to } = change;
  if (bindingKey(from) !== bindingKey(to)) {
    throw new CertfleetError("precondition", `a compare-and-set changes one binding: ${shown(from.endpoint, 60)} is not ${shown(to.endpoint, 60)}`, host);
  }
  if (from.certHash === null) throw new CertfleetError("precondition", `binding ${shown(from.endpoint, 60)} has no certificate hash to compare`, host);
  const old = requireValue("certhash", from.certHash, host);
  const show = showBindingCommand(shell, from, host);
  const i = String(index);
  if (shell === "cmd") {
    const fail = `(call echo ==CFCAS:${i}:failed:%^errorlevel%== & exit 1)`;
    const check = `${show} | findstr /i /l /c:": ${old}" >nul || (echo ==CFCAS:${i}:refused== & exit 1)`;
    if (mode === "update") return `${check} & ${updateBindingCommand(shell, to, host)} && echo ==CFCAS:${i}:changed== || ${fail}`;
    const putBack = `(${addBindingCommand(shell, from, host)} && echo ==CFCAS:${i}:putback:0== || call echo ==CFCAS:${i}:putback:%^errorlevel%==)`;
    return [
      check,
      `${deleteBindingCommand(shell, from, host)} && echo ==CFCAS:${i}:deleted== || ${fail}`,
      `${addBindingCommand(shell, to, host)} && echo ==CFCAS:${i}:changed== || (call echo ==CFCAS:${i}:failed:%^errorlevel%== & ${putBack} & exit 1)`,
    ].join(" & ");
  }
  const failIf = `if ($LASTEXITCODE -ne 0) { echo "==CFCAS:${i}:failed:$LASTEXITCODE=="; exit 1 }`;
  const check = `if (-not ((${show}) -match ': ${old}')) { echo '==CFCAS:${i}:refused=='; exit 1 }`;
  if (mode === "update") return `${check}; ${updateBindingCommand(shell, to, host)}; ${failIf}; echo '==CFCAS:${i}:changed=='`;
  return [
    check,
    deleteBindingCommand(shell, from, host),
    failIf,
    `echo '==CFCAS:${i}:deleted=='`,
    addBindingCommand(shell, to, host),
    `if ($LASTEXITCODE -ne 0) { echo "==CFCAS:${i}:failed:$LASTEXITCODE=="; ${addBindingCommand(shell, from, host)}; echo "==CFCAS:${i}:putback:$LASTEXITCODE=="; exit 1 }`,
    `echo '==CFCAS:${i}:changed=='`,
  ].join("; ");
}

/**
 * The command lines for `changes`, in order, each within the length bound. Every value is checked
 * before anything is built: one unsafe binding refuses the whole batch (precondition error).
 */
export function casBatchCommands(shell: RemoteShell, changes: readonly CasChange[], opts: CasBatchOptions): CasBatchLine[] {
  const max = opts.maxLength ?? CAS_MAX_LINE[shell];
  const fragments = changes.map((c, i) => casFragment(shell, i, c, opts.mode, opts.host));
  const lines: CasBatchLine[] = [];
  let parts: string[] = [];
  let first = 0;
  const length = (p: string[]): number => p.join(JOIN[shell]).length + JOIN[shell].length + END[shell].length;
  fragments.forEach((f, i) => {
    if (length([f]) > max) {
      throw new CertfleetError("precondition", `the change of binding ${shown(changes[i]!.from.endpoint, 60)} alone needs ${length([f])} characters, over the ${max} a ${shell} line may hold`, opts.host);
    }
    if (parts.length > 0 && length([...parts, f]) > max) {
      lines.push({ command: [...parts, END[shell]].join(JOIN[shell]), first, count: parts.length });
      parts = [];
      first = i;
    }
    parts.push(f);
  });
  if (parts.length > 0) lines.push({ command: [...parts, END[shell]].join(JOIN[shell]), first, count: parts.length });
  return lines;
}

export type CasOutcome =
  | { status: "changed" }
  /** the host showed another hash (or no binding): nothing was sent for it */
  | { status: "refused" }
  /**
   * netsh failed. `deleted`: (delete-add) the delete had happened; `putBackExitCode`: the exit
   * code of adding the original back (0: it is back), absent when no put-back ran.
   */
  | { status: "failed"; exitCode: number; deleted: boolean; putBackExitCode?: number; remote: string }
  /** an earlier binding of the line stopped it: nothing was sent for this one */
  | { status: "not-reached" }
  /** the output ended before this binding's outcome (cut off, timed out): read it back */
  | { status: "unknown"; deleted: boolean };

export interface CasBatchResult {
  /** one per change of the line, in order: outcomes[k] is change line.first + k */
  outcomes: CasOutcome[];
  /** the end marker was printed: every change of the line was made */
  complete: boolean;
}

const MARKER = /==CFCAS:(?:(\d+):(refused|changed|deleted|failed|putback)(?::(-?\d+))?|(end))==/g;

/** Reads a batch line's output (decoded text, stdout and stderr) into one outcome per change. */
export function parseCasBatchOutput(text: string, line: Pick<CasBatchLine, "first" | "count">): CasBatchResult {
  type Seen = { kind: string; code?: number; before: string };
  const seen = new Map<number, Seen[]>();
  let complete = false;
  let last = 0;
  for (const m of text.matchAll(MARKER)) {
    const before = text.slice(last, m.index).trim();
    last = m.index + m[0].length;
    if (m[4] === "end") {
      complete = true;
      continue;
    }
    const index = Number(m[1]);
    const list = seen.get(index) ?? [];
    list.push({ kind: m[2] ?? "", ...(m[3] !== undefined ? { code: Number(m[3]) } : {}), before });
    seen.set(index, list);
  }
  const outcomes: CasOutcome[] = [];
  let stopped = false;
  for (let k = 0; k < line.count; k++) {
    if (stopped) {
      outcomes.push({ status: "not-reached" });
      continue;
    }
    const marks = seen.get(line.first + k) ?? [];
    const deleted = marks.some((s) => s.kind === "deleted");
    const failed = marks.find((s) => s.kind === "failed");
    const putBack = marks.find((s) => s.kind === "putback");
    if (marks.some((s) => s.kind === "refused")) {
      outcomes.push({ status: "refused" });
      stopped = true;
    } else if (failed) {
      outcomes.push({
        status: "failed",
        exitCode: failed.code ?? -1,
        deleted,
        ...(putBack?.code !== undefined ? { putBackExitCode: putBack.code } : {}),
        remote: failed.before,
      });
      stopped = true;
    } else if (marks.some((s) => s.kind === "changed")) {
      outcomes.push({ status: "changed" });
    } else {
      // Cut off here: neither this binding nor any later one can be known without reading back.
      for (let j = k; j < line.count; j++) outcomes.push({ status: "unknown", deleted: j === k && deleted });
      break;
    }
  }
  return { outcomes, complete: complete && outcomes.every((o) => o.status === "changed") };
}
