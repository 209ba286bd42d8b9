import { describe, expect, it } from "vitest";
import { parseInventory } from "../../src/inventory/load.js";
import { InputError } from "../../src/model/errors.js";

const parse = (yaml: string) => parseInventory(yaml, "hosts.yaml", { home: "/home/op" });

describe("inventory: WinRM keys", () => {
  it("ports: 5985, 5986 with https; defaults.port only for hosts of the defaults' transport", () => {
    const inv = parse(`
defaults: { user: certadmin, port: 22, passwordEnv: PW }
hosts:
  ssh1: { address: 10.0.0.1 }
  win1: { address: 10.0.0.2, transport: winrm }
  win2: { address: 10.0.0.3, transport: winrm, https: true, certThumbprint: "9F:3A 51 00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff 00" }
  win3: { address: 10.0.0.4, transport: winrm, port: 15985, domain: CORP }
`);
    const [ssh1, win1, win2, win3] = inv.hosts;
    expect(ssh1).not.toHaveProperty("transport");
    expect(ssh1!.port).toBe(22);
    expect(win1).toMatchObject({ transport: "winrm", port: 5985, https: false, shell: "cmd" });
    expect(win2).toMatchObject({ transport: "winrm", port: 5986, https: true, certThumbprint: "9f3a5100112233445566778899aabbccddeeff00" });
    expect(win3).toMatchObject({ transport: "winrm", port: 15985, domain: "CORP" });
  });

  it("a WinRM default fleet with one SSH host", () => {
    const inv = parse(`
defaults: { user: certadmin, transport: winrm, https: true, caFile: ~/ca.pem, passwordEnv: PW, shell: powershell }
hosts:
  win1: { address: 10.0.0.2 }
  ssh1: { address: 10.0.0.1, transport: ssh }
`);
    expect(inv.hosts[0]).toMatchObject({ transport: "winrm", port: 5986, caFile: "/home/op/ca.pem" });
    expect(inv.hosts[1]!.port).toBe(22);
    // defaults.shell describes the OpenSSH hosts; a WinRM host always runs cmd
    expect(inv.hosts[0]!.shell).toBe("cmd");
    expect(inv.hosts[1]!.shell).toBe("powershell");
    expect(inv.hosts[1]).not.toHaveProperty("caFile");
  });

  it("refuses a pin on a plain-HTTP host, an unknown transport, a bad thumbprint and a password", () => {
    expect(() => parse(`hosts: { w: { address: 10.0.0.2, user: a, transport: winrm, certThumbprint: "${"a".repeat(40)}" } }`)).toThrow(
      /hosts\.w\.certThumbprint: caFile and certThumbprint apply to WinRM over HTTPS only/,
    );
    expect(() => parse(`hosts: { w: { address: 10.0.0.2, user: a, transport: telnet } }`)).toThrow(/expected one of ssh, winrm, got "telnet"/);
    expect(() => parse(`hosts: { w: { address: 10.0.0.2, user: a, transport: winrm, https: true, certThumbprint: abc } }`)).toThrow(/SHA-1 thumbprint/);
    expect(() => parse(`hosts: { w: { address: 10.0.0.2, user: a, transport: winrm, password: x } }`)).toThrow(InputError);
    expect(() => parse(`hosts: { w: { address: 10.0.0.2, user: a, transport: winrm, shell: powershell } }`)).toThrow(/hosts\.w\.shell: WinRM runs commands under cmd\.exe/);
  });
});
