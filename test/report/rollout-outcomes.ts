/**
 * A rollout's outcomes as the engine returns them (src/host/outcome.ts), with failures: web1
 * changed, web2's update failed with a French 1312 (a second binding never attempted), web3's
 * TLS proof failed and it was put back, web4 refused the connection, web5 was never started.
 */
import type { BindingOutcome, HostOutcome, RunOutcome } from "../../src/host/outcome.js";
import type { Binding } from "../../src/model/binding.js";
import type { Certificate } from "../../src/model/certificate.js";
import { CertfleetError } from "../../src/model/errors.js";
import { reportFromRun } from "../../src/report/from-outcomes.js";

export const NEW = "a1b2c3d4e5f60718293a4b5c6d7e8f9011223344";
export const OLD = "0f1e2d3c4b5a69788796a5b4c3d2e1f00a1b2c3d";
const APPID = "{4dc3e181-e14b-4a21-b022-59fc669b0914}";
const REMOTE_1312 = "Echec de l'ajout du certificat SSL, erreur : 1312\nUne session ouverte spécifiée n'existe pas.";
export const JOURNAL = "certfleet-out/20261128-rollout/journal.jsonl";

const binding = (endpoint: string, certHash: string | null): Binding => ({ kind: "ipport", endpoint, certHash, appId: APPID, storeName: "MY", settings: {} });
const cert = (thumbprint: string, subject: string, notAfter: string): Certificate => ({
  thumbprint,
  subject,
  notBefore: "2026-01-01T00:00:00.000Z",
  notAfter,
  hasPrivateKey: true,
  store: "My",
});
const STORE = [cert(OLD, "CN=*.example.com", "2026-12-05T00:00:00.000Z"), cert(NEW, "CN=*.example.com", "2027-12-20T00:00:00.000Z")];

/** As the engine reports them: the binding's own fields are what discovery read; `after` what was read back. */
const moved = (endpoint: string): BindingOutcome => ({ ...binding(endpoint, OLD), before: binding(endpoint, OLD), after: binding(endpoint, NEW), action: "rebind", scope: "old" });
const failedChange = (endpoint: string): BindingOutcome => ({ ...binding(endpoint, OLD), before: binding(endpoint, OLD), after: binding(endpoint, OLD), action: "failed", scope: "old" });
const putBack = (endpoint: string): BindingOutcome => ({
  ...binding(endpoint, OLD),
  before: binding(endpoint, OLD),
  after: binding(endpoint, OLD),
  action: "restored",
  scope: "old",
  proof: { ok: false, servedThumbprint: OLD, expectedThumbprint: NEW, attempts: 3 },
});
const neverTried = (endpoint: string): BindingOutcome => ({ ...binding(endpoint, OLD), action: "none", scope: "old" });

function host(name: string, status: HostOutcome["status"], bindings: BindingOutcome[], error?: CertfleetError): HostOutcome {
  return { name, address: `10.0.0.${name.slice(-1)}`, status, wave: 1, durationMs: 1200, certificates: STORE, bindings, ...(error ? { error } : {}) };
}

export function rollout(newCert: NonNullable<RunOutcome["target"]>["newCert"]): RunOutcome {
  return {
    command: "rollout",
    startedAt: "2026-11-28T03:00:00.000Z",
    finishedAt: "2026-11-28T03:05:00.000Z",
    target: { newCert, oldThumbprints: [] },
    hosts: [
      host("web1", "changed", [moved("0.0.0.0:443"), moved("10.0.0.1:8443")]),
      host("web2", "failed", [failedChange("0.0.0.0:443"), neverTried("10.0.0.2:8443")], new CertfleetError("apply", "update of 0.0.0.0:443 failed", "web2", REMOTE_1312)),
      host("web3", "failed", [putBack("0.0.0.0:443")], new CertfleetError("verify", "0.0.0.0:443: served the old certificate; the host was restored", "web3")),
      { name: "web4", address: "10.0.0.4", status: "failed", durationMs: 10, bindings: [], error: new CertfleetError("unreachable", "cannot connect to 10.0.0.4 port 22: ECONNREFUSED", "web4") },
      { name: "web5", address: "10.0.0.5", status: "halted", durationMs: 0, bindings: [] },
    ],
  };
}

export const fromFile = { thumbprint: NEW, subject: "CN=*.example.com, O=Example", dnsNames: ["*.example.com", "example.com"], notBefore: "2026-11-01T00:00:00.000Z", notAfter: "2027-11-30T00:00:00.000Z", source: "file" as const };
/** The report of that rollout, written with its journal and `--new new.cer`. */
export const report = reportFromRun(rollout(fromFile), { journal: JOURNAL, certificate: "new.cer" });

