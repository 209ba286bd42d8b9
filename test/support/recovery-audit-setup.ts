/**
 * Runs around every test file: whatever certfleet prints to stdout or stderr in-process (the CLI's
 * run summaries) is scanned for a recovery command that deletes a binding without the add that
 * puts it back. Reports returned by the runners are checked in test/support/reported.ts.
 */
import { afterAll } from "vitest";
import { unsafeRecoveryInText } from "./recovery-audit.js";

let printed = "";
for (const stream of [process.stdout, process.stderr]) {
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (typeof chunk === "string" || chunk instanceof Uint8Array) printed += Buffer.from(chunk as string).toString();
    return write(chunk, ...rest);
  }) as typeof stream.write;
}

afterAll(() => {
  const problems = unsafeRecoveryInText(printed);
  printed = "";
  if (problems.length > 0) throw new Error(`printed recovery commands that would destroy a binding:\n${problems.join("\n")}`);
});
