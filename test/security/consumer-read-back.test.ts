/**
 * Issue 11 read-backs from a hostile host: whatever `winrm`, `reg`, `certutil` or `icacls` print,
 * the consumer parsers never throw, and every value they hand on (thumbprints, key file names,
 * SIDs) is in the strict form the builders accept, or the builder refuses it before sending.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CertfleetError } from "../../src/model/errors.js";
import { keyGrantReadCommand } from "../../src/windows/consumer-commands.js";
import { isSendable } from "../../src/windows/commands.js";
import { extraReaders, parseIcaclsSave, parseKeyLocation } from "../../src/windows/key-acl-parse.js";
import { parseRegBinaryHash } from "../../src/windows/reg-parse.js";
import { parseWinrmListeners } from "../../src/windows/winrm-listener-parse.js";
import { PAYLOADS, hostileString } from "../support/security-arbitraries.js";

const RUNS = Number(process.env.CERTFLEET_FC_RUNS ?? 3000);
const hostileLine = fc.oneof(hostileString, fc.constantFrom(...PAYLOADS));

const winrmText = fc
  .array(fc.tuple(fc.constantFrom("Address", "Transport", "Port", "Hostname", "CertificateThumbprint", "ListeningOn", "Other"), hostileLine), { maxLength: 8 })
  .map((kv) => `Listener\r\n${kv.map(([k, v]) => `    ${k} = ${v}`).join("\r\n")}\r\n`);
const regText = hostileLine.map((v) => `\r\nHKEY_LOCAL_MACHINE\\X\r\n    SSLCertificateSHA1Hash    REG_BINARY    ${v}\r\n`);
const certutilText = fc.tuple(hostileLine, hostileLine, hostileLine).map(([k, u, p]) => `  Key Container = ${k}\r\n  Unique container name: ${u}\r\n  Provider = ${p}\r\n`);
const sddlText = fc
  .array(fc.tuple(fc.constantFrom("A", "D", "OA", ""), fc.oneof(fc.constantFrom("FR", "FA", "0x120089", "GR"), hostileLine), fc.oneof({ weight: 6, arbitrary: fc.constantFrom("NS", "SY", "S-1-5-20", "S-1-5-21-1-2-3-4", "S-1-5-80-99999999999") }, { weight: 1, arbitrary: hostileLine })), { maxLength: 4 })
  .map((aces) => `x\r\nD:PAI${aces.map(([t, r, s]) => `(${t};;${r};;;${s})`).join("")}\r\n`);

describe("consumer read-backs from a hostile host", () => {
  it("winrm listener values: thumbprints are 40 lowercase hex or null", () => {
    fc.assert(
      fc.property(fc.oneof(winrmText, hostileString), (text) => {
        for (const l of parseWinrmListeners(text).listeners) {
          if (l.certificateThumbprint !== null) expect(l.certificateThumbprint).toMatch(/^[0-9a-f]{40}$/);
        }
      }),
      { numRuns: RUNS, seed: 1101 },
    );
  });

  it("registry values: present means 40 lowercase hex", () => {
    fc.assert(
      fc.property(fc.oneof(regText, hostileString), (text) => {
        const r = parseRegBinaryHash(text, "SSLCertificateSHA1Hash");
        if (r.state === "present") expect(r.thumbprint).toMatch(/^[0-9a-f]{40}$/);
      }),
      { numRuns: RUNS, seed: 1102 },
    );
  });

  it("key locations are <32 hex>_<GUID> or refused", () => {
    fc.assert(
      fc.property(fc.oneof(certutilText, hostileString), (text) => {
        const r = parseKeyLocation(text);
        if (r.ok) expect(r.location.uniqueName).toMatch(/^[0-9a-f]{32}_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
        else expect(r.reason).not.toMatch(/[\r\n]/);
      }),
      { numRuns: RUNS, seed: 1103 },
    );
  });

  it("readers carried over to a new key are SIDs; their grant is sendable or refused", () => {
    let carried = 0;
    const key = { uniqueName: "46f11b4056ad38609b08d1dea6880023_7989b711-2e3f-4107-9aae-fb8df2e3b958", storage: "csp" as const };
    fc.assert(
      fc.property(fc.oneof(sddlText, hostileString), fc.constantFrom("cmd" as const, "powershell" as const), (text, shell) => {
        const r = parseIcaclsSave(text);
        if (!r.ok) return;
        for (const sid of extraReaders(r.acl)) {
          carried++;
          expect(sid).toMatch(/^S-1-\d+(?:-\d+)+$/);
          try {
            expect(isSendable(shell, keyGrantReadCommand(shell, key, sid))).toBe(true);
          } catch (error) {
            expect(error).toBeInstanceOf(CertfleetError);
          }
        }
      }),
      { numRuns: RUNS, seed: 1104 },
    );
    expect(carried).toBeGreaterThan(RUNS / 20);
  });
});
