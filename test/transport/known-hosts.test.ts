import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ssh2 from "ssh2";
import { describe, expect, it } from "vitest";
import {
  appendKnownHost,
  checkHostKey,
  fingerprintSha256,
  globMatch,
  hashHostName,
  keyTypeFromBlob,
  knownKeyTypes,
  parseKnownHosts,
  readKnownHosts,
} from "../../src/transport/known-hosts.js";
import { CertfleetError } from "../../src/model/errors.js";

type KeyType = "ed25519" | "ecdsa" | "rsa";
function makeKey(type: KeyType, bits?: 256 | 384 | 521): { line: string; type: string; blob: Buffer } {
  const pair =
    type === "rsa"
      ? ssh2.utils.generateKeyPairSync("rsa", { bits: 2048 })
      : type === "ecdsa"
        ? ssh2.utils.generateKeyPairSync("ecdsa", { bits: bits ?? 256 })
        : ssh2.utils.generateKeyPairSync("ed25519");
  const [t, b64] = pair.public.trim().split(" ");
  return { line: `${t} ${b64}`, type: t!, blob: Buffer.from(b64!, "base64") };
}

const ed = makeKey("ed25519");
const ed2 = makeKey("ed25519");
const ec256 = makeKey("ecdsa", 256);
const ec384 = makeKey("ecdsa", 384);
const ec521 = makeKey("ecdsa", 521);
const rsa = makeKey("rsa");

describe("fingerprintSha256", () => {
  it.each([
    ["ssh-ed25519", ed],
    ["ecdsa-sha2-nistp256", ec256],
    ["ecdsa-sha2-nistp384", ec384],
    ["ecdsa-sha2-nistp521", ec521],
    ["ssh-rsa", rsa],
  ])("%s equals what ssh-keygen -lf prints", async (type, key) => {
    expect(keyTypeFromBlob(key.blob)).toBe(type);
    const dir = await mkdtemp(join(tmpdir(), "certfleet-fp-"));
    const file = join(dir, "key.pub");
    await writeFile(file, `${key.line} test\n`);
    // e.g. "256 SHA256:8o0k... test (ED25519)"
    const printed = execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", file], { encoding: "utf8" });
    const expected = printed.split(" ")[1];
    expect(expected).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(fingerprintSha256(key.blob)).toBe(expected);
  });
});

describe("parseKnownHosts", () => {
  it("reads plain, bracketed, hashed and marker lines; skips comments, blanks and junk", () => {
    const text = [
      "# a comment",
      "",
      `web01,10.0.0.11 ${ed.line}`,
      `[127.0.0.1]:2222 ${ec256.line} comment words here`,
      `${hashHostName("10.0.0.12", randomBytes(20))} ${rsa.line}`,
      `@revoked * ${ed2.line}`,
      `@cert-authority *.example.com ${ec384.line}`,
      "@bogus host ssh-ed25519 AAAA",
      "garbage",
      `host ssh-ed25519 ${ec256.blob.toString("base64")}`, // type and blob disagree
      "\t",
    ].join("\r\n");
    const entries = parseKnownHosts(text);
    expect(entries.map((e) => [e.line, e.marker, e.keyType])).toEqual([
      [3, null, "ssh-ed25519"],
      [4, null, "ecdsa-sha2-nistp256"],
      [5, null, "ssh-rsa"],
      [6, "revoked", "ssh-ed25519"],
      [7, "cert-authority", "ecdsa-sha2-nistp384"],
    ]);
  });
});

describe("checkHostKey", () => {
  it("plain entries: match, changed (same type), changed (other type only), unknown", () => {
    const entries = parseKnownHosts(`web01.example.com,10.0.0.11 ${ed.line}\n`);
    expect(checkHostKey(entries, "10.0.0.11", 22, "ssh-ed25519", ed.blob)).toBe("match");
    expect(checkHostKey(entries, "WEB01.example.com", 22, "ssh-ed25519", ed.blob)).toBe("match");
    expect(checkHostKey(entries, "10.0.0.11", 22, "ssh-ed25519", ed2.blob)).toBe("changed");
    expect(checkHostKey(entries, "10.0.0.11", 22, "ecdsa-sha2-nistp256", ec256.blob)).toBe("changed");
    expect(checkHostKey(entries, "10.0.0.12", 22, "ssh-ed25519", ed.blob)).toBe("unknown");
    // a plain name matches only port 22
    expect(checkHostKey(entries, "10.0.0.11", 2222, "ssh-ed25519", ed.blob)).toBe("unknown");
  });

  it("[host]:port form for non-22 ports", () => {
    const entries = parseKnownHosts(`[127.0.0.1]:2222 ${ed.line}\n`);
    expect(checkHostKey(entries, "127.0.0.1", 2222, "ssh-ed25519", ed.blob)).toBe("match");
    expect(checkHostKey(entries, "127.0.0.1", 22, "ssh-ed25519", ed.blob)).toBe("unknown");
    expect(checkHostKey(entries, "127.0.0.1", 2223, "ssh-ed25519", ed.blob)).toBe("unknown");
  });

  it("hashed entries made with HMAC-SHA1 of the host string", () => {
    const salt = randomBytes(20);
    const line22 = `${hashHostName("10.0.0.11", salt)} ${ed.line}`;
    const line2222 = `${hashHostName("[10.0.0.11]:2222", randomBytes(20))} ${ec256.line}`;
    const entries = parseKnownHosts(`${line22}\n${line2222}\n`);
    expect(checkHostKey(entries, "10.0.0.11", 22, "ssh-ed25519", ed.blob)).toBe("match");
    expect(checkHostKey(entries, "10.0.0.11", 2222, "ecdsa-sha2-nistp256", ec256.blob)).toBe("match");
    expect(checkHostKey(entries, "10.0.0.11", 22, "ssh-ed25519", ed2.blob)).toBe("changed");
    expect(checkHostKey(entries, "10.0.0.1", 22, "ssh-ed25519", ed.blob)).toBe("unknown");
  });

  it("hashed entry written by ssh-keygen -H is matched", async () => {
    const dir = await mkdtemp(join(tmpdir(), "certfleet-kh-"));
    const file = join(dir, "known_hosts");
    await writeFile(file, `[127.0.0.1]:2222 ${ed.line}\n`);
    execFileSync("ssh-keygen", ["-H", "-f", file], { stdio: "ignore" });
    const text = await readFile(file, "utf8");
    expect(text).toMatch(/^\|1\|/);
    expect(checkHostKey(parseKnownHosts(text), "127.0.0.1", 2222, "ssh-ed25519", ed.blob)).toBe("match");
  });

  it("wildcards and negation", () => {
    const entries = parseKnownHosts(`*.corp.example.com,!bad.corp.example.com,10.0.0.?? ${ed.line}\n`);
    expect(checkHostKey(entries, "web.corp.example.com", 22, "ssh-ed25519", ed.blob)).toBe("match");
    expect(checkHostKey(entries, "bad.corp.example.com", 22, "ssh-ed25519", ed.blob)).toBe("unknown");
    expect(checkHostKey(entries, "10.0.0.42", 22, "ssh-ed25519", ed.blob)).toBe("match");
    expect(checkHostKey(entries, "10.0.0.4", 22, "ssh-ed25519", ed.blob)).toBe("unknown");
    expect(globMatch("abc", "a*c*")).toBe(true);
    expect(globMatch("abcd", "a*c")).toBe(false);
  });

  it("revoked beats a matching entry; cert-authority lines never match a plain key", () => {
    const entries = parseKnownHosts(`10.0.0.11 ${ed.line}\n@revoked * ${ed.line}\n@cert-authority 10.0.0.12 ${ec256.line}\n`);
    expect(checkHostKey(entries, "10.0.0.11", 22, "ssh-ed25519", ed.blob)).toBe("revoked");
    expect(checkHostKey(entries, "10.0.0.12", 22, "ecdsa-sha2-nistp256", ec256.blob)).toBe("unknown");
  });

  it("knownKeyTypes lists the types on file for a host", () => {
    const entries = parseKnownHosts(`h ${ec256.line}\nh ${ed.line}\nother ${rsa.line}\n@revoked h ${rsa.line}\n`);
    expect(knownKeyTypes(entries, "h", 22)).toEqual(["ecdsa-sha2-nistp256", "ssh-ed25519"]);
  });
});

describe("appendKnownHost", () => {
  it("creates the file 0600, appends, is idempotent, never replaces a changed key", async () => {
    const dir = await mkdtemp(join(tmpdir(), "certfleet-kh-"));
    const file = join(dir, "sub", "known_hosts");
    await appendKnownHost(file, "127.0.0.1", 2222, ed.line);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readFile(file, "utf8")).toBe(`[127.0.0.1]:2222 ${ed.line}\n`);

    await appendKnownHost(file, "127.0.0.1", 2222, ed.line);
    await appendKnownHost(file, "10.0.0.5", 22, ec256.line);
    expect(await readFile(file, "utf8")).toBe(`[127.0.0.1]:2222 ${ed.line}\n10.0.0.5 ${ec256.line}\n`);

    const err = await appendKnownHost(file, "127.0.0.1", 2222, ed2.line).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CertfleetError);
    expect((err as CertfleetError).kind).toBe("host-key");
    expect((err as Error).message).toContain("not replacing it");
    expect(await readFile(file, "utf8")).toBe(`[127.0.0.1]:2222 ${ed.line}\n10.0.0.5 ${ec256.line}\n`);
  });

  it("adds a newline when the file does not end with one, and rejects junk", async () => {
    const dir = await mkdtemp(join(tmpdir(), "certfleet-kh-"));
    const file = join(dir, "known_hosts");
    await writeFile(file, `other ${rsa.line}`);
    await appendKnownHost(file, "h", 22, ed.line);
    expect(await readFile(file, "utf8")).toBe(`other ${rsa.line}\nh ${ed.line}\n`);
    await expect(appendKnownHost(file, "h", 22, "ssh-ed25519 not-base64!")).rejects.toThrow("not a public key line");
  });
});

describe("readKnownHosts (one parse a run, every change seen)", () => {
  it("an unchanged file is parsed once and shared (read-only); a missing file is empty", async () => {
    const dir = await mkdtemp(join(tmpdir(), "certfleet-kh-"));
    const file = join(dir, "known_hosts");
    expect(await readKnownHosts(file)).toEqual([]);
    await writeFile(file, `h ${ed.line}\nother ${rsa.line}\n`);
    const [a, b] = await Promise.all([readKnownHosts(file), readKnownHosts(file)]);
    const c = await readKnownHosts(join(dir, ".", "known_hosts"));
    expect(a).toBe(b);
    expect(c).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
    expect(checkHostKey(a, "h", 22, "ssh-ed25519", ed.blob)).toBe("match");
  });

  it("a file rewritten during the run is read again: a key revoked meanwhile is refused", async () => {
    const dir = await mkdtemp(join(tmpdir(), "certfleet-kh-"));
    const file = join(dir, "known_hosts");
    await writeFile(file, `h ${ed.line}\n`);
    const before = await readKnownHosts(file);
    expect(checkHostKey(before, "h", 22, "ssh-ed25519", ed.blob)).toBe("match");
    await writeFile(file, `h ${ed.line}\n@revoked h ${ed.line}\n`);
    const after = await readKnownHosts(file);
    expect(after).not.toBe(before);
    expect(checkHostKey(after, "h", 22, "ssh-ed25519", ed.blob)).toBe("revoked");
  });

  it("a key appended with --accept-new-host-keys is known to the next connection", async () => {
    const dir = await mkdtemp(join(tmpdir(), "certfleet-kh-"));
    const file = join(dir, "known_hosts");
    await writeFile(file, `other ${rsa.line}\n`);
    expect(checkHostKey(await readKnownHosts(file), "h", 22, "ssh-ed25519", ed.blob)).toBe("unknown");
    await appendKnownHost(file, "h", 22, ed.line);
    expect(checkHostKey(await readKnownHosts(file), "h", 22, "ssh-ed25519", ed.blob)).toBe("match");
  });
});
