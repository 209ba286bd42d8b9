import { readFile } from "node:fs/promises";
import { Command, Argument } from "commander";
import { InputError } from "../../model/errors.js";
import { parseCertutilStore } from "../../windows/certutil-parse.js";
import { decodeWindowsOutput } from "../../windows/decode.js";
import { parseNetshShowSslcert } from "../../windows/netsh-parse.js";

export function parseCommand(): Command {
  return new Command("parse")
    .description("offline: turn captured `netsh http show sslcert` or `certutil -store My` output into JSON (the shapes of report.json)")
    .addArgument(new Argument("<what>", "which output the file holds").choices(["netsh", "certutil"]))
    .argument("<file>", "captured output (any line ends; UTF-8 or the console's OEM code page)")
    .addHelpText("after", "\nExample (on the server):  netsh http show sslcert > bindings.txt\n         (here):          certfleet parse netsh bindings.txt\n")
    .action(async (what: "netsh" | "certutil", file: string) => {
      let bytes: Buffer;
      try {
        bytes = await readFile(file);
      } catch (err) {
        throw new InputError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`, file);
      }
      const text = decodeWindowsOutput(bytes);
      const out = what === "netsh" ? parseNetshShowSslcert(text) : parseCertutilStore(text);
      for (const w of out.warnings) process.stderr.write(`warning: ${w}\n`);
      process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      // Nothing recognised is not success: the wrong file, or the wrong command's output.
      const found = "bindings" in out ? out.bindings.length : out.certificates.length;
      if (found === 0) {
        const source = what === "netsh" ? "`netsh http show sslcert`" : "`certutil -store My`";
        process.stderr.write(`certfleet: ${file}: recognised no ${what === "netsh" ? "binding" : "certificate"}: is it the output of ${source}? (exit 1; an empty store or binding list also ends here)\n`);
        process.exitCode = 1;
      }
    });
}
