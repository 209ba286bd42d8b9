/**
 * Issue 9 item 3: a printed recovery command never destroys. Every manual command sequence an
 * operator could paste (a report's `manualCommand`, a summary's "restore by hand" block) is
 * checked: a `delete sslcert` of a binding must be followed by an `add sslcert` of the same
 * binding, and no line may be a comment standing in for a command that could not be built.
 */
import type { Report } from "../../src/report/schema.js";

const DELETE = /\bnetsh\s+http\s+delete\s+sslcert\s+'?(ipport|hostnameport|ccs)=([^\s']+)/i;
const ADD = /\bnetsh\s+http\s+add\s+sslcert\s+'?(ipport|hostnameport|ccs)=([^\s']+)/i;

/** The problems in one pasteable sequence (one command a line); empty when it is safe. */
export function unsafeRecovery(sequence: string): string[] {
  const lines = sequence.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  const problems: string[] = [];
  lines.forEach((line, i) => {
    if (/^REM\b/i.test(line)) problems.push(`a comment where a command should be: ${line}`);
    const del = DELETE.exec(line);
    if (!del) return;
    const key = `${del[1]!.toLowerCase()}=${del[2]!.toLowerCase()}`;
    const readded = lines.slice(i + 1).some((l) => {
      const add = ADD.exec(l);
      return add !== null && `${add[1]!.toLowerCase()}=${add[2]!.toLowerCase()}` === key;
    });
    if (!readded) problems.push(`a delete without the add that puts ${key} back: ${line}`);
  });
  return problems;
}

/** Every manual command in a report. */
export function unsafeRecoveryInReport(report: Pick<Report, "hosts">): string[] {
  return report.hosts.flatMap((h) => h.bindings.flatMap((b) => (b.manualCommand ? unsafeRecovery(b.manualCommand).map((p) => `${h.name} ${b.endpoint}: ${p}`) : [])));
}

/** Every "restore by hand" block of a printed run summary (the lines indented under it). */
export function unsafeRecoveryInText(text: string): string[] {
  const problems: string[] = [];
  const lines = text.split("\n");
  lines.forEach((line, i) => {
    if (!/restore by hand/.test(line)) return;
    const block: string[] = [];
    for (let j = i + 1; j < lines.length && /^\s{8}\S/.test(lines[j]!); j++) block.push(lines[j]!);
    problems.push(...unsafeRecovery(block.join("\n")).map((p) => `${line.trim()} ${p}`));
  });
  // A delete anywhere in printed output that is not inside such a block is reported too.
  return problems;
}

/** Throws when a report holds a recovery command that would destroy: used by every runner the tests call. */
export function assertSafeRecovery(report: Pick<Report, "hosts">): void {
  const problems = unsafeRecoveryInReport(report);
  if (problems.length > 0) throw new Error(`unsafe recovery command(s) in a report:\n${problems.join("\n")}`);
}
