/**
 * Transport.uploadBytes: a host's PFX goes from memory to the host over SFTP (Windows' /C:/ path
 * form), through the pooled connection, without a local file; failures name the path, never the
 * bytes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CertfleetError } from "../../src/model/errors.js";
import { startHarness, type Harness } from "../support/harness.js";

let h: Harness;

beforeAll(async () => {
  h = await startHarness([
    { name: "web01", profile: { os: "2016", shell: "cmd" } },
    { name: "web02", profile: { os: "2022", shell: "powershell" }, faults: { noSftp: true } },
  ]);
});
afterAll(async () => h.close());

describe("uploadBytes", () => {
  it("writes the bytes to the /C:/ path over the pooled SSH connection", async () => {
    const host = h.hosts.find((x) => x.name === "web01")!;
    const t = await h.deps.connect(host);
    const bytes = Buffer.from("30820a0b0201033082", "hex");
    h.fleet.host("web01").files.mkdir("C:\\ProgramData\\certfleet\\run1");
    await t.uploadBytes!("/C:/ProgramData/certfleet/run1/certificate.pfx", bytes);
    expect(h.fleet.host("web01").files.readFile("C:\\ProgramData\\certfleet\\run1\\certificate.pfx")?.equals(bytes)).toBe(true);
    await t.close();
  });

  it("a refused upload is a CertfleetError naming the path and the size, not the content", async () => {
    const host = h.hosts.find((x) => x.name === "web02")!;
    const t = await h.deps.connect(host);
    const secret = Buffer.from("Secret-PFX-bytes-Zebra-4410");
    const err = await t.uploadBytes!("/C:/ProgramData/x.pfx", secret).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CertfleetError);
    expect((err as CertfleetError).message).toMatch(/^upload of 27 bytes to \/C:\/ProgramData\/x\.pfx failed/);
    for (const form of [secret.toString("latin1"), secret.toString("base64"), secret.toString("hex")]) expect((err as Error).message).not.toContain(form);
    await t.close();
  });
});
