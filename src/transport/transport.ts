import { CertfleetError } from "../model/errors.js";

/**
 * The one interface every backend implements (SSH today). Commands are strings handed to the
 * remote account's default shell (cmd.exe or PowerShell on Windows OpenSSH); output comes back as
 * raw bytes because Windows writes in the console's OEM code page and only src/windows decodes it.
 */
export interface ExecResult {
  stdout: Buffer;
  stderr: Buffer;
  /** the remote exit status; null when the channel closed without one (session dropped). */
  code: number | null;
}

export interface ExecOptions {
  /** per-command timeout; on expiry the call rejects with a CertfleetError of kind "timeout". */
  timeoutMs?: number;
  /**
   * Bytes written to the command's standard input, which is then closed (SSH: the channel;
   * WinRM: Send). How a secret (a PFX, its password) reaches a remote command without a file or
   * a command line. Never logged. Absent: stdin is closed at once.
   */
  stdin?: Buffer;
}

export interface Transport {
  readonly host: string;
  /** the SHA256 fingerprint of the host key this connection was verified with (SSH), when known. */
  readonly hostKey?: string;
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  upload(localPath: string, remotePath: string): Promise<void>;
  /**
   * Writes bytes held in memory to `remotePath` over SFTP: for secrets (a host's PFX) that must
   * never be written to the controller's disk. Optional so that test doubles need not provide it.
   */
  uploadBytes?(remotePath: string, bytes: Buffer): Promise<void>;
  close(): Promise<void>;
}

/**
 * Whether a failure means the session dropped while a command ran or before it (the command may
 * or may not have taken effect): every backend marks such errors `connectionLost: true`, and the
 * rollout then reconnects and reads the real state.
 */
/**
 * Whether a connect failure means the host cannot be connected to at all (refused, no route, no
 * such name), as opposed to a connection that was made and then cut (worth another try).
 */
export function isRefused(err: unknown): boolean {
  return err instanceof CertfleetError && (err as { refused?: unknown }).refused === true;
}

export function isConnectionLost(err: unknown): err is CertfleetError & { connectionLost: true } {
  return err instanceof CertfleetError && (err as { connectionLost?: unknown }).connectionLost === true;
}
