import type { Binding } from "../model/binding.js";
import type { Certificate } from "../model/certificate.js";
import type { HostState } from "../model/host-state.js";
import { addParamsFor } from "../windows/commands.js";
import { endpointPatternFor, isSafeValue, shown } from "../windows/grammar.js";
import { nameCovers, namesOf } from "../certificate/names.js";
import { defaultOldThumbprints, newerOfSameName } from "./old-certificates.js";
import type { Target } from "../certificate/target.js";
import type { Finding, HostPlan, PlannedBinding } from "./schema.js";

const day = (iso: string | undefined) => (iso ? iso.slice(0, 10) : "an unknown date");

function describe(cert: Certificate | undefined, hash: string): string {
  return cert ? `${cert.subject.match(/CN=([^,]+)/i)?.[1] ?? cert.subject}, expires ${day(cert.notAfter)}` : hash;
}

/**
 * The pure planner: what must change on one host for `target`, and what blocks it. Nothing here
 * talks to a host; `now` is passed in so that a plan can be replayed and tested.
 */
export function planHost(state: HostState, target: Target, now: Date): HostPlan {
  const findings: Finding[] = [];
  const byHash = new Map(state.certificates.map((c) => [c.thumbprint, c]));
  const newThumb = target.newCert.thumbprint;
  // Discovery reads My and WebHosting; a certificate without a store came from My (older callers).
  const storeKey = (name: string | null | undefined) => (name ?? "My").toLowerCase();
  // Stores are checked only when discovery said where each certificate lives (it reads My and
  // WebHosting); a state without that says nothing about other stores.
  const storesKnown = state.certificates.some((c) => c.store !== undefined);
  const readStores = new Set(storesKnown ? ["my", "webhosting"] : []);
  const findIn = (thumb: string, store: string | null | undefined) =>
    state.certificates.find((c) => c.thumbprint === thumb && storeKey(c.store) === storeKey(store));
  const inStore = findIn(newThumb, "My") ?? byHash.get(newThumb);
  const oldThumbprints =
    target.oldThumbprints.length > 0 ? target.oldThumbprints : defaultOldThumbprints(state.certificates, target.newCert);
  const old = new Set(oldThumbprints);

  const bindings: PlannedBinding[] = state.bindings.map((b) => planBinding(b, newThumb, old, byHash));
  const toChange = bindings.filter((p) => p.action === "rebind");

  // An expired new certificate blocks every host, even where nothing looks old: the default
  // `--old` (same subject, expires earlier) finds nothing older than an expired certificate.
  const notAfter = target.newCert.notAfter ?? inStore?.notAfter;
  if (notAfter && Date.parse(notAfter) <= now.getTime()) {
    findings.push({ code: "new-cert-expired", blocking: true, message: `the new certificate expired on ${day(notAfter)}` });
  }

  // A thumbprint the host does not hold says nothing about what is old: "0 bindings to rebind"
  // would hide a typo or a certificate never imported.
  if (!inStore && toChange.length === 0 && (target.newCert.subject === undefined || state.bindings.some((b) => b.certHash !== null && old.has(b.certHash)))) {
    findings.push({
      code: "new-cert-absent",
      blocking: true,
      message: `the new certificate ${newThumb} is not in this host's LocalMachine\\My store: check the thumbprint, or import the certificate with its private key there first (on the host: certutil -importPFX My new.pfx), then plan again`,
    });
  }
  // The old certificate passed as --new: it is what the bindings use, nothing "needs" a change,
  // and a later-expiring certificate of the same name waits in the store. "Unchanged" would hide it.
  const boundToNew = state.bindings.some((b) => b.certHash === newThumb);
  const newer = inStore && boundToNew && toChange.length === 0 ? newerOfSameName(state.certificates, target.newCert) : undefined;
  if (newer) {
    findings.push({
      code: "new-cert-superseded",
      blocking: true,
      message: `--new ${newThumb} (${describe(inStore, newThumb)}) is older than ${newer.thumbprint} (${describe(newer, newer.thumbprint)}) in this host's store: was the old thumbprint passed as --new? Pass the newer certificate as --new`,
    });
  }

  if (toChange.length > 0) {
    if (!state.elevated) {
      findings.push({ code: "not-elevated", blocking: true, message: "the remote session is not elevated (no High Mandatory Level): netsh would fail with error 5" });
    }
    if (!inStore) {
      findings.push({ code: "new-cert-absent", blocking: true, message: `the new certificate ${newThumb} is not in LocalMachine\\My` });
    } else if (inStore.hasPrivateKey === false) {
      findings.push({ code: "new-cert-no-private-key", blocking: true, message: `the new certificate ${newThumb} has no usable private key on this host: netsh add would fail with error 1312` });
    } else if (inStore.hasPrivateKey === "unknown") {
      findings.push({ code: "new-cert-private-key-unknown", blocking: false, message: `certutil did not say whether ${newThumb} has a private key` });
    }
    const notBefore = target.newCert.notBefore ?? inStore?.notBefore;
    if (notBefore && Date.parse(notBefore) > now.getTime()) {
      findings.push({ code: "new-cert-not-yet-valid", blocking: false, message: `the new certificate is valid only from ${notBefore}` });
    }
    const names = namesOf(target.newCert.subject ?? inStore?.subject, target.newCert.dnsNames ?? inStore?.dnsNames);
    for (const p of toChange) {
      const b = p.current;
      // The endpoint goes on every command for this binding (show, update, delete, add): a value
      // read back from the host that fails the grammar blocks the host before anything is sent,
      // rather than failing halfway through the change.
      if (!isSafeValue(endpointPatternFor(b.kind), b.endpoint)) {
        findings.push({ code: "binding-unreadable", blocking: true, endpoint: b.endpoint, message: `${b.kind} endpoint ${shown(b.endpoint)} is not a safe ${b.kind} value: nothing is sent for it` });
        continue;
      }
      if ((b.kind === "hostnameport" || b.kind === "scopedccs") && names.length > 0) {
        const hostname = b.endpoint.replace(/:\d+$/, "");
        if (!names.some((n) => nameCovers(n, hostname))) {
          findings.push({ code: "sni-not-covered", blocking: true, endpoint: b.endpoint, message: `SNI name ${hostname} is not covered by the new certificate (${names.join(", ")})` });
        }
      }
      // http.sys looks the certificate up in the binding's own store (WebHosting, ...), not in My.
      const bindingStore = storeKey(b.storeName);
      if (storesKnown && bindingStore !== "my") {
        if (!readStores.has(bindingStore)) {
          findings.push({ code: "store-not-read", blocking: false, endpoint: b.endpoint, message: `${b.endpoint} uses store ${b.storeName}, which certfleet does not read: if the new certificate is not there, netsh refuses the change (1312) and the binding stays as it is` });
        } else {
          const there = findIn(newThumb, b.storeName);
          if (!there) {
            findings.push({ code: "new-cert-absent", blocking: true, endpoint: b.endpoint, message: `the new certificate ${newThumb} is not in LocalMachine\\${b.storeName}, the store ${b.endpoint} uses` });
          } else if (there.hasPrivateKey === false) {
            findings.push({ code: "new-cert-no-private-key", blocking: true, endpoint: b.endpoint, message: `the new certificate has no usable private key in LocalMachine\\${b.storeName}, the store ${b.endpoint} uses` });
          }
        }
      }
      if (b.certHash !== null && readStores.has(bindingStore) && !findIn(b.certHash, b.storeName)) {
        findings.push({ code: "original-cert-absent", blocking: false, endpoint: b.endpoint, message: `${b.endpoint}'s current certificate ${b.certHash} is not in its store ${b.storeName ?? "MY"}: if the change fails where delete+add is needed, the original cannot be re-created` });
      }
      const { unsafe, unrepresentable } = addParamsFor(p.desired!);
      if (unsafe.length > 0) {
        findings.push({ code: "binding-unreadable", blocking: true, endpoint: b.endpoint, message: `${b.endpoint}: ${unsafe.join("; ")}` });
      } else if (unrepresentable.length > 0) {
        findings.push({
          code: "binding-not-recreatable",
          blocking: false,
          endpoint: b.endpoint,
          message: `${b.endpoint} can only be changed with netsh http update (delete+add would lose: ${unrepresentable.join("; ")}); left as it is where update is missing`,
        });
      }
    }
  }

  const blocked = findings.some((f) => f.blocking);
  return {
    host: state.host,
    outcome: blocked ? "blocked" : toChange.length > 0 ? "rebind" : "unchanged",
    oldThumbprints,
    findings,
    bindings,
  };
}

function planBinding(b: Binding, newThumb: string, old: Set<string>, byHash: Map<string, Certificate>): PlannedBinding {
  if (b.certHash === null) {
    return { current: b, action: "none", scope: "none", reason: "no readable certificate hash" };
  }
  if (b.certHash === newThumb) {
    return { current: b, action: "none", scope: "new", reason: "already on the new certificate" };
  }
  if (old.has(b.certHash)) {
    return {
      current: b,
      action: "rebind",
      scope: "old",
      reason: `uses old ${describe(byHash.get(b.certHash), b.certHash)}`,
      desired: { ...b, certHash: newThumb },
    };
  }
  return { current: b, action: "none", scope: "unrelated", reason: `unrelated certificate ${describe(byHash.get(b.certHash), b.certHash)}` };
}
