import { describe, expect, it } from "vitest";
import { defaultOldThumbprints } from "../../src/plan/old-certificates.js";
import { planHost } from "../../src/plan/plan-host.js";
import { HostPlan } from "../../src/plan/schema.js";
import {
  APP_ADFS,
  NOW,
  T_LATER_SAME_SUBJECT,
  T_NEW,
  T_OLD,
  T_OLDER,
  T_OTHER_SUBJECT,
  T_UNRELATED,
  binding,
  cert,
  fileTarget,
  hostState,
  laterCert,
  newCert,
  newCertTarget,
  oldCert,
  olderCert,
  unrelatedCert,
} from "./fixtures.js";

const codes = (p: HostPlan) => p.findings.map((f) => f.code).sort();
const blocking = (p: HostPlan) => p.findings.filter((f) => f.blocking).map((f) => f.code).sort();

describe("planHost: actions and reasons", () => {
  const state = hostState({
    bindings: [
      binding("0.0.0.0:443", T_OLD),
      binding("www.example.com:443", T_OLD, { storeName: "WebHosting" }),
      binding("[::]:443", T_OLD, { appId: "{ba195980-cd49-458b-9e23-c84ee0adcd75}" }),
      binding("0.0.0.0:8443", T_UNRELATED),
      binding("0.0.0.0:9443", T_NEW),
      binding("0.0.0.0:10443", null),
    ],
  });
  const plan = planHost(state, fileTarget(), NOW);

  it("rebinds exactly the bindings on the old certificate and says why", () => {
    expect(HostPlan.parse(plan)).toEqual(plan);
    expect(plan.outcome).toBe("rebind");
    expect(plan.findings).toEqual([]);
    expect(plan.oldThumbprints).toEqual([T_OLD]);
    expect(plan.bindings.map((b) => [b.current.endpoint, b.action, b.scope])).toEqual([
      ["0.0.0.0:443", "rebind", "old"],
      ["www.example.com:443", "rebind", "old"],
      ["[::]:443", "rebind", "old"],
      ["0.0.0.0:8443", "none", "unrelated"],
      ["0.0.0.0:9443", "none", "new"],
      ["0.0.0.0:10443", "none", "none"],
    ]);
    expect(plan.bindings[0]!.reason).toBe("uses old *.example.com, expires 2026-12-05");
    expect(plan.bindings[3]!.reason).toBe("unrelated certificate intranet.corp.local, expires 2028-01-01");
    expect(plan.bindings[4]!.reason).toBe("already on the new certificate");
    expect(plan.bindings[5]!.reason).toMatch(/no readable certificate hash/);
  });

  it("desired = the current record with only the hash replaced (appid, store, every setting kept)", () => {
    for (const p of plan.bindings) {
      if (p.action === "rebind") {
        expect(p.desired).toEqual({ ...p.current, certHash: T_NEW });
      } else {
        expect(p.desired).toBeUndefined();
      }
    }
    expect(plan.bindings[1]!.desired!.storeName).toBe("WebHosting");
    expect(plan.bindings[2]!.desired!.appId).toBe("{ba195980-cd49-458b-9e23-c84ee0adcd75}");
  });

  it("is pure: the input state is not modified", () => {
    const copy = structuredClone(state);
    planHost(state, fileTarget(), NOW);
    expect(state).toEqual(copy);
  });
});

describe("planHost: default old certificates", () => {
  it("takes every certificate with the same subject that expires earlier, never the new one or a later one", () => {
    const store = [oldCert, olderCert, newCert, unrelatedCert, laterCert];
    expect(defaultOldThumbprints(store, fileTarget().newCert).sort()).toEqual([T_OLD, T_OLDER].sort());
    const state = hostState({
      certificates: store,
      bindings: [
        binding("0.0.0.0:443", T_OLD),
        binding("0.0.0.0:444", T_OLDER),
        binding("0.0.0.0:445", T_LATER_SAME_SUBJECT),
        binding("0.0.0.0:446", T_UNRELATED),
      ],
    });
    const plan = planHost(state, fileTarget(), NOW);
    expect(plan.bindings.map((b) => b.action)).toEqual(["rebind", "rebind", "none", "none"]);
    expect(plan.bindings[2]!.scope).toBe("unrelated");
  });

  it("learns subject and expiry from the host's store when only a thumbprint was given", () => {
    const plan = planHost(hostState({ certificates: [oldCert, olderCert, newCert, laterCert] }), newCertTarget(), NOW);
    expect(plan.oldThumbprints.sort()).toEqual([T_OLD, T_OLDER].sort());
    expect(plan.outcome).toBe("rebind");
  });

  it("a different SAN set is not an old certificate of the same name", () => {
    const otherSans = cert(T_OTHER_SUBJECT, { dnsNames: ["*.example.com"], notAfter: "2026-01-01T00:00:00.000Z" });
    const sameSans = cert(T_OLDER, { dnsNames: ["example.com", "*.EXAMPLE.com"], notAfter: "2026-01-01T00:00:00.000Z" });
    expect(defaultOldThumbprints([otherSans, sameSans], fileTarget().newCert)).toEqual([T_OLDER]);
  });

  it("explicit --old replaces the default: only the named certificates are rebound", () => {
    const state = hostState({
      certificates: [oldCert, olderCert, newCert, unrelatedCert],
      bindings: [binding("0.0.0.0:443", T_OLD), binding("0.0.0.0:444", T_OLDER), binding("0.0.0.0:8443", T_UNRELATED)],
    });
    const plan = planHost(state, fileTarget({}, [T_UNRELATED]), NOW);
    expect(plan.oldThumbprints).toEqual([T_UNRELATED]);
    expect(plan.bindings.map((b) => b.action)).toEqual(["none", "none", "rebind"]);
    expect(plan.bindings[2]!.reason).toBe("uses old intranet.corp.local, expires 2028-01-01");
    expect(plan.bindings[0]!.scope).toBe("unrelated");
  });

  it("without any subject known (new cert absent, thumbprint only) nothing is taken as old, and the host is blocked, not 'unchanged'", () => {
    const plan = planHost(hostState({ certificates: [oldCert] }), newCertTarget(), NOW);
    expect(plan.oldThumbprints).toEqual([]);
    expect(plan.outcome).toBe("blocked");
    expect(blocking(plan)).toEqual(["new-cert-absent"]);
  });
});

describe("planHost: blocking findings", () => {
  it("a session that is not elevated blocks the host", () => {
    const plan = planHost(hostState({ elevated: false }), fileTarget(), NOW);
    expect(plan.outcome).toBe("blocked");
    expect(blocking(plan)).toEqual(["not-elevated"]);
    expect(plan.findings[0]!.message).toMatch(/not elevated/);
  });

  it("the new certificate absent from My blocks the host", () => {
    const plan = planHost(hostState({ certificates: [oldCert] }), fileTarget(), NOW);
    expect(plan.outcome).toBe("blocked");
    expect(blocking(plan)).toEqual(["new-cert-absent"]);
    expect(plan.findings[0]!.message).toContain(T_NEW);
  });

  it("the new certificate without a private key blocks the host (netsh would say 1312)", () => {
    const plan = planHost(hostState({ certificates: [oldCert, cert(T_NEW, { ...newCert, hasPrivateKey: false })] }), fileTarget(), NOW);
    expect(blocking(plan)).toEqual(["new-cert-no-private-key"]);
    expect(plan.findings[0]!.message).toMatch(/1312/);
  });

  it("a private key certutil did not report is a warning, not a block", () => {
    const plan = planHost(hostState({ certificates: [oldCert, cert(T_NEW, { ...newCert, hasPrivateKey: "unknown" })] }), fileTarget(), NOW);
    expect(plan.outcome).toBe("rebind");
    expect(codes(plan)).toEqual(["new-cert-private-key-unknown"]);
  });

  it("an expired new certificate blocks; one not yet valid is only a warning", () => {
    // explicit --old: by default an old certificate must expire before the new one
    const expired = planHost(hostState(), fileTarget({ notAfter: "2026-11-01T00:00:00.000Z" }, [T_OLD]), NOW);
    expect(blocking(expired)).toEqual(["new-cert-expired"]);
    expect(expired.findings[0]!.message).toContain("2026-11-01");
    const future = planHost(hostState(), fileTarget({ notBefore: "2026-12-01T00:00:00.000Z" }), NOW);
    expect(future.outcome).toBe("rebind");
    expect(codes(future)).toEqual(["new-cert-not-yet-valid"]);
  });

  it("an expired new certificate learned from the store blocks too", () => {
    const state = hostState({ certificates: [cert(T_OLD, { notAfter: "2026-01-01T00:00:00.000Z" }), cert(T_NEW, { notAfter: "2026-06-01T00:00:00.000Z" })] });
    expect(blocking(planHost(state, newCertTarget(), NOW))).toEqual(["new-cert-expired"]);
  });

  it("an SNI hostname the new certificate does not cover blocks, naming the endpoint", () => {
    const state = hostState({
      bindings: [
        binding("www.example.com:443", T_OLD),
        binding("deep.www.example.com:443", T_OLD),
        binding("www.example.org:443", T_OLD),
      ],
    });
    const plan = planHost(state, fileTarget(), NOW);
    expect(plan.outcome).toBe("blocked");
    const sni = plan.findings.filter((f) => f.code === "sni-not-covered");
    expect(sni.map((f) => f.endpoint)).toEqual(["deep.www.example.com:443", "www.example.org:443"]);
    expect(sni.every((f) => f.blocking)).toBe(true);
    expect(sni[1]!.message).toContain("*.example.com");
  });

  it("the CN stands in for the SAN when the names are unknown (thumbprint only)", () => {
    const state = hostState({ bindings: [binding("shop.example.net:443", T_OLD), binding("shop.example.com:443", T_OLD)] });
    const plan = planHost(state, newCertTarget(), NOW);
    expect(plan.findings.map((f) => [f.code, f.endpoint])).toEqual([["sni-not-covered", "shop.example.net:443"]]);
  });

  it("a binding value outside the command grammar blocks the host instead of being sent", () => {
    const state = hostState({ bindings: [binding("0.0.0.0:443", T_OLD, { storeName: "My & calc" })] });
    const plan = planHost(state, fileTarget(), NOW);
    expect(blocking(plan)).toEqual(["binding-unreadable"]);
    expect(plan.findings[0]!.endpoint).toBe("0.0.0.0:443");
  });

  it("findings that only concern bindings with nothing to do are not raised", () => {
    const state = hostState({ elevated: false, certificates: [unrelatedCert], bindings: [binding("0.0.0.0:8443", T_UNRELATED)] });
    const plan = planHost(state, fileTarget(), NOW);
    expect(plan.outcome).toBe("unchanged");
    expect(plan.findings).toEqual([]);
  });
});

describe("planHost: Enable Caching Client Hello", () => {
  it("is a non-blocking finding: the binding can only be updated in place", () => {
    const b = binding("0.0.0.0:443", T_OLD);
    b.settings.enablecachingclienthello = "Set";
    const plan = planHost(hostState({ bindings: [b] }), fileTarget(), NOW);
    expect(plan.outcome).toBe("rebind");
    expect(plan.findings).toHaveLength(1);
    expect(plan.findings[0]).toMatchObject({ code: "binding-not-recreatable", blocking: false, endpoint: "0.0.0.0:443" });
    expect(plan.findings[0]!.message).toMatch(/Caching Client Hello/);
    expect(plan.findings[0]!.message).toMatch(/update/);
    expect(plan.bindings[0]!.desired!.settings.enablecachingclienthello).toBe("Set");
  });

  it("Not Set is the default and raises nothing", () => {
    const b = binding("0.0.0.0:443", T_OLD);
    b.settings.enablecachingclienthello = "Not Set";
    expect(planHost(hostState({ bindings: [b] }), fileTarget(), NOW).findings).toEqual([]);
  });
});

describe("planHost: idempotence", () => {
  it("every binding already on the new certificate: unchanged, nothing to do", () => {
    const state = hostState({
      bindings: [binding("0.0.0.0:443", T_NEW), binding("www.example.com:443", T_NEW, { appId: APP_ADFS }), binding("0.0.0.0:8443", T_UNRELATED)],
    });
    const plan = planHost(state, fileTarget(), NOW);
    expect(plan.outcome).toBe("unchanged");
    expect(plan.findings).toEqual([]);
    expect(plan.bindings.every((b) => b.action === "none" && b.desired === undefined)).toBe(true);
  });

  it("planning the state a rollout produced yields nothing more to do", () => {
    const state = hostState({ bindings: [binding("0.0.0.0:443", T_OLD), binding("[::]:443", T_OLD), binding("0.0.0.0:8443", T_UNRELATED)] });
    const first = planHost(state, fileTarget(), NOW);
    const after = { ...state, bindings: first.bindings.map((p) => p.desired ?? p.current) };
    const second = planHost(after, fileTarget(), NOW);
    expect(second.outcome).toBe("unchanged");
    expect(second.bindings.map((b) => b.scope)).toEqual(["new", "new", "unrelated"]);
  });

  it("also with an explicit --old", () => {
    const state = hostState({ bindings: [binding("0.0.0.0:443", T_NEW)] });
    expect(planHost(state, fileTarget({}, [T_OLD, T_OLDER]), NOW).outcome).toBe("unchanged");
  });
});

describe("an expired new certificate with the default --old", () => {
  it("blocks the host instead of finding nothing to do", () => {
    const plan = planHost(hostState(), fileTarget({ notAfter: "2026-11-01T00:00:00.000Z" }, []), NOW);
    expect(plan.outcome).toBe("blocked");
    expect(plan.findings.map((f) => f.code)).toContain("new-cert-expired");
  });
});

describe("the binding's own certificate store", () => {
  const inStores = (entries: Array<[string, string]>) =>
    entries.map(([thumb, store]) => ({ ...[oldCert, newCert].find((c) => c.thumbprint === thumb)!, store }));
  const webHosting = binding("0.0.0.0:443", T_OLD, { storeName: "WebHosting" });

  it("blocks a WebHosting binding when the new certificate is only in My", () => {
    const state = hostState({ bindings: [webHosting], certificates: inStores([[T_OLD, "WebHosting"], [T_NEW, "My"]]) });
    const plan = planHost(state, fileTarget(), NOW);
    expect(plan.outcome).toBe("blocked");
    expect(plan.findings.find((f) => f.blocking)?.message).toMatch(/not in LocalMachine\\WebHosting/);
  });

  it("goes ahead when the new certificate is in WebHosting too", () => {
    const state = hostState({ bindings: [webHosting], certificates: inStores([[T_OLD, "WebHosting"], [T_NEW, "WebHosting"], [T_NEW, "My"]]) });
    expect(planHost(state, fileTarget(), NOW).outcome).toBe("rebind");
  });

  it("warns when the binding's current certificate is gone from its store (a failed delete+add could not be undone)", () => {
    const state = hostState({ bindings: [binding("0.0.0.0:443", T_OLD)], certificates: inStores([[T_NEW, "My"]]) });
    const plan = planHost(state, newCertTarget({}, [T_OLD]), NOW);
    expect(plan.findings.map((f) => [f.code, f.blocking])).toContainEqual(["original-cert-absent", false]);
  });

  it("notes a store certfleet does not read instead of guessing", () => {
    const state = hostState({ bindings: [binding("0.0.0.0:443", T_OLD, { storeName: "Remote_Desktop" })], certificates: inStores([[T_NEW, "My"], [T_OLD, "My"]]) });
    const plan = planHost(state, fileTarget(), NOW);
    expect(plan.findings.map((f) => [f.code, f.blocking])).toContainEqual(["store-not-read", false]);
  });
});

describe("planHost: a --new that cannot be right is a blocking finding, never 'unchanged'", () => {
  it("a thumbprint this host does not hold blocks the host and says what to do", () => {
    const stranger = "9".repeat(40);
    const plan = planHost(hostState(), { newCert: { thumbprint: stranger, source: "thumbprint" }, oldThumbprints: [] }, NOW);
    expect(plan.outcome).toBe("blocked");
    expect(blocking(plan)).toEqual(["new-cert-absent"]);
    expect(plan.findings[0]!.message).toMatch(/not in this host's LocalMachine\\My store: check the thumbprint, or import/);
  });

  it("a certificate file this host lacks blocks only a host with bindings on an old certificate", () => {
    const file = fileTarget({ thumbprint: "9".repeat(40) });
    expect(planHost(hostState(), file, NOW).outcome).toBe("blocked");
    const intranetOnly = hostState({ certificates: [unrelatedCert], bindings: [binding("0.0.0.0:443", T_UNRELATED)] });
    expect(planHost(intranetOnly, file, NOW).outcome).toBe("unchanged");
  });

  it("the old thumbprint passed as --new, with the renewal in the store, is refused with the reason", () => {
    const plan = planHost(hostState(), { newCert: { thumbprint: T_OLD, source: "thumbprint" }, oldThumbprints: [] }, NOW);
    expect(plan.outcome).toBe("blocked");
    expect(blocking(plan)).toEqual(["new-cert-superseded"]);
    expect(plan.findings[0]!.message).toContain(`is older than ${T_NEW}`);
    expect(plan.findings[0]!.message).toContain("expires 2027-12-20");
  });

  it("the real renewal, already bound everywhere, is simply unchanged", () => {
    const plan = planHost(hostState({ bindings: [binding("0.0.0.0:443", T_NEW)] }), newCertTarget(), NOW);
    expect(plan.outcome).toBe("unchanged");
    expect(plan.findings).toEqual([]);
  });
});
