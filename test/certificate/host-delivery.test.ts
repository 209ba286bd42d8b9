import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { judgeProbe, newRunId, planHostDelivery, presenceOf, type HostDeliveryPlan } from "../../src/certificate/host-delivery.js";
import { readPfx } from "../../src/certificate/pfx-read.js";
import type { Certificate } from "../../src/model/certificate.js";
import { Secret } from "../../src/model/secret.js";
import type { Transport } from "../../src/transport/transport.js";
import { parseCertutilStore } from "../../src/windows/certutil-parse.js";
import { decodeWindowsOutput } from "../../src/windows/decode.js";
import { isSendableDelivery, osBuildCommand, parseCleanupProof, parseOsBuild } from "../../src/windows/delivery-commands.js";
import { classifyImportPfx } from "../../src/windows/importpfx-result.js";
import { startHarness, type Harness } from "../support/harness.js";

const DIR = "test/fixtures/pfx";
const PASS = "fixture-Pfx-Pass-7Qz";
const notBefore = Date.parse(/notBefore=(.*)/.exec(readFileSync(`${DIR}/thumbprints.txt`, "utf8"))![1]!);
const VALID = new Date(notBefore + 86_400_000);
const contents = readPfx("renewed.pfx", readFileSync(`${DIR}/rsa-chain-aes.pfx`), new Secret(PASS), VALID);
const THUMB = contents.leaf.certificate.thumbprint;
const RUN = "20261128T030000Z-a1b2c3d4";
const cert = (hasPrivateKey: Certificate["hasPrivateKey"], thumbprint = THUMB): Certificate => ({ thumbprint, subject: "CN=x", hasPrivateKey, store: "My" });

describe("planHostDelivery (pure)", () => {
  it("already present with its key: nothing to send", () => {
    const plan = planHostDelivery(contents, { host: "h", shell: "cmd", build: 14393, certificates: [cert(true)], runId: RUN });
    expect(plan).toEqual({ host: "h", action: "already-present", thumbprint: THUMB, reason: expect.stringContaining("already present") });
  });

  it("absent on 2016: legacy format, every step in order, an undo that removes it", () => {
    const plan = planHostDelivery(contents, { host: "h", shell: "cmd", build: 14393, certificates: [cert(true, "a".repeat(40))], runId: RUN });
    if (plan.action !== "deliver") throw new Error("expected deliver");
    expect(plan.format).toBe("legacy-3des-sha1");
    expect(plan.presentBefore).toBe(false);
    expect(plan.uploads.map((u) => u.sftpPath)).toEqual([`/C:/ProgramData/certfleet/${RUN}/certificate.pfx`, `/C:/ProgramData/certfleet/${RUN}/chain-1.cer`]);
    expect(plan.import.shown).toBe(`certutil -f -p [one-time password] -importpfx My C:\\ProgramData\\certfleet\\${RUN}\\certificate.pfx NoExport`);
    expect(String(plan.import.command)).toBe("[secret]");
    expect((plan.import.command as Secret<string>).reveal()).toContain(plan.password.reveal());
    expect(plan.intermediates.map((s) => s.shown)).toEqual([`certutil -f -addstore CA C:\\ProgramData\\certfleet\\${RUN}\\chain-1.cer`]);
    expect(plan.remove?.shown).toBe(`certutil -delstore My ${THUMB}`);
    for (const s of [plan.prepare, plan.import, ...plan.intermediates, plan.probe, plan.cleanup, plan.remove!]) {
      const c = typeof s.command === "string" ? s.command : s.command.reveal();
      expect(isSendableDelivery("cmd", c), c).toBe(true);
    }
    expect(JSON.stringify(plan)).not.toContain(plan.password.reveal());
  });

  it("2022 gets AES; an unknown build gets legacy; a certificate there without a key (or unreadable) is imported again and never removed", () => {
    const aes = planHostDelivery(contents, { host: "h", shell: "powershell", build: 20348, certificates: [], runId: RUN });
    const unknown = planHostDelivery(contents, { host: "h", shell: "powershell", build: undefined, certificates: [], runId: RUN });
    const noKey = planHostDelivery(contents, { host: "h", shell: "cmd", build: 20348, certificates: [cert(false)], runId: RUN });
    const unreadable = planHostDelivery(contents, { host: "h", shell: "cmd", build: 20348, certificates: [cert("unknown")], runId: RUN });
    expect(aes.action === "deliver" && aes.format).toBe("aes256-sha256");
    expect(unknown.action === "deliver" && unknown.format).toBe("legacy-3des-sha1");
    for (const p of [noKey, unreadable]) {
      if (p.action !== "deliver") throw new Error("expected deliver");
      expect(p.presentBefore).toBe(true);
      expect(p.remove).toBeUndefined();
    }
  });

  it("fresh one-time password per plan; presence and probe verdicts", () => {
    const a = planHostDelivery(contents, { host: "h", shell: "cmd", build: 14393, certificates: [], runId: RUN });
    const b = planHostDelivery(contents, { host: "h", shell: "cmd", build: 14393, certificates: [], runId: RUN });
    if (a.action !== "deliver" || b.action !== "deliver") throw new Error("expected deliver");
    expect(a.password.reveal()).not.toBe(b.password.reveal());
    expect(presenceOf([{ ...cert(true), store: "WebHosting" }], THUMB)).toBe("absent");
    expect(judgeProbe([cert(true)], THUMB)).toBe("usable");
    expect(judgeProbe([cert(false)], THUMB)).toBe("no-key");
    expect(judgeProbe([cert("unknown")], THUMB)).toBe("unknown");
    expect(judgeProbe([], THUMB)).toBe("absent");
    expect(newRunId(new Date("2026-11-28T03:00:00.123Z"), (n) => Buffer.alloc(n, 0xab))).toBe("20261128T030000Z-abababab");
  });
});

describe("a plan run over real SSH and SFTP against simulated hosts", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness([
      { name: "w2016", profile: { os: "2016", shell: "cmd", language: "en" } },
      { name: "w2012", profile: { os: "2012r2", shell: "powershell", language: "de" } },
      { name: "w2022", profile: { os: "2022", shell: "powershell", language: "de" } },
      { name: "w2025", profile: { os: "2025", shell: "cmd", language: "en" } },
    ]);
  });
  afterAll(async () => h.close());

  async function sh(t: Transport, command: string) {
    const r = await t.exec(command);
    return { text: decodeWindowsOutput(Buffer.concat([r.stdout, r.stderr]), 850), code: r.code };
  }

  async function run(name: string): Promise<{ plan: HostDeliveryPlan; verdict: string; proof: string; outcome: string }> {
    const host = h.hosts.find((x) => x.name === name)!;
    const sim = h.fleet.host(name);
    const t = await h.deps.connect(host);
    try {
      const build = parseOsBuild((await sh(t, osBuildCommand(sim.profile.shell))).text);
      const discovered = parseCertutilStore((await sh(t, `certutil -store My`)).text).certificates;
      const plan = planHostDelivery(contents, { host: name, shell: sim.profile.shell, build, certificates: discovered, runId: RUN });
      if (plan.action !== "deliver") return { plan, verdict: "skipped", proof: "none", outcome: "none" };
      let outcome = "none";
      let verdict = "none";
      let proof = "unknown";
      try {
        expect((await sh(t, plan.prepare.command as string)).code).toBe(0);
        for (const u of plan.uploads) await t.uploadBytes!(u.sftpPath, Buffer.isBuffer(u.bytes) ? u.bytes : u.bytes.reveal());
        const imp = await sh(t, (plan.import.command as Secret<string>).reveal());
        outcome = classifyImportPfx(imp.text, imp.code, { format: plan.format, build, password: plan.password }).outcome;
        for (const s of plan.intermediates) expect((await sh(t, s.command as string)).code).toBe(0);
        verdict = judgeProbe(parseCertutilStore((await sh(t, plan.probe.command as string)).text).certificates, THUMB);
      } finally {
        // in every outcome
        proof = parseCleanupProof((await sh(t, plan.cleanup.command as string)).text);
      }
      return { plan, verdict, proof, outcome };
    } finally {
      await t.close();
    }
  }

  it("each host gets its format, ends with the certificate and its key in My, the intermediate in CA, and no staged file", async () => {
    for (const [name, format] of [
      ["w2016", "legacy-3des-sha1"],
      ["w2012", "legacy-3des-sha1"],
      ["w2022", "aes256-sha256"],
      ["w2025", "aes256-sha256"],
    ] as const) {
      const r = await run(name);
      expect(r.plan.action === "deliver" && r.plan.format, name).toBe(format);
      expect(r.outcome, name).toBe("imported");
      expect(r.verdict, name).toBe("usable");
      expect(r.proof, name).toBe("gone");
      const snap = h.fleet.host(name).snapshot();
      expect(snap.files, name).toEqual([]);
      expect(snap.certificates.map((c) => [c.thumbprint, c.store, c.hasPrivateKey]), name).toEqual([
        [THUMB, "My", true],
        [contents.intermediates[0]!.thumbprint, "CA", false],
      ]);
    }
  });

  it("a second run finds the certificate and sends nothing more", async () => {
    const before = h.fleet.host("w2016").commandLog.length;
    const r = await run("w2016");
    expect(r.plan.action).toBe("already-present");
    expect(h.fleet.host("w2016").commandLog.slice(before)).toEqual(["ver", "certutil -store My"]);
  });
});
