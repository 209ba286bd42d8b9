/**
 * Where the PFX password comes from: `--pfx-password-env VAR`, else a prompt on the terminal
 * (nothing echoed), else a clear InputError. The password is never taken from the command line,
 * where process listings and shell history would keep it.
 */
import { InputError } from "../model/errors.js";
import { Secret } from "../model/secret.js";
import { pfxPasswordFromEnv } from "./pfx-read.js";

export interface PromptIo {
  input: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  output: NodeJS.WritableStream;
}

/** Thrown when the operator presses Ctrl-C at the prompt (the CLI exits 130). */
export class PromptInterrupted extends Error {
  constructor() {
    super("interrupted at the PFX password prompt");
    this.name = "PromptInterrupted";
  }
}

/** Reads one line from a terminal in raw mode, echoing nothing. */
export function promptPfxPassword(file: string, io: PromptIo): Promise<Secret<string>> {
  const { input, output } = io;
  if (!input.isTTY || typeof input.setRawMode !== "function") {
    return Promise.reject(
      new InputError(`${file}: the PFX password is needed and there is no terminal to ask on; set --pfx-password-env VAR`, file, "--pfx-password-env"),
    );
  }
  output.write(`PFX password for ${file}: `);
  input.setRawMode(true);
  input.resume();
  return new Promise((resolve, reject) => {
    let typed = "";
    const finish = (err: Error | null) => {
      input.removeListener("data", onData);
      input.setRawMode?.(false);
      input.pause();
      output.write("\n");
      if (err) reject(err);
      else resolve(new Secret(typed));
      typed = "";
    };
    const onData = (chunk: Buffer | string) => {
      for (const ch of chunk.toString("utf8")) {
        if (ch === "\r" || ch === "\n") return finish(null);
        if (ch === "\u0003") return finish(new PromptInterrupted());
        if (ch === "\u0004") {
          if (typed === "") return finish(new InputError(`${file}: no PFX password given`, file, "--pfx-password-env"));
          continue;
        }
        if (ch === "\u007f" || ch === "\b") typed = [...typed].slice(0, -1).join("");
        else if (ch >= " ") typed += ch;
      }
    };
    input.on("data", onData);
  });
}

export interface PasswordSource {
  /** `--pfx-password-env` */
  envName?: string;
  env?: NodeJS.ProcessEnv;
  io: PromptIo;
}

export async function pfxPassword(file: string, source: PasswordSource): Promise<Secret<string>> {
  if (source.envName !== undefined) return pfxPasswordFromEnv(source.envName, source.env ?? process.env);
  return promptPfxPassword(file, source.io);
}
