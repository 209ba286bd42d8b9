import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { pfxPassword, PromptInterrupted, promptPfxPassword, type PromptIo } from "../../src/certificate/pfx-password.js";
import { InputError } from "../../src/model/errors.js";

function terminal(tty = true): PromptIo & { raw: boolean[]; shown: () => string; type: (s: string) => void } {
  const input = new PassThrough() as PassThrough & { isTTY?: boolean; setRawMode?: (b: boolean) => void };
  const raw: boolean[] = [];
  if (tty) {
    input.isTTY = true;
    input.setRawMode = (b: boolean) => void raw.push(b);
  }
  const output = new PassThrough();
  let written = "";
  output.on("data", (d: Buffer) => (written += d.toString()));
  return { input, output, raw, shown: () => written, type: (s) => input.write(s) };
}

describe("the PFX password prompt", () => {
  it("reads a line in raw mode, echoes nothing, honours backspace, restores the terminal", async () => {
    const t = terminal();
    const pending = promptPfxPassword("renewed.pfx", t);
    t.type("Okapi-4410x\u007f-v");
    t.type("ellum\r");
    const secret = await pending;
    expect(secret.reveal()).toBe("Okapi-4410-vellum");
    expect(t.shown()).toBe("PFX password for renewed.pfx: \n");
    expect(t.raw).toEqual([true, false]);
  });

  it("Ctrl-C interrupts; Ctrl-D on an empty line is no password", async () => {
    const a = terminal();
    const p1 = promptPfxPassword("r.pfx", a);
    a.type("abc\u0003");
    await expect(p1).rejects.toBeInstanceOf(PromptInterrupted);
    const b = terminal();
    const p2 = promptPfxPassword("r.pfx", b);
    b.type("\u0004");
    await expect(p2).rejects.toThrow(/no PFX password given/);
  });

  it("without a terminal: an InputError pointing to --pfx-password-env", async () => {
    await expect(promptPfxPassword("r.pfx", terminal(false))).rejects.toBeInstanceOf(InputError);
    await expect(promptPfxPassword("r.pfx", terminal(false))).rejects.toThrow(/no terminal to ask on; set --pfx-password-env VAR/);
  });

  it("--pfx-password-env wins over the prompt", async () => {
    const t = terminal();
    const s = await pfxPassword("r.pfx", { envName: "CF_PFX", env: { CF_PFX: "from-env" }, io: t });
    expect(s.reveal()).toBe("from-env");
    expect(t.shown()).toBe("");
  });
});
