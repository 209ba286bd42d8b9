/**
 * The deliver step (issue 10): import the renewed PFX where a host lacks it, before the rebind.
 *
 * Per host, in order: journal the staging folder, the thumbprint and whether it was there before;
 * prepare the staging folder (Administrators and SYSTEM only); upload the host's own package
 * (legacy 3DES/SHA-1 for builds older than 17763, AES otherwise, under a one-time password);
 * import into LocalMachine\My with the machine key set; intermediates into CA; probe. Only a
 * `usable` probe lets the later steps go on. The staged files are deleted, with a proof, in every
 * outcome. A certificate certfleet imported is removed again when the host fails, and only when it
 * was not there before and nothing binds it.
 *
 * The plan is pure (src/certificate/host-delivery.ts); this file is the thin shell around it.
 */
import { judgeProbe, planHostDelivery, presenceOf, type HostDeliveryPlan } from "../../certificate/host-delivery.js";
import type { TargetDelivery } from "../../certificate/target.js";
import type { HostJournal } from "../../journal/host-journal.js";
import type { JournaledDelivery } from "../../journal/record.js";
import { CertfleetError } from "../../model/errors.js";
import type { HostState, RemoteShell } from "../../model/host-state.js";
import type { HostSession } from "../../session/host-session.js";
import { parseCertutilStore } from "../../windows/certutil-parse.js";
import { Secret } from "../../model/secret.js";
import { cleanupStagingCommand, parseCleanupProof, removeCertificateCommand, stdinForStaging } from "../../windows/delivery-commands.js";
import { classifyImportPfx } from "../../windows/importpfx-result.js";
import type { CommandContext, HostStep, PlannedStep, StepApplied } from "../step.js";

/** Stands for the staging folder's run id in a listing made before the run that delivers. */
const RUN_ID_PLACEHOLDER = "<run id>";

const FORMAT_NAME = { "legacy-3des-sha1": "legacy 3DES/SHA-1", "aes256-sha256": "AES-256/SHA-256" } as const;

/** What a plan shows for the upload (the bytes themselves never appear). */
function uploadLine(plan: Extract<HostDeliveryPlan, { action: "deliver" }>, i: number): string {
  const u = plan.uploads[i]!;
  const what = i === 0 ? `the certificate and its key (${FORMAT_NAME[plan.format]} PFX under a one-time password)` : "an intermediate CA certificate";
  return `(SFTP upload) ${u.windowsPath}: ${what}`;
}

function nothingToDo(findings: string[]): PlannedStep {
  return {
    blocked: undefined,
    findings,
    unchanged: true,
    rows: () => [],
    notAttemptedRows: () => [],
    commands: () => [],
    describe: () => "nothing to deliver",
    apply: async () => ({ status: "unchanged", bindings: [], commands: [] }),
  };
}

/** The host's state once the certificate is imported with its key: what the rebind plans against. */
function withDelivered(state: HostState, delivery: TargetDelivery): HostState {
  const cert = delivery.contents.leaf.certificate;
  const others = state.certificates.filter((c) => !(c.thumbprint === cert.thumbprint && (c.store ?? "My").toLowerCase() === "my"));
  return {
    ...state,
    certificates: [
      ...others,
      { thumbprint: cert.thumbprint, subject: cert.subject ?? "", dnsNames: cert.dnsNames ?? [], notBefore: cert.notBefore, notAfter: cert.notAfter, hasPrivateKey: true, store: "My" },
    ],
  };
}

export const deliverStep: HostStep = {
  name: "deliver",
  journalStep: "deliver",
  plan(state, target) {
    const delivery = target.delivery;
    if (!delivery) return nothingToDo([]);
    const my = state.certificates.filter((c) => (c.store ?? "My").toLowerCase() === "my");
    const plan = planHostDelivery(delivery.contents, { host: state.host, shell: state.shell, build: state.build, certificates: my, runId: delivery.stagingId, exportable: delivery.exportable });
    if (plan.action === "already-present") return nothingToDo([`note: ${plan.thumbprint} ${plan.reason}: not delivered`]);
    const blocked = state.elevated ? undefined : new CertfleetError("elevation", "the remote session is not elevated (no High Mandatory Level): certutil -importpfx into LocalMachine\\My would fail with 0x80070005", state.host);
    // What binds the certificate already (a binding on it before the import): never removed under it.
    const boundBefore = state.bindings.some((b) => b.certHash === plan.thumbprint);
    // What applyDelivery sends, in its order. The staging folder is named by the run that
    // delivers (a dry run's own id is not that run's), and the import's one-time password is
    // made for it: both are shown as placeholders.
    const shownCommands = ({ canStageFiles }: CommandContext): string[] => {
      if (!canStageFiles && plan.uploads.some((u) => !u.stage)) return []; // nothing is sent (applyDelivery refuses first)
      const uploads = plan.uploads.map((u, i) => (canStageFiles ? uploadLine(plan, i) : u.stage!.shown));
      const lines = [plan.prepare.shown, ...uploads, plan.import.shown, ...plan.intermediates.map((c) => c.shown), plan.probe.shown, plan.cleanup.shown];
      return lines.map((l) => l.split(delivery.stagingId).join(RUN_ID_PLACEHOLDER));
    };
    let imported = false;
    return {
      blocked,
      findings: [`note: delivers ${plan.thumbprint}: ${plan.reason}`],
      unchanged: false,
      rows: () => [],
      notAttemptedRows: () => [],
      commands: shownCommands,
      describe: () => `delivering the certificate (${FORMAT_NAME[plan.format]} PFX)`,
      stateAfter: (s) => withDelivered(s, delivery),
      async apply(session, journal) {
        const result = await applyDelivery(session, journal, plan, boundBefore, state.build);
        imported = result.imported;
        return result.applied;
      },
      async undo(session, journal) {
        if (!imported || plan.presentBefore) return { commands: [], attention: false };
        const r = await removeIfUnbound(session, journal, plan.thumbprint);
        return { commands: r.commands, attention: r.attention };
      },
    };
  },
  // The step's own undo is the planned step's (it knows what it imported); nothing binding-shaped to put back.
  undo: async () => ({ commands: [], attention: false }),
  settle: async () => ({ ok: true, finished: [] }),
  restore: async () => ({ rows: [], changed: 0, attention: false }),
};

async function applyDelivery(
  session: HostSession,
  journal: HostJournal,
  plan: Extract<HostDeliveryPlan, { action: "deliver" }>,
  boundBefore: boolean,
  build: number | undefined,
): Promise<{ applied: StepApplied; imported: boolean }> {
  const commands: string[] = [];
  const host = session.host;
  let imported = false;
  let failure: CertfleetError | undefined;
  const viaSftp = session.canStageFiles;
  if (!viaSftp && plan.uploads.some((u) => !u.stage)) {
    // Nothing is sent: no SFTP, and the stdin staging needs cmd.exe (WinRS always runs cmd).
    const error = new CertfleetError("precondition", `cannot deliver ${plan.thumbprint} here: this host is reached without SFTP and its shell is not cmd.exe; import the PFX by hand (certutil -importpfx My) or reach the host over SSH, then run again`, host);
    return { applied: { status: "failed", bindings: [], commands, error }, imported };
  }
  // Intent first (fsync'd): from here on, rollback and resume know the folder and the certificate.
  journal.deliverIntent({ stagingFolder: plan.stagingFolder, thumbprint: plan.thumbprint, presentBefore: plan.presentBefore });
  try {
    commands.push(plan.prepare.shown);
    const prep = await session.deliveryChange(plan.prepare.command as string);
    if (prep.code !== 0) throw new CertfleetError("apply", "could not prepare the staging folder", host, prep.text.trim().slice(0, 2000));
    for (const [i, u] of plan.uploads.entries()) {
      if (viaSftp) {
        commands.push(uploadLine(plan, i));
        await session.uploadBytes(u.sftpPath, u.bytes);
        continue;
      }
      // WinRM: the bytes, base64, as the stdin of one cmd line that writes and decodes them (never on a command line).
      const stage = u.stage!;
      commands.push(stage.shown);
      const raw = u.bytes instanceof Secret ? u.bytes.reveal() : u.bytes;
      const out = await session.deliveryChange(stage.command as string, plan.password, new Secret(stdinForStaging(raw)));
      if (out.code !== 0) throw new CertfleetError("apply", `could not stage ${u.windowsPath} through stdin`, host, out.text.trim().slice(0, 2000));
    }
    commands.push(plan.import.shown);
    const out = await session.deliveryChange(plan.import.command, plan.password);
    const verdict = classifyImportPfx(out.text, out.code, { format: plan.format, build, password: plan.password });
    if (verdict.outcome !== "imported" && verdict.outcome !== "unknown") {
      throw new CertfleetError("apply", `certutil -importpfx: ${verdict.outcome}${verdict.code ? ` (${verdict.code})` : ""}${verdict.remedy ? `; ${verdict.remedy}` : ""}`, host, verdict.text.slice(0, 2000));
    }
    imported = true;
    journal.deliverDone(plan.thumbprint, "imported");
    for (const c of plan.intermediates) {
      commands.push(c.shown);
      const r = await session.deliveryChange(c.command as string);
      if (r.code !== 0) throw new CertfleetError("apply", "could not add an intermediate CA certificate to the CA store", host, r.text.trim().slice(0, 2000));
    }
    commands.push(plan.probe.shown);
    const probe = await session.deliveryRead(plan.probe.command as string);
    const verdictOfProbe = judgeProbe(parseCertutilStore(probe.text).certificates, plan.thumbprint);
    if (verdictOfProbe === "no-key") {
      throw new CertfleetError("apply", `the import left ${plan.thumbprint} in LocalMachine\\My without its private key (a binding on it would fail with 1312); nothing was rebound`, host, probe.text.trim().slice(0, 2000));
    }
    if (verdictOfProbe === "absent") {
      throw new CertfleetError("apply", `certutil reported the import, but ${plan.thumbprint} is not in LocalMachine\\My`, host, probe.text.trim().slice(0, 2000));
    }
    // `unknown` (a display language the parser does not know): the TLS proof after the rebind decides.
  } catch (err) {
    failure = err instanceof CertfleetError ? err : new CertfleetError("apply", `delivery failed: ${err instanceof Error ? err.message : String(err)}`, host);
  } finally {
    // Every outcome: the staged files go, with a proof. (Ctrl-C drains hosts, so this runs too.)
    const proof = await cleanStaging(session, journal, plan.thumbprint, plan.cleanup.command as string, plan.stagingFolder).catch((err: unknown) => ({ gone: false, text: String(err) }));
    commands.push(plan.cleanup.shown);
    if (!proof.gone && !failure) failure = new CertfleetError("apply", `the staged files in ${plan.stagingFolder} could not be proven gone; delete that folder on the host`, host, proof.text.slice(0, 2000));
  }
  if (!failure) return { applied: { status: "changed", bindings: [], commands }, imported };
  let attention = false;
  if (imported && !plan.presentBefore && !boundBefore) {
    const r = await removeIfUnbound(session, journal, plan.thumbprint).catch(() => ({ commands: [], attention: true }));
    commands.push(...r.commands);
    attention = r.attention;
    imported = false;
  }
  return { applied: { status: attention ? "needs-attention" : "failed", bindings: [], commands, error: failure }, imported };
}

/** Deletes the staging folder and reads the proof; `cleaned` is journaled only when the host said gone. */
async function cleanStaging(session: HostSession, journal: HostJournal, thumbprint: string, command: string, folder: string): Promise<{ gone: boolean; text: string }> {
  const out = await session.deliveryRead(command);
  const gone = parseCleanupProof(out.text) === "gone";
  if (gone) journal.deliverDone(thumbprint, "cleaned", folder);
  return { gone, text: out.text };
}

/**
 * Removes a certificate certfleet imported, only when no binding uses it now (read fresh: a
 * binding put on it by someone else keeps it). The caller has checked it was not there before.
 */
async function removeIfUnbound(session: HostSession, journal: HostJournal, thumbprint: string): Promise<{ commands: string[]; attention: boolean; removed: boolean }> {
  const state = await session.discover();
  if (state.bindings.some((b) => b.certHash === thumbprint)) {
    return { commands: [], attention: false, removed: false };
  }
  if (presenceOf(state.certificates, thumbprint) === "absent") {
    journal.deliverDone(thumbprint, "removed");
    return { commands: [], attention: false, removed: true };
  }
  const command = removeCertificateCommand(session.shell, thumbprint, session.host);
  const out = await session.deliveryChange(command);
  const ok = out.code === 0;
  journal.deliverDone(thumbprint, ok ? "removed" : "failed");
  return { commands: [command], attention: !ok, removed: ok };
}

/**
 * Rollback and resume: delete the staging folders a journal never saw proven gone, and (rollback
 * only) remove the certificates certfleet imported that nothing binds. A certificate that was
 * there before certfleet first touched the host is never in `imported`.
 */
export async function settleDeliveries(
  session: HostSession,
  item: JournaledDelivery,
  journal: HostJournal,
  opts: { removeImported: boolean },
): Promise<{ commands: string[]; attention: boolean; removed: string[]; cleaned: string[]; error?: CertfleetError }> {
  const commands: string[] = [];
  const cleaned: string[] = [];
  const removed: string[] = [];
  let attention = false;
  let error: CertfleetError | undefined;
  for (const { folder, thumbprint } of item.leftovers) {
    const runId = folder.split("\\").pop() ?? "";
    const command = cleanupStagingCommand(await shellOf(session), runId, session.host);
    commands.push(command);
    const proof = await cleanStaging(session, journal, thumbprint, command, folder);
    if (proof.gone) cleaned.push(folder);
    else {
      attention = true;
      error ??= new CertfleetError("apply", `the staged files in ${folder} could not be proven gone; delete that folder on the host`, session.host, proof.text.slice(0, 2000));
    }
  }
  if (opts.removeImported) {
    for (const thumbprint of item.imported) {
      const r = await removeIfUnbound(session, journal, thumbprint);
      commands.push(...r.commands);
      if (r.removed) removed.push(thumbprint);
      if (r.attention) {
        attention = true;
        error ??= new CertfleetError("apply", `could not remove ${thumbprint}, which certfleet imported: certutil -delstore My ${thumbprint}`, session.host);
      }
    }
  }
  return { commands, attention, removed, cleaned, ...(error ? { error } : {}) };
}

async function shellOf(session: HostSession): Promise<RemoteShell> {
  try {
    return session.shell;
  } catch {
    await session.discover();
    return session.shell;
  }
}
