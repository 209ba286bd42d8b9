/**
 * The simulated fleet learns delivery: a PFX uploaded over real SFTP (node-ssh) into a staging
 * folder only Administrators and SYSTEM can open, imported with certutil the way Windows does it
 * (the 2016-and-older AES refusal with Windows' text, a wrong password, a PFX without a key, an
 * existing certificate), intermediates into CA, removal, and a cleanup that proves the files gone.
 * Commands come from certfleet's builders, results go through certfleet's parsers.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import forge from "node-forge";
import { NodeSSH } from "node-ssh";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readPfx, type PfxContents } from "../../src/certificate/pfx-read.js";
import { oneTimePassword, pfxFormatFor, repackagePfx, type PfxFormat } from "../../src/certificate/pfx-repackage.js";
import { Secret } from "../../src/model/secret.js";
import { startFleet, type SimFleet, type SimHost } from "../../src/simulator/index.js";
import { simCertificateFromDer } from "../../src/simulator/pfx-import.js";
import { parseCertutilStore } from "../../src/windows/certutil-parse.js";
import { decodeWindowsOutput } from "../../src/windows/decode.js";
import {
  addIntermediateCommand,
  cleanupStagingCommand,
  importPfxCommand,
  osBuildCommand,
  parseCleanupProof,
  parseOsBuild,
  prepareStagingCommand,
  probeCertificateCommand,
  removeCertificateCommand,
  stagedPaths,
} from "../../src/windows/delivery-commands.js";
import { classifyImportPfx } from "../../src/windows/importpfx-result.js";
import { closeConnections, run } from "./helpers.js";

const DIR = "test/fixtures/pfx";
const REAL_PASSWORD = "fixture-Pfx-Pass-7Qz";
const notBefore = Date.parse(/notBefore=(.*)/.exec(readFileSync(`${DIR}/thumbprints.txt`, "utf8"))![1]!);
const VALID = new Date(notBefore + 86_400_000);
const source: PfxContents = readPfx("rsa-chain-aes.pfx", readFileSync(`${DIR}/rsa-chain-aes.pfx`), new Secret(REAL_PASSWORD), VALID);
const THUMB = source.leaf.certificate.thumbprint;
const RUN = "20261128T0300Z-test01";

let fleet: SimFleet;
const work = mkdtempSync(join(tmpdir(), "cf-deliver-"));

beforeAll(async () => {
  fleet = await startFleet([
    { name: "w2016", profile: { os: "2016", shell: "cmd", language: "en" } },
    { name: "w2016ps", profile: { os: "2016", shell: "powershell", language: "de" } },
    { name: "w2012", profile: { os: "2012r2", shell: "powershell", language: "en" } },
    { name: "w2022", profile: { os: "2022", shell: "cmd", language: "fr" } },
    { name: "w2025", profile: { os: "2025", shell: "powershell", language: "en" } },
    { name: "lowpriv", profile: { os: "2022", shell: "cmd", language: "en", elevated: false } },
  ]);
});

afterAll(async () => {
  await closeConnections();
  await fleet.stop();
  rmSync(work, { recursive: true, force: true });
});

async function text(host: SimHost, command: string): Promise<{ text: string; code: number | null }> {
  const r = await run(fleet, host, command);
  return { text: decodeWindowsOutput(Buffer.concat([r.stdout, r.stderr]), 850), code: r.code };
}

async function withSsh<T>(host: SimHost, fn: (ssh: NodeSSH) => Promise<T>): Promise<T> {
  const ssh = new NodeSSH();
  await ssh.connect({
    host: "127.0.0.1",
    port: host.sshPort,
    username: fleet.user,
    privateKey: fleet.clientKey.privateKeyPem,
    hostVerifier: (key: Buffer) => key.toString("base64") === host.hostKeyLine.split(" ")[1],
  } as Parameters<NodeSSH["connect"]>[0]);
  try {
    return await fn(ssh);
  } finally {
    ssh.dispose();
  }
}

/** Uploads bytes from memory over SFTP (nothing secret touches the controller's disk). */
async function upload(host: SimHost, sftpPath: string, bytes: Buffer): Promise<void> {
  await withSsh(host, async (ssh) => {
    const sftp = await ssh.requestSFTP();
    try {
      await new Promise<void>((resolve, reject) => sftp.writeFile(sftpPath, bytes, (err) => (err ? reject(err) : resolve())));
    } finally {
      sftp.end();
    }
  });
}

async function deliver(host: SimHost, format: PfxFormat, opts: { password?: Secret<string>; bytes?: Buffer; exportable?: boolean } = {}) {
  const otp = opts.password ?? oneTimePassword();
  const shell = host.profile.shell;
  expect((await text(host, prepareStagingCommand(shell, RUN))).code).toBe(0);
  const paths = stagedPaths(RUN, "certificate.pfx");
  await upload(host, paths.sftp, opts.bytes ?? repackagePfx(source, format, otp).reveal());
  const r = await text(host, importPfxCommand(shell, RUN, "certificate.pfx", otp.reveal(), { exportable: opts.exportable ?? false }));
  const build = parseOsBuild((await text(host, osBuildCommand(shell))).text);
  return { result: classifyImportPfx(r.text, r.code, { format, build, password: otp }), otp, raw: r.text };
}

async function probe(host: SimHost) {
  const r = await text(host, probeCertificateCommand(host.profile.shell, THUMB));
  return parseCertutilStore(r.text).certificates.find((c) => c.thumbprint === THUMB);
}

async function cleanup(host: SimHost): Promise<string> {
  return parseCleanupProof((await text(host, cleanupStagingCommand(host.profile.shell, RUN))).text);
}

describe("ver per OS, both shells", () => {
  it.each([
    ["w2016", 14393],
    ["w2016ps", 14393],
    ["w2012", 9600],
    ["w2022", 20348],
    ["w2025", 26100],
  ])("%s -> build %i", async (name, build) => {
    const host = fleet.host(name);
    expect(parseOsBuild((await text(host, osBuildCommand(host.profile.shell))).text)).toBe(build);
  });
});

describe("staging and SFTP", () => {
  it("node-ssh putFile uploads into the /C:/ path form; the folder is locked to Administrators and SYSTEM; cleanup proves it gone", async () => {
    for (const name of ["w2016", "w2025"]) {
      const host = fleet.host(name);
      expect((await text(host, prepareStagingCommand(host.profile.shell, RUN))).code).toBe(0);
      const paths = stagedPaths(RUN, "chain-1.cer");
      expect(host.files.adminOnly(paths.folder)).toBe(true);
      expect(host.files.adminOnly("C:\\ProgramData\\certfleet")).toBe(true);
      const local = join(work, "chain-1.cer");
      writeFileSync(local, source.intermediates[0]!.der);
      await withSsh(host, (ssh) => ssh.putFile(local, paths.sftp));
      expect(host.files.readFile(paths.file)?.equals(source.intermediates[0]!.der)).toBe(true);
      expect(host.snapshot().files).toEqual([paths.file]);
      expect(await cleanup(host)).toBe("gone");
      expect(host.snapshot().files).toEqual([]);
      expect(await cleanup(host)).toBe("gone"); // harmless when nothing is staged
    }
  });

  it("an account that is not elevated can neither write into the locked folder nor import", async () => {
    const admin = fleet.host("w2022");
    const low = fleet.host("lowpriv");
    // the folder exists and is locked (as an earlier elevated run would leave it)
    low.files.mkdir(stagedPaths(RUN, "certificate.pfx").folder);
    low.files.setAcl("C:\\ProgramData\\certfleet", () => ({ protected: true, grants: ["S-1-5-32-544", "S-1-5-18"], owner: "S-1-5-32-544" }));
    await expect(upload(low, stagedPaths(RUN, "certificate.pfx").sftp, Buffer.from("x"))).rejects.toThrow(/Permission denied/);
    const r = await text(low, importPfxCommand("cmd", RUN, "certificate.pfx", oneTimePassword().reveal()));
    expect(classifyImportPfx(r.text, r.code, { format: "aes256-sha256", build: 20348, password: new Secret("x") }).outcome).toBe("access-denied");
    expect(admin.files.filesUnder()).toEqual([]);
  });

  it("a host without the sftp subsystem refuses the upload", async () => {
    const host = fleet.host("w2022");
    host.faults.noSftp = true;
    try {
      await expect(upload(host, "/C:/ProgramData/x.cer", Buffer.from("x"))).rejects.toThrow();
    } finally {
      host.faults.noSftp = false;
    }
  });
});

describe("certutil -importpfx as Windows does it", () => {
  it("legacy 3DES on 2016 (cmd, en) and 2012 R2 (PowerShell): imported into My with its key, NoExport recorded, nothing in Root", async () => {
    for (const name of ["w2016", "w2012"]) {
      const host = fleet.host(name);
      const { result } = await deliver(host, pfxFormatFor(name === "w2016" ? 14393 : 9600));
      expect(result.outcome).toBe("imported");
      expect((await probe(host))?.hasPrivateKey).toBe(true);
      expect((await text(host, probeCertificateCommand(host.profile.shell, THUMB))).text).toContain("Private key is NOT exportable");
      const snap = host.snapshot();
      expect(snap.certificates).toEqual([{ thumbprint: THUMB, hasPrivateKey: true, store: "My", exportable: false }]);
      expect(await cleanup(host)).toBe("gone");
      expect(host.snapshot().files).toEqual([]);
    }
  });

  it("AES-256 on 2016 fails exactly as Windows fails: 0x80070056, 'The specified network password is not correct.' (German host: its German text)", async () => {
    const en = fleet.host("w2016");
    en.certificates = [];
    const a = await deliver(en, "aes256-sha256");
    expect(a.result).toMatchObject({ outcome: "format-refused", code: "0x80070056" });
    expect(a.raw).toContain("CertUtil: -importPFX command FAILED: 0x80070056 (WIN32: 86 ERROR_INVALID_PASSWORD)");
    expect(a.raw).toContain("CertUtil: The specified network password is not correct.");
    expect(en.snapshot().certificates).toEqual([]);

    const de = fleet.host("w2016ps");
    const b = await deliver(de, "aes256-sha256");
    expect(b.result.outcome).toBe("format-refused");
    expect(b.raw).toContain("-importPFX-Befehl ist fehlgeschlagen: 0x80070056 (WIN32: 86 ERROR_INVALID_PASSWORD)");
    expect(b.raw).toContain("Das angegebene Netzwerkkennwort ist falsch.");
    expect(de.snapshot().certificates).toEqual([]);
    // the same file in the legacy format imports on the same host
    expect((await deliver(de, "legacy-3des-sha1")).result.outcome).toBe("imported");
    for (const h of [en, de]) expect(await cleanup(h)).toBe("gone");
  });

  it("a PFX made by OpenSSL 3 with its defaults (AES) fails on 2016 the same way", async () => {
    const host = fleet.host("w2016");
    host.certificates = [];
    expect((await text(host, prepareStagingCommand("cmd", RUN))).code).toBe(0);
    const paths = stagedPaths(RUN, "certificate.pfx");
    await upload(host, paths.sftp, readFileSync(`${DIR}/rsa-chain-aes.pfx`));
    // certfleet's builder would refuse this password (not a one-time password); the test types the line itself
    expect(() => importPfxCommand("cmd", RUN, "certificate.pfx", REAL_PASSWORD)).toThrow(/not a certfleet one-time password/);
    const r = await text(host, `certutil -f -p ${REAL_PASSWORD} -importpfx My ${paths.file} NoExport`);
    const result = classifyImportPfx(r.text, r.code, { format: "aes256-sha256", build: 14393, password: new Secret(REAL_PASSWORD) });
    expect(result).toMatchObject({ outcome: "format-refused", code: "0x80070056" });
    expect(result.text).not.toContain(REAL_PASSWORD);
    expect(host.snapshot().certificates).toEqual([]);
    expect(await cleanup(host)).toBe("gone");
  });

  it("AES-256 on 2022 (cmd, fr) and 2025 (PowerShell): imported", async () => {
    for (const name of ["w2022", "w2025"]) {
      const host = fleet.host(name);
      const { result } = await deliver(host, "aes256-sha256", { exportable: true });
      expect(result.outcome).toBe("imported");
      // The French key-test line (constructed) is read too: the key is there.
      expect((await probe(host))?.hasPrivateKey).toBe(true);
      expect(host.snapshot().certificates).toEqual([{ thumbprint: THUMB, hasPrivateKey: true, store: "My", exportable: true }]);
      expect(await cleanup(host)).toBe("gone");
    }
  });

  it("a wrong password: 0x80070056 on every build, read as a wrong password where the format was right", async () => {
    const host = fleet.host("w2022");
    host.certificates = [];
    const good = oneTimePassword();
    const bytes = repackagePfx(source, "aes256-sha256", good).reveal();
    const other = oneTimePassword();
    const { result } = await deliver(host, "aes256-sha256", { password: other, bytes });
    expect(result).toMatchObject({ outcome: "wrong-password", code: "0x80070056" });
    expect(host.snapshot().certificates).toEqual([]);
    expect(await cleanup(host)).toBe("gone");
  });

  it("a PFX without a key imports the certificate without one: the probe says so", async () => {
    const host = fleet.host("w2016");
    host.certificates = [];
    const otp = oneTimePassword();
    const cert = forge.pki.certificateFromAsn1(forge.asn1.fromDer(source.leaf.der.toString("binary")));
    const noKey = Buffer.from(forge.asn1.toDer(forge.pkcs12.toPkcs12Asn1(null, [cert], otp.reveal(), { algorithm: "3des" })).getBytes(), "binary");
    const { result } = await deliver(host, "legacy-3des-sha1", { password: otp, bytes: noKey });
    expect(result.outcome).toBe("imported");
    expect((await probe(host))?.hasPrivateKey).toBe(false);
    expect(host.snapshot().certificates).toEqual([{ thumbprint: THUMB, hasPrivateKey: false, store: "My" }]);
    expect(await cleanup(host)).toBe("gone");
  });

  it("fault importDropsKey: certutil says it completed, the probe shows the certificate without its key", async () => {
    const host = fleet.host("w2025");
    host.certificates = [];
    host.faults.importDropsKey = true;
    try {
      const { result } = await deliver(host, "aes256-sha256");
      expect(result.outcome).toBe("imported");
      expect((await probe(host))?.hasPrivateKey).toBe(false);
      expect(host.snapshot().certificates).toEqual([{ thumbprint: THUMB, hasPrivateKey: false, store: "My" }]);
    } finally {
      host.faults.importDropsKey = false;
      host.certificates = [];
    }
    expect(await cleanup(host)).toBe("gone");
  });

  it("an existing certificate is replaced in place (one entry, key kept)", async () => {
    const host = fleet.host("w2022");
    host.certificates = [];
    host.addCertificate({ cert: simCertificateFromDer(source.leaf.der, source.key.reveal().toString("base64")), hasPrivateKey: true });
    const { result, raw } = await deliver(host, "aes256-sha256");
    expect(result.outcome).toBe("imported");
    expect(raw).toMatch(/est déjà dans le magasin|already in store/);
    expect(host.snapshot().certificates).toEqual([{ thumbprint: THUMB, hasPrivateKey: true, store: "My", exportable: false }]);
    expect(await cleanup(host)).toBe("gone");
  });

  it("the intermediate goes to CA, never Root; delstore removes only what it names", async () => {
    const host = fleet.host("w2025");
    host.certificates = [];
    await deliver(host, "aes256-sha256");
    const cer = stagedPaths(RUN, "chain-1.cer");
    await upload(host, cer.sftp, source.intermediates[0]!.der);
    const add = await text(host, addIntermediateCommand("powershell", RUN, "chain-1.cer"));
    expect(add.text).toContain("CertUtil: -addstore command completed successfully.");
    expect(host.snapshot().certificates.map((c) => [c.thumbprint, c.store])).toEqual([
      [THUMB, "My"],
      [source.intermediates[0]!.thumbprint, "CA"],
    ]);
    expect(host.snapshot().certificates.some((c) => c.store === "Root")).toBe(false);

    const del = await text(host, removeCertificateCommand("powershell", THUMB));
    expect(del.text).toContain("CertUtil: -delstore command completed successfully.");
    expect(host.snapshot().certificates.map((c) => c.store)).toEqual(["CA"]);
    const again = await text(host, removeCertificateCommand("powershell", THUMB));
    expect(again.text).toContain("0x80092004");
    expect(await cleanup(host)).toBe("gone");
    expect(host.snapshot().files).toEqual([]);
  });

  it("what the hosts printed, once classified, holds neither the one-time password nor the real one", async () => {
    const host = fleet.host("w2016ps");
    host.certificates = [];
    const otp = oneTimePassword();
    const { result, raw } = await deliver(host, "aes256-sha256", { password: otp });
    expect(result.outcome).toBe("format-refused");
    for (const s of [JSON.stringify(result), raw]) {
      expect(s).not.toContain(otp.reveal());
      expect(s).not.toContain(REAL_PASSWORD);
    }
    // the one place the one-time password travels: that host's import command line
    expect(host.commandLog.filter((c) => c.includes(otp.reveal())).length).toBe(1);
    expect(host.commandLog.some((c) => c.includes(REAL_PASSWORD))).toBe(false);
    expect(await cleanup(host)).toBe("gone");
  });
});
