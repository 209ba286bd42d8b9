/**
 * Delivery and the consumers in one rollout: a host whose RDP listener, WMSvc and WinRM HTTPS
 * listener use the old certificate, and that lacks the new one. `rollout --new renewed.pfx` must
 * import the PFX first, then grant NETWORK SERVICE (by SID) and the old key's extra readers on the
 * NEW key, which exists only after the import, and only then move the consumers. Planned before
 * the import, the grant could not know the new key; it is planned again once the key is there.
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/program.js";
import { APPID, demoCertificates, toPfx } from "../../src/simulator/index.js";
import type { SimHost } from "../../src/simulator/host.js";
import { probeRdp } from "../../src/verify/rdp-probe.js";
import { startHarness, type Harness } from "../support/harness.js";
import { APP_ACCOUNT, consumersOn, NETWORK_SERVICE, WINRM_APPID } from "../support/consumer-fixture.js";

const PASSWORD = "Consumers-And-Delivery-0815";
const PASSWORD_ENV = "CERTFLEET_TEST_DELIVER_CONSUMERS_PASSWORD";
const { ca, oldCert, newCert } = demoCertificates();
const OLD = oldCert.thumbprint;
const NEW = newCert.thumbprint;
const WINRM = WINRM_APPID;

const rdpServes = async (h: SimHost) =>
  (await probeRdp({ host: "127.0.0.1", port: Number(h.rdpEndpoint()!.split(":")[1]), timeoutMs: 5000 }).catch((e: Error) => ({ thumbprint: `failed: ${e.message}` }))).thumbprint;

describe("rollout --new renewed.pfx on a host whose RDP, WinRM and WMSvc use the old certificate", () => {
  let h: Harness;
  let dir: string;

  beforeAll(async () => {
    h = await startHarness(
      (["cmd", "powershell"] as const).map((shell, i) => ({
        name: `svc-${shell}`,
        profile: { os: i === 0 ? ("2016" as const) : ("2025" as const), language: i === 0 ? ("de" as const) : ("en" as const), shell, elevated: true },
        // only the old certificate: the new one arrives with the PFX
        certificates: [{ cert: oldCert, template: "WebServer, Web Server" }],
        bindings: [
          { kind: "ipport" as const, endpoint: "0.0.0.0:443", certHash: OLD, appId: APPID.iis, storeName: "MY" },
          { kind: "ipport" as const, endpoint: "0.0.0.0:5986", certHash: OLD, appId: WINRM, storeName: null },
          { kind: "ipport" as const, endpoint: "0.0.0.0:8172", certHash: OLD, appId: "{00000000-0000-0000-0000-000000000000}", storeName: "MY" },
        ],
        consumers: consumersOn(OLD),
      })),
    );
    dir = await mkdtemp(join(tmpdir(), "certfleet-deliver-consumers-"));
    await writeFile(join(dir, "renewed.pfx"), toPfx(newCert, PASSWORD, [ca.cert]));
    process.env[PASSWORD_ENV] = PASSWORD;
  });
  afterAll(async () => {
    delete process.env[PASSWORD_ENV];
    await h?.close();
  });

  it("imports, grants on the new key by SID, then moves every consumer: all name and serve the new certificate", async () => {
    for (const x of h.fleet.hosts) expect(await rdpServes(x)).toBe(OLD);
    const code = await runCli(["rollout", "--new", join(dir, "renewed.pfx"), "--pfx-password-env", PASSWORD_ENV, "-i", h.files.inventory, "--yes", "--plain", "--verify-window", "5", "--verify-interval", "0.1", "--out", join(dir, "out")]);
    expect(code).toBe(0);
    for (const x of h.fleet.hosts) {
      const log = x.commandLog;
      const imported = log.findIndex((c) => /-importpfx My /i.test(c));
      const grants = log.map((c, i) => ({ c, i })).filter(({ c }) => / \/grant \*S-1-5-(20|21-1004336348-1177238915-682003330-1013):R$/.test(c));
      const rdpMove = log.findIndex((c) => c.startsWith("reg add") && c.includes("RDP-Tcp") && c.includes(NEW.toUpperCase()));
      expect(imported, x.name).toBeGreaterThan(-1);
      // both grants, by SID, on the new key, after the import and before the RDP value moves
      expect(grants.map((g) => /S-1-5-20:R$/.test(g.c)).sort(), x.name).toEqual([false, true]);
      for (const g of grants) expect(g.i, x.name).toBeGreaterThan(imported);
      expect(rdpMove, x.name).toBeGreaterThan(Math.max(...grants.map((g) => g.i)));
      const snap = x.consumerSnapshot();
      // the registry values and the listener name the new certificate (the old key keeps its own grants)
      expect(JSON.stringify(snap.registry).toLowerCase(), x.name).not.toContain(OLD.toLowerCase());
      expect(snap.winrmListeners.map((l) => l.certificateThumbprint.toLowerCase()), x.name).toEqual([NEW.toLowerCase()]);
      expect(snap.keyAcls[NEW]?.map((a) => a.sid), x.name).toEqual(expect.arrayContaining([NETWORK_SERVICE, APP_ACCOUNT]));
      expect(x.snapshot().bindings.map((b) => b.certHash), x.name).toEqual([NEW, NEW, NEW]);
      expect(await rdpServes(x), x.name).toBe(NEW);
    }
    // The owners re-apply their own settings on a restart: they name the new certificate too.
    h.fleet.restartAll();
    for (const x of h.fleet.hosts) {
      expect(x.snapshot().bindings.map((b) => b.certHash), x.name).toEqual([NEW, NEW, NEW]);
      expect(await rdpServes(x), x.name).toBe(NEW);
    }
  });
});
