import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Binding } from "../../src/model/binding.js";
import {
  SHELL_PROBE,
  addBindingCommand,
  deleteBindingCommand,
  discoverCommand,
  isSendable,
  showBindingCommand,
  updateBindingCommand,
} from "../../src/windows/commands.js";
import { discoverAnyShellCommand } from "../../src/windows/discover-any-shell.js";

const binding: Binding = {
  kind: "ipport",
  endpoint: "[::]:443",
  certHash: "a".repeat(40),
  appId: "{4dc3e181-e14b-4a21-b022-59fc669b0914}",
  storeName: "WebHosting",
  settings: { clientcertnegotiation: "Enabled", sslctlstorename: "AdfsTrustedDevices", disablehttp2: "Set", revocationfreshnesstime: "3600" },
};

describe("the session's last gate (isSendable)", () => {
  it("lets through every command the builders make, under the shell they were made for", () => {
    for (const shell of ["cmd", "powershell"] as const) {
      for (const cmd of [
        showBindingCommand(shell, binding),
        deleteBindingCommand(shell, binding),
        addBindingCommand(shell, binding),
        updateBindingCommand(shell, { ...binding, kind: "hostnameport", endpoint: "*.example.com:8443" }),
        discoverCommand(shell),
      ]) {
        expect(isSendable(shell, cmd), cmd).toBe(true);
      }
      expect(isSendable(undefined, SHELL_PROBE)).toBe(true);
      expect(isSendable(undefined, discoverAnyShellCommand())).toBe(true);
      expect(isSendable(shell, discoverAnyShellCommand())).toBe(true);
    }
  });

  it("refuses a command built for the other shell, and anything before the shell is known", () => {
    expect(isSendable("powershell", addBindingCommand("cmd", binding))).toBe(false);
    expect(isSendable("cmd", addBindingCommand("powershell", binding))).toBe(false);
    expect(isSendable(undefined, discoverCommand("cmd"))).toBe(false);
  });

  it("refuses any netsh line carrying a shell metacharacter or whitespace inside a value", () => {
    const meta = fc.constantFrom("&", "|", '"', "'", "^", "%", "!", ";", "$", "(", ")", "`", "\n", "\r", "\u0000", " ", "\u2019", "<", ">", ",");
    fc.assert(
      fc.property(fc.constantFrom("cmd" as const, "powershell" as const), fc.string({ maxLength: 20 }), meta, fc.string({ maxLength: 20 }), (shell, a, m, b) => {
        const value = `${a.replace(/[^A-Za-z0-9]/g, "")}${m}${b.replace(/[^A-Za-z0-9]/g, "")}`;
        const token = `sslctlstorename=${value}`;
        const line = `netsh http add sslcert ipport=0.0.0.0:443 ${shell === "powershell" ? `'${token}'` : token}`;
        expect(isSendable(shell, line)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});
