/**
 * The send gate's rule for the batched compare-and-set (cas-batch.ts): a line is sendable only if
 * it is exactly the builders' fixed skeleton around netsh sslcert commands made of grammar-charset
 * tokens, hashes of 40 lowercase hex digits and decimal indexes, and no longer than the shell's
 * bound. Written out here, not derived from the builders, so that a builder mistake cannot widen
 * what the gate lets through. (This file imports nothing from commands.ts: commands.ts imports it.)
 */
import type { RemoteShell } from "../model/host-state.js";

/** Same character set as the netsh token in commands.ts (the strict grammar's union). */
const VALUE = "[A-Za-z0-9_.:\\[\\]{}*-]+";
const TOKEN = `[a-z][a-z0-9]*=${VALUE}`;
const KEY = `(?:ipport|hostnameport|ccs|scopedccs)=${VALUE}`;
const HASH = "[0-9a-f]{40}";
const N = "\\d{1,5}";

function cmdLine(): RegExp {
  const fail = `\\(call echo ==CFCAS:${N}:failed:%\\^errorlevel%== & exit 1\\)`;
  const check = `netsh http show sslcert ${KEY} \\| findstr /i /l /c:": ${HASH}" >nul \\|\\| \\(echo ==CFCAS:${N}:refused== & exit 1\\)`;
  const update = `netsh http update sslcert ${KEY}(?: ${TOKEN})+ && echo ==CFCAS:${N}:changed== \\|\\| ${fail}`;
  const del = `netsh http delete sslcert ${KEY} && echo ==CFCAS:${N}:deleted== \\|\\| ${fail}`;
  const putBack = `\\(netsh http add sslcert ${KEY}(?: ${TOKEN})+ && echo ==CFCAS:${N}:putback:0== \\|\\| call echo ==CFCAS:${N}:putback:%\\^errorlevel%==\\)`;
  const add = `netsh http add sslcert ${KEY}(?: ${TOKEN})+ && echo ==CFCAS:${N}:changed== \\|\\| \\(call echo ==CFCAS:${N}:failed:%\\^errorlevel%== & ${putBack} & exit 1\\)`;
  const fragment = `${check} & (?:${update}|${del} & ${add})`;
  return new RegExp(`^${fragment}(?: & ${fragment})* & echo ==CFCAS:end==$`);
}

function powershellLine(): RegExp {
  const q = (re: string) => `'${re}'`;
  const failIf = `if \\(\\$LASTEXITCODE -ne 0\\) \\{ echo "==CFCAS:${N}:failed:\\$LASTEXITCODE=="; exit 1 \\}`;
  const check = `if \\(-not \\(\\(netsh http show sslcert ${q(KEY)}\\) -match ': ${HASH}'\\)\\) \\{ echo '==CFCAS:${N}:refused=='; exit 1 \\}`;
  const update = `netsh http update sslcert ${q(KEY)}(?: ${q(TOKEN)})+; ${failIf}; echo '==CFCAS:${N}:changed=='`;
  const del = `netsh http delete sslcert ${q(KEY)}; ${failIf}; echo '==CFCAS:${N}:deleted=='`;
  const add =
    `netsh http add sslcert ${q(KEY)}(?: ${q(TOKEN)})+; ` +
    `if \\(\\$LASTEXITCODE -ne 0\\) \\{ echo "==CFCAS:${N}:failed:\\$LASTEXITCODE=="; netsh http add sslcert ${q(KEY)}(?: ${q(TOKEN)})+; echo "==CFCAS:${N}:putback:\\$LASTEXITCODE=="; exit 1 \\}; ` +
    `echo '==CFCAS:${N}:changed=='`;
  const fragment = `${check}; (?:${update}|${del}; ${add})`;
  return new RegExp(`^${fragment}(?:; ${fragment})*; echo '==CFCAS:end=='$`);
}

const LINES: Record<RemoteShell, RegExp> = { cmd: cmdLine(), powershell: powershellLine() };
/** The longest line the gate lets through: cmd.exe's own limit, CreateProcess's for PowerShell. */
const HARD_LIMIT: Record<RemoteShell, number> = { cmd: 8191, powershell: 32000 };

export function isSendableCasBatch(shell: RemoteShell, command: string): boolean {
  return command.length <= HARD_LIMIT[shell] && LINES[shell].test(command);
}
