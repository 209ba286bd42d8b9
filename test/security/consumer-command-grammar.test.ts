/**
 * Issue 11 under the issue-5 rules: for ANY thumbprint, listener address, SID or key container
 * name (hostile ones included) and both shells, every consumer command certfleet builds is
 * refused with a precondition error before anything is sent, or matches the whole-command grammar
 * written here independently of src/windows/consumer-commands.ts, and passes the session's gate.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CertfleetError } from "../../src/model/errors.js";
import type { RemoteShell } from "../../src/model/host-state.js";
import { isSendable } from "../../src/windows/commands.js";
import {
  keyAclReadCommand,
  keyGrantReadCommand,
  keyRemoveGrantCommand,
  ownerCommands,
  regSetHashCommand,
  winrmSetThumbprintCommand,
} from "../../src/windows/consumer-commands.js";
import { CONTROL_CHARS, hex40, hostileOr } from "../support/security-arbitraries.js";

const SHELLS: RemoteShell[] = ["cmd", "powershell"];
const RUNS = Number(process.env.CERTFLEET_FC_RUNS ?? 3000);

// The grammar, by hand: fixed words, and values from [0-9A-Fa-f], digits, `-`, `_`, `.`, `:`.
const UHEX40 = "[0-9A-F]{40}";
const KEYFILE = String.raw`C:\\ProgramData\\Microsoft\\Crypto\\(?:RSA\\MachineKeys|Keys)\\[0-9a-f]{32}_[0-9a-f-]{36}`;
const SIDV = String.raw`S-1-[0-9]+(?:-[0-9]+)+`;
function grammatical(shell: RemoteShell, cmd: string): boolean {
  const hashtable = `@\\{CertificateThumbprint="${UHEX40}"\\}`;
  const q = (s: string) => (shell === "powershell" ? `'${s}'` : `"${s}"`);
  const keys = [String.raw`HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp`, String.raw`HKLM\\SOFTWARE\\Microsoft\\WebManagement\\Server`];
  const tmp = String.raw`C:\\Windows\\Temp\\certfleet-[0-9a-f]{32}\.acl`;
  const sep = shell === "powershell" ? "; cmd /c " : " & ";
  return [
    new RegExp(`^winrm set winrm/config/Listener\\?Address=(?:\\*|IP:[0-9.]+)\\+Transport=HTTPS ${shell === "powershell" ? `'${hashtable}'` : hashtable}$`),
    ...keys.map((k) => new RegExp(`^reg add ${q(k)} /v (?:SSLCertificateSHA1Hash|SslCertificateHash) /t REG_BINARY /d ${UHEX40} /f$`)),
    new RegExp(`^icacls ${KEYFILE} /save (${tmp}) /q${sep}type \\1${sep}del /q \\1$`),
    new RegExp(`^icacls ${KEYFILE} /grant \\*${SIDV}:R$`),
    new RegExp(`^icacls ${KEYFILE} /remove:g \\*${SIDV}$`),
  ].some((re) => re.test(cmd));
}

const thumb = hostileOr(hex40);
const address = hostileOr(fc.oneof(fc.constant("*"), fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => `IP:${o.join(".")}`)));
const sid = hostileOr(fc.oneof(fc.constantFrom("S-1-5-20", "S-1-5-19", "S-1-5-32-568"), fc.array(fc.nat(), { minLength: 4, maxLength: 4 }).map((n) => `S-1-5-21-${n.join("-")}`)));
const uniqueName = hostileOr(fc.tuple(hex40.map((h) => h.slice(0, 32)), fc.constant("7989b711-2e3f-4107-9aae-fb8df2e3b958")).map(([a, b]) => `${a}_${b}`));
const storage = fc.constantFrom("csp" as const, "cng" as const);

describe("consumer command builders under hostile values", () => {
  for (const shell of SHELLS) {
    it(`every consumer command is refused or grammatical, and sendable when built (${shell})`, () => {
      let built = 0;
      let refused = 0;
      fc.assert(
        fc.property(thumb, address, sid, uniqueName, storage, (t, a, s, u, st) => {
          const key = { uniqueName: u, storage: st };
          for (const build of [
            () => winrmSetThumbprintCommand(shell, a, t, "web01"),
            () => regSetHashCommand(shell, "rdp", t, "web01"),
            () => regSetHashCommand(shell, "wmsvc", t, "web01"),
            () => keyAclReadCommand(shell, key, "web01"),
            () => keyGrantReadCommand(shell, key, s, "web01"),
            () => keyRemoveGrantCommand(shell, key, s, "web01"),
          ]) {
            let cmd: string;
            try {
              cmd = build();
            } catch (error) {
              expect(error).toBeInstanceOf(CertfleetError);
              expect((error as CertfleetError).kind).toBe("precondition");
              expect((error as CertfleetError).message).not.toMatch(CONTROL_CHARS);
              refused++;
              continue;
            }
            built++;
            if (!grammatical(shell, cmd)) throw new Error(`ungrammatical ${shell} command: ${JSON.stringify(cmd)}`);
            expect(isSendable(shell, cmd)).toBe(true);
          }
        }),
        { numRuns: RUNS, seed: 11_2026 },
      );
      expect(built).toBeGreaterThan(RUNS / 2);
      expect(refused).toBeGreaterThan(RUNS / 2);
    });
  }

  it("owner commands (printed, never sent) carry only a checked thumbprint", () => {
    fc.assert(
      fc.property(thumb, fc.constantFrom("adfs" as const, "wap" as const, "sstp" as const, "exchange" as const), (t, owner) => {
        try {
          for (const line of ownerCommands(owner, t)) expect(line).toMatch(/^[A-Za-z-]+ [-A-Za-z ]*(?:[0-9A-F]{40}|\(Get-ChildItem Cert:\\LocalMachine\\My\\[0-9A-F]{40}\)|adfssrv|RemoteAccess)[ A-Za-z#-]*$|^Restart-Service \w+$/);
        } catch (error) {
          expect(error).toBeInstanceOf(CertfleetError);
        }
      }),
      { numRuns: Math.ceil(RUNS / 3), seed: 12 },
    );
  });
});
