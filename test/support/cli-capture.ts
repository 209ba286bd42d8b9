/**
 * The CLI run in-process, with what it prints captured instead of shown: stdout and stderr apart,
 * and (for tests that search everything printed, in order) each chunk handed to `onChunk`.
 */
import { runCli } from "../../src/cli/program.js";

export interface CapturedRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCliCaptured(args: string[], onChunk?: (text: string) => void): Promise<CapturedRun> {
  let stdout = "";
  let stderr = "";
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  const text = (chunk: unknown) => (typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8"));
  process.stdout.write = ((chunk: unknown) => {
    const t = text(chunk);
    stdout += t;
    onChunk?.(t);
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: unknown) => {
    const t = text(chunk);
    stderr += t;
    onChunk?.(t);
    return true;
  }) as typeof process.stderr.write;
  try {
    return { code: await runCli(args), stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}
