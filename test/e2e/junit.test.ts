/**
 * junit.xml as CI reads it, from real runs: a tampered binding (http.sys names the new
 * certificate, the endpoint serves another) is exactly one failure, and a good and a bad run of
 * the same fleet list the same test cases.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { runCli } from "../../src/cli/program.js";
import { APPID, demoCertificates, startFleet, toCerFile, type FleetFiles, type SimFleet } from "../../src/simulator/index.js";

function cases(xml: string): Array<{ name: string; failed: boolean }> {
  return [...xml.matchAll(/<testcase classname="([^"]*)" name="([^"]*)"[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g)].map((m) => ({
    name: `${m[1]} / ${m[2]}`,
    failed: /<failure /.test(m[4] ?? ""),
  }));
}

describe("junit.xml: one failure per problem, the same test cases in a good and a bad run", () => {
  let fleet: SimFleet;
  let files: FleetFiles;
  let dir: string;
  let cer: string;

  beforeAll(async () => {
    const { oldCert, newCert } = demoCertificates();
    const certificates = [{ cert: oldCert }, { cert: newCert }];
    fleet = await startFleet([
      {
        name: "web01",
        certificates,
        bindings: [
          { kind: "ipport", endpoint: "0.0.0.0:443", certHash: newCert.thumbprint, appId: APPID.iis, storeName: "MY" },
          { kind: "hostnameport", endpoint: "www.example.com:443", certHash: newCert.thumbprint, appId: APPID.iis, storeName: "MY" },
        ],
        faults: { staleHandshakes: 1_000_000 },
      },
      { name: "web02", certificates, bindings: [{ kind: "ipport", endpoint: "0.0.0.0:443", certHash: newCert.thumbprint, appId: APPID.iis, storeName: "MY" }] },
    ]);
    dir = await mkdtemp(join(tmpdir(), "certfleet-junit-"));
    files = await fleet.writeFiles(dir);
    cer = join(dir, "new.cer");
    writeFileSync(cer, toCerFile(newCert));
    vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await fleet?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const verify = async (out: string) => {
    const code = await runCli(["verify", "-i", files.inventory, "--expect", cer, "--plain", "--verify-window", "0.5", "--verify-interval", "0.1", "--out", join(dir, out)]);
    return { code, xml: readFileSync(join(dir, out, "junit.xml"), "utf8") };
  };

  it("a tampered binding is exactly one failure; the test case names do not change", async () => {
    const good = await verify("good");
    expect(good.code).toBe(0);
    expect(cases(good.xml).filter((c) => c.failed)).toEqual([]);

    // Behind certfleet's back web01:0.0.0.0:443 now serves the old certificate while http.sys names the new one.
    const { oldCert, newCert } = demoCertificates();
    const web01 = fleet.host("web01");
    await web01.putBinding({ kind: "ipport", endpoint: "0.0.0.0:443", certHash: oldCert.thumbprint, appId: APPID.iis, storeName: "MY" });
    await web01.putBinding({ kind: "ipport", endpoint: "0.0.0.0:443", certHash: newCert.thumbprint, appId: APPID.iis, storeName: "MY" });

    const bad = await verify("bad");
    expect(bad.code).toBe(1);
    expect(cases(bad.xml).filter((c) => c.failed).map((c) => c.name)).toEqual(["certfleet.web01 / ipport 0.0.0.0:443"]);
    expect(bad.xml).toMatch(/<testsuites [^>]*failures="1"/);
    expect(new Set(cases(bad.xml).map((c) => c.name))).toEqual(new Set(cases(good.xml).map((c) => c.name)));
    expect(cases(good.xml).map((c) => c.name)).toContain("certfleet.web01 / host");
  });
});
