/**
 * Issue 5, hostile input: for ANY binding (hostile endpoints, store names, CTL names, settings,
 * appids, hashes) and both shells, every command certfleet builds either is refused with a
 * precondition error before anything is sent, or matches the strict whole-command grammar.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Binding } from "../../src/model/binding.js";
import { CertfleetError } from "../../src/model/errors.js";
import type { RemoteShell } from "../../src/model/host-state.js";
import { manualRestore } from "../../src/host/change-binding.js";
import { unsafeRecovery } from "../support/recovery-audit.js";
import { plannedPerBinding } from "../../src/host/planned.js";
import { plannedRebind } from "../../src/host/rebind-batch.js";
import { planHost } from "../../src/plan/plan-host.js";
import {
  SHELL_PROBE,
  addBindingCommand,
  addParamsFor,
  deleteBindingCommand,
  discoverCommand,
  showBindingCommand,
  updateBindingCommand,
} from "../../src/windows/commands.js";
import { discoverAnyShellCommand } from "../../src/windows/discover-any-shell.js";
import { casBatchCommands, type CasMode } from "../../src/windows/cas-batch.js";
import { isSendable } from "../../src/windows/commands.js";
import {
  CONTROL_CHARS,
  EXPECTED_DISCOVER,
  EXPECTED_DISCOVER_ANY_SHELL,
  EXPECTED_PROBE,
  PAYLOADS,
  anyBinding,
  hex40,
  isGrammatical,
  tokensOf,
} from "../support/security-arbitraries.js";

const SHELLS: RemoteShell[] = ["cmd", "powershell"];
const RUNS = Number(process.env.CERTFLEET_FC_RUNS ?? 3000);

type Outcome = { ok: true; command: string } | { ok: false; error: unknown };

function attempt(build: () => string): Outcome {
  try {
    return { ok: true, command: build() };
  } catch (error) {
    return { ok: false, error };
  }
}

function expectRefusedOrGrammatical(shell: RemoteShell, out: Outcome, b: Binding): void {
  if (!out.ok) {
    expect(out.error).toBeInstanceOf(CertfleetError);
    expect((out.error as CertfleetError).kind).toBe("precondition");
    // The refusal is shown to the operator and written to reports: no raw control characters.
    expect((out.error as CertfleetError).message).not.toMatch(CONTROL_CHARS);
    return;
  }
  if (!isGrammatical(shell, out.command)) throw new Error(`ungrammatical ${shell} command: ${JSON.stringify(out.command)}`);
  // The command addresses exactly this binding.
  const [key] = tokensOf(shell, out.command);
  expect(key).toEqual([b.kind, b.endpoint]);
}

describe("command builders under hostile bindings", () => {
  for (const shell of SHELLS) {
    it(`every show/delete/add/update command for any binding is refused or grammatical (${shell})`, () => {
      let built = 0;
      let refused = 0;
      fc.assert(
        fc.property(anyBinding, (b) => {
          for (const build of [showBindingCommand, deleteBindingCommand, addBindingCommand, updateBindingCommand]) {
            const out = attempt(() => build(shell, b as Binding, "web01"));
            expectRefusedOrGrammatical(shell, out, b);
            if (out.ok) built++;
            else refused++;
          }
        }),
        { numRuns: RUNS, seed: 5_2_2026 },
      );
      // The generators must exercise both sides of the property.
      expect(built).toBeGreaterThan(RUNS / 4);
      expect(refused).toBeGreaterThan(RUNS / 4);
    });

    it(`add/update carry the binding's hash, appid, store and every safe setting (${shell})`, () => {
      fc.assert(
        fc.property(anyBinding, (b) => {
          const out = attempt(() => addBindingCommand(shell, b, "web01"));
          if (!out.ok) return;
          const tokens = new Map(tokensOf(shell, out.command));
          expect(tokens.get("certhash")).toBe(b.certHash);
          expect(tokens.get("appid")).toBe(b.appId);
          expect(tokens.get("certstorename")).toBe(b.storeName ?? undefined);
          // Nothing in the command came from anywhere but the binding's values and fixed names.
          for (const [, v] of tokens) expect(PAYLOADS.some((p) => v.includes(p.trim()) && p.trim().length > 2)).toBe(false);
        }),
        { numRuns: RUNS, seed: 77 },
      );
    });
  }

  it("the probe and discovery commands are the exact documented lines", () => {
    expect(SHELL_PROBE).toBe(EXPECTED_PROBE);
    for (const shell of SHELLS) expect(discoverCommand(shell)).toBe(EXPECTED_DISCOVER[shell]);
    expect(discoverAnyShellCommand()).toBe(EXPECTED_DISCOVER_ANY_SHELL);
  });

  it("addParamsFor and the add builder agree: no unsafe value means the add builds, else it is refused", () => {
    fc.assert(
      fc.property(anyBinding, fc.constantFrom(...SHELLS), (b, shell) => {
        const params = addParamsFor(b);
        const keyOk = attempt(() => showBindingCommand(shell, b)).ok;
        const add = attempt(() => addBindingCommand(shell, b));
        expect(add.ok).toBe(keyOk && params.problems.length === 0);
        for (const [, value] of params.params) expect(value).toMatch(/^[A-Za-z0-9_.{}-]+$/);
      }),
      { numRuns: RUNS, seed: 9 },
    );
  });

  it("a hand-restore sequence is complete and grammatical for cmd.exe, or there is none and it says why; never a lone delete", () => {
    let none = 0;
    fc.assert(
      fc.property(anyBinding, fc.option(anyBinding, { nil: null }), (original, current) => {
        const m = manualRestore(original, current);
        if (m.commands.length === 0) {
          none++;
          expect(m.why).toMatch(/cannot be built safely/);
          return;
        }
        for (const line of m.commands) expect(isGrammatical("cmd", line), line).toBe(true);
        expect(m.commands.at(-1)).toMatch(/^netsh http add sslcert /);
        expect(m.commands).toHaveLength(current === null ? 1 : 2);
        expect(unsafeRecovery(m.commands.join("\n"))).toEqual([]);
      }),
      { numRuns: Math.ceil(RUNS / 3), seed: 11 },
    );
    // The arbitraries do produce bindings whose add cannot be built: the empty case was exercised.
    expect(none).toBeGreaterThan(0);
  });

  it("a planned host with hostile bindings is blocked, or every dry-run command it lists is grammatical", () => {
    const newThumb = "a".repeat(40);
    fc.assert(
      fc.property(fc.array(anyBinding, { minLength: 1, maxLength: 4 }), hex40, fc.constantFrom(...SHELLS), (bindings, old, shell) => {
        const onOld = bindings.map((b) => ({ ...b, certHash: b.certHash === null ? null : old }));
        const plan = planHost(
          {
            host: "web01",
            shell,
            elevated: true,
            certificates: [{ thumbprint: newThumb, subject: "CN=x", hasPrivateKey: true }],
            bindings: onOld,
            warnings: [],
          },
          { newCert: { thumbprint: newThumb, source: "thumbprint" }, oldThumbprints: [old] },
          new Date("2026-01-01T00:00:00Z"),
        );
        if (plan.outcome === "blocked") return;
        // An unblocked plan must never hit a builder refusal later (that would leave a host
        // half-done): every line listed, batched or binding by binding, with or without
        // `update`, passes the session's last gate.
        for (const update of ["unknown", "no"] as const) {
          const batched = plannedRebind(shell, plan, update, "web01");
          for (const cmd of [...batched.commands, ...plannedPerBinding(plan, shell, update, "web01")]) expect(isSendable(shell, cmd), cmd).toBe(true);
          if (batched.refused !== undefined) expect(batched.refused).not.toMatch(CONTROL_CHARS);
        }
      }),
      { numRuns: Math.ceil(RUNS / 3), seed: 13 },
    );
  });
});

/**
 * The batched compare-and-set (issue 12), held to a skeleton written here: every netsh command in
 * a batch line is grammatical on its own, and what is left once those commands, the 40-hex
 * hashes and the indexes are taken out is exactly the fixed text of the documented fragments.
 */
const CAS_SKELETON: Record<RemoteShell, Record<CasMode, string> & { join: string; end: string }> = {
  cmd: {
    update:
      'N | findstr /i /l /c:": H" >nul || (echo ==CFCAS:i:refused== & exit 1) & N && echo ==CFCAS:i:changed== || (call echo ==CFCAS:i:failed:%^errorlevel%== & exit 1)',
    "delete-add":
      'N | findstr /i /l /c:": H" >nul || (echo ==CFCAS:i:refused== & exit 1) & N && echo ==CFCAS:i:deleted== || (call echo ==CFCAS:i:failed:%^errorlevel%== & exit 1) & N && echo ==CFCAS:i:changed== || (call echo ==CFCAS:i:failed:%^errorlevel%== & (N && echo ==CFCAS:i:putback:0== || call echo ==CFCAS:i:putback:%^errorlevel%==) & exit 1)',
    join: " & ",
    end: "echo ==CFCAS:end==",
  },
  powershell: {
    update:
      "if (-not ((N) -match ': H')) { echo '==CFCAS:i:refused=='; exit 1 }; N; if ($LASTEXITCODE -ne 0) { echo \"==CFCAS:i:failed:$LASTEXITCODE==\"; exit 1 }; echo '==CFCAS:i:changed=='",
    "delete-add":
      "if (-not ((N) -match ': H')) { echo '==CFCAS:i:refused=='; exit 1 }; N; if ($LASTEXITCODE -ne 0) { echo \"==CFCAS:i:failed:$LASTEXITCODE==\"; exit 1 }; echo '==CFCAS:i:deleted=='; N; if ($LASTEXITCODE -ne 0) { echo \"==CFCAS:i:failed:$LASTEXITCODE==\"; N; echo \"==CFCAS:i:putback:$LASTEXITCODE==\"; exit 1 }; echo '==CFCAS:i:changed=='",
    join: "; ",
    end: "echo '==CFCAS:end=='",
  },
};

const NETSH_IN_BATCH = /netsh http (?:show|update|delete|add) sslcert(?: [^ );|&]+)+(?= \| | && |\)|; |$)/g;

describe("batched compare-and-set lines under hostile bindings", () => {
  for (const shell of SHELLS) {
    for (const mode of ["update", "delete-add"] as const) {
      it(`a batch is refused whole, or every line is sendable, made of grammatical netsh commands in the fixed skeleton (${shell}, ${mode})`, () => {
        let built = 0;
        let refused = 0;
        fc.assert(
          fc.property(fc.array(anyBinding, { minLength: 1, maxLength: 4 }), hex40, (bindings, newHash) => {
            const changes = bindings.map((b) => ({ from: b, to: { ...b, certHash: newHash } }));
            const out = attempt(() => casBatchCommands(shell, changes, { mode, host: "web01" }).map((l) => l.command).join("\n"));
            if (!out.ok) {
              expect(out.error).toBeInstanceOf(CertfleetError);
              expect((out.error as CertfleetError).kind).toBe("precondition");
              expect((out.error as CertfleetError).message).not.toMatch(CONTROL_CHARS);
              refused++;
              return;
            }
            built++;
            const lines = out.command.split("\n");
            let seen = 0;
            for (const line of lines) {
              expect(isSendable(shell, line), line).toBe(true);
              const netsh = line.match(NETSH_IN_BATCH) ?? [];
              for (const c of netsh) expect(isGrammatical(shell, c), c).toBe(true);
              const skeleton = line.replace(NETSH_IN_BATCH, "N").replace(/[0-9a-f]{40}/g, "H").replace(/CFCAS:\d+:/g, "CFCAS:i:");
              const n = (skeleton.length - CAS_SKELETON[shell].end.length) / (CAS_SKELETON[shell][mode].length + CAS_SKELETON[shell].join.length);
              expect(Number.isInteger(n) && n > 0, skeleton).toBe(true);
              expect(skeleton).toBe([...Array.from({ length: n }, () => CAS_SKELETON[shell][mode]), CAS_SKELETON[shell].end].join(CAS_SKELETON[shell].join));
              seen += n;
            }
            expect(seen).toBe(bindings.length);
          }),
          { numRuns: Math.ceil(RUNS / 3), seed: 12 },
        );
        expect(built).toBeGreaterThan(0);
        expect(refused).toBeGreaterThan(0);
      });
    }
  }
});
