/**
 * One host's delivery, planned (pure): whether the host needs the certificate at all, and if so
 * the package for its build and the exact commands and uploads, in order, with what undoes them.
 * The step that runs it (journal, session, report) is wired separately; everything it needs to
 * decide is here so that it stays a thin shell.
 *
 * Decisions:
 * - A certificate already in `My` with a key certutil showed as present: `already-present`,
 *   nothing sent. Absent, present without a key, or with a key state certutil's text did not
 *   reveal (a display language the parser does not know): `deliver`. Re-importing the same
 *   certificate with its key is harmless (`-f` replaces it in place), and a certificate that was
 *   there before is never removed by an undo.
 * - An unknown OS build gets the legacy format: every supported build reads 3DES/SHA-1.
 */
import type { Certificate } from "../model/certificate.js";
import type { RemoteShell } from "../model/host-state.js";
import { pfxFormatFor, type PfxFormat } from "../model/pfx-format.js";
import { Secret } from "../model/secret.js";
import {
  addIntermediateCommand,
  cleanupStagingCommand,
  importPfxCommand,
  prepareStagingCommand,
  probeCertificateCommand,
  removeCertificateCommand,
  stagedPaths,
  stageThroughStdinCommand,
} from "../windows/delivery-commands.js";
import { REDACTED } from "../windows/importpfx-result.js";
import type { PfxContents } from "./pfx-read.js";
import { oneTimePassword, repackagePfx } from "./pfx-repackage.js";

export const PFX_FILE = "certificate.pfx";
export const chainFile = (i: number): string => `chain-${i + 1}.cer`;

export type Presence = "present" | "present-without-key" | "present-key-unknown" | "absent";

/** What the host's `My` store (from discovery or the probe) says about the certificate. */
export function presenceOf(certificates: Certificate[], thumbprint: string): Presence {
  const found = certificates.filter((c) => c.thumbprint === thumbprint && (c.store === undefined || c.store.toLowerCase() === "my"));
  if (found.length === 0) return "absent";
  if (found.some((c) => c.hasPrivateKey === true)) return "present";
  if (found.some((c) => c.hasPrivateKey === "unknown")) return "present-key-unknown";
  return "present-without-key";
}

export interface HostDeliveryInput {
  host: string;
  shell: RemoteShell;
  /** from `ver`; undefined when it could not be read (the legacy format is used). */
  build: number | undefined;
  /** the host's `My` store as discovery read it. */
  certificates: Certificate[];
  runId: string;
  exportable?: boolean;
}

export interface RemoteStep {
  name: "prepare" | "stage" | "import" | "intermediate" | "probe" | "cleanup" | "remove";
  /** what is sent (holds the one-time password for `import`: never log or report it). */
  command: Secret<string> | string;
  /** what may be shown, logged, journaled and reported: the password replaced by REDACTED. */
  shown: string;
}

export interface Upload {
  /** `/C:/ProgramData/certfleet/<run>/<file>` */
  sftpPath: string;
  /** `C:\ProgramData\certfleet\<run>\<file>`, for the journal and the cleanup report */
  windowsPath: string;
  bytes: Secret<Buffer> | Buffer;
  /** where there is no SFTP (WinRM, cmd.exe): the command that writes the file from its stdin (the bytes, base64). */
  stage?: RemoteStep;
}

export type HostDeliveryPlan =
  | { host: string; action: "already-present"; thumbprint: string; reason: string }
  | {
      host: string;
      action: "deliver";
      thumbprint: string;
      format: PfxFormat;
      /** the certificate was in `My` before (with or without key): an undo must never remove it. */
      presentBefore: boolean;
      reason: string;
      /** the one-time password of this host's import. */
      password: Secret<string>;
      /** in order: prepare, then uploads, then import, intermediates, probe; cleanup always last. */
      prepare: RemoteStep;
      uploads: Upload[];
      import: RemoteStep;
      intermediates: RemoteStep[];
      probe: RemoteStep;
      /** runs in every outcome (success, failure, Ctrl-C) and on rollback/resume. */
      cleanup: RemoteStep;
      /** undo of the import: only when the certificate was not there before (and nothing binds it: the caller checks). */
      remove?: RemoteStep;
      /** the staged folder, for the journal. */
      stagingFolder: string;
    };

const plain = (name: RemoteStep["name"], command: string): RemoteStep => ({ name, command, shown: command });

const stageStep = (shell: RemoteShell, runId: string, file: string, host: string): { stage?: RemoteStep } =>
  shell === "cmd" ? { stage: plain("stage", stageThroughStdinCommand(shell, runId, file, host)) } : {};

export function planHostDelivery(contents: PfxContents, input: HostDeliveryInput, password: Secret<string> = oneTimePassword()): HostDeliveryPlan {
  const thumbprint = contents.leaf.certificate.thumbprint;
  const presence = presenceOf(input.certificates, thumbprint);
  if (presence === "present") {
    return { host: input.host, action: "already-present", thumbprint, reason: "already present in LocalMachine\\My with its private key" };
  }
  const format = input.build === undefined ? "legacy-3des-sha1" : pfxFormatFor(input.build);
  const { shell, runId, host } = input;
  const pfx = stagedPaths(runId, PFX_FILE, host);
  const importCommand = importPfxCommand(shell, runId, PFX_FILE, password.reveal(), { exportable: input.exportable ?? false }, host);
  const reason = {
    absent: "not in LocalMachine\\My",
    "present-without-key": "in LocalMachine\\My without its private key: importing it again with the key",
    "present-key-unknown": "in LocalMachine\\My, but certutil's text did not show whether its key is there: importing it again",
  }[presence];
  return {
    host,
    action: "deliver",
    thumbprint,
    format,
    presentBefore: presence !== "absent",
    reason: `${reason}; ${format === "legacy-3des-sha1" ? `legacy 3DES/SHA-1 PFX for build ${input.build ?? "unknown"}` : `AES-256/SHA-256 PFX for build ${input.build}`}`,
    password,
    prepare: plain("prepare", prepareStagingCommand(shell, runId, host)),
    uploads: [
      { sftpPath: pfx.sftp, windowsPath: pfx.file, bytes: repackagePfx(contents, format, password), ...stageStep(shell, runId, PFX_FILE, host) },
      ...contents.intermediates.map((c, i) => {
        const p = stagedPaths(runId, chainFile(i), host);
        return { sftpPath: p.sftp, windowsPath: p.file, bytes: c.der, ...stageStep(shell, runId, chainFile(i), host) };
      }),
    ],
    import: { name: "import", command: new Secret(importCommand), shown: importCommand.split(password.reveal()).join(REDACTED) },
    intermediates: contents.intermediates.map((_, i) => plain("intermediate", addIntermediateCommand(shell, runId, chainFile(i), host))),
    probe: plain("probe", probeCertificateCommand(shell, thumbprint, host)),
    cleanup: plain("cleanup", cleanupStagingCommand(shell, runId, host)),
    ...(presence === "absent" ? { remove: plain("remove", removeCertificateCommand(shell, thumbprint, host)) } : {}),
    stagingFolder: pfx.folder,
  };
}

export type ProbeVerdict = "usable" | "no-key" | "absent" | "unknown";

/** After the import: the certificate must be in `My` with a key before any binding is touched. */
export function judgeProbe(certificates: Certificate[], thumbprint: string): ProbeVerdict {
  switch (presenceOf(certificates, thumbprint)) {
    case "present":
      return "usable";
    case "present-without-key":
      return "no-key";
    case "present-key-unknown":
      return "unknown";
    case "absent":
      return "absent";
  }
}

/** A fresh run id: UTC time and random hex, matching the staging folder's strict pattern. */
export function newRunId(now: Date, random: (n: number) => Buffer): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  return `${stamp}-${random(4).toString("hex")}`;
}
