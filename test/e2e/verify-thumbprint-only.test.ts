/**
 * verify --expect <thumbprint> tells an old certificate from an unrelated one by the expected
 * certificate's subject, which a bare thumbprint does not carry: a host whose store lacks the
 * expected certificate (the rollout never reached it) must not pass with its bindings still on the
 * old certificate called "out of scope". Seen in the demo: a host whose delivery failed passed verify.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runVerify } from "../support/reported.js";
import { demoCertificates, type SimHostSpec } from "../../src/simulator/index.js";
import { startHarness, type Harness } from "../support/harness.js";
import { FAST_TIMING, IIS_APPID, targetFor } from "../support/verifier-fleet.js";
import type { Target } from "../../src/certificate/target.js";

const { oldCert, newCert, unrelatedCert } = demoCertificates();
const on = (cert: { thumbprint: string }, endpoint = "0.0.0.0:443") => ({ kind: "ipport" as const, endpoint, certHash: cert.thumbprint, appId: IIS_APPID, storeName: "MY" });

const specs: SimHostSpec[] = [
  // delivery never reached it: no new certificate, its binding on the old one
  { name: "missed", certificates: [{ cert: oldCert }], bindings: [on(oldCert)] },
  // rolled out: both certificates, the binding on the new one
  { name: "done", certificates: [{ cert: oldCert }, { cert: newCert }], bindings: [on(newCert)] },
  // a host of the inventory that never used the wildcard
  { name: "other", certificates: [{ cert: unrelatedCert }], bindings: [on(unrelatedCert, "0.0.0.0:8443")] },
  // nothing bound at all
  { name: "empty", certificates: [], bindings: [] },
];

describe("verify with a bare thumbprint", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(specs, { commandTimeoutMs: 20_000 });
  });
  afterAll(async () => h?.close());

  const bare: Target = { newCert: { thumbprint: newCert.thumbprint, source: "thumbprint" }, oldThumbprints: [] };

  it("fails a host without the expected certificate whose bindings use other certificates, and says why and what to pass", async () => {
    const report = await runVerify(h.hosts, h.freshDeps(), { target: bare, concurrency: 4, timing: FAST_TIMING });
    const by = new Map(report.hosts.map((x) => [x.name, x]));
    expect(report.hosts.map((x) => [x.name, x.status])).toEqual([
      ["missed", "failed"],
      ["done", "ok"],
      ["other", "failed"],
      ["empty", "ok"],
    ]);
    const missed = by.get("missed")!;
    expect(missed.error?.message).toContain(`the expected certificate ${newCert.thumbprint} is not in this host's LocalMachine\\My store and 1 binding(s) use other certificates (0.0.0.0:443 on ${oldCert.thumbprint})`);
    expect(missed.error?.message).toContain("pass --expect the certificate file");
    expect(missed.bindings[0]!.reason).toMatch(/^not judged/);
    expect(missed.remedy?.cause).toMatch(/not on this host/);
    expect(missed.remedy?.fix).toContain("certfleet deliver --new renewed.pfx -l missed");
  });

  it("with the certificate file, the same fleet is judged: the missed host is a straggler, the other host out of scope", async () => {
    const report = await runVerify(h.hosts, h.freshDeps(), { target: targetFor(newCert), concurrency: 4, timing: FAST_TIMING });
    expect(report.hosts.map((x) => [x.name, x.status])).toEqual([
      ["missed", "failed"],
      ["done", "ok"],
      ["other", "ok"],
      ["empty", "ok"],
    ]);
    const missed = report.hosts[0]!;
    expect(missed.bindings[0]).toMatchObject({ scope: "old", reason: expect.stringMatching(/STRAGGLER/) });
    expect(report.hosts[2]!.bindings[0]).toMatchObject({ scope: "unrelated" });
  });
});
