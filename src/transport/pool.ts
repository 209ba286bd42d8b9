/**
 * One SSH connection per host for the whole run: commands that visit a host twice (plan, then
 * rollout after the confirmation) reuse the open connection. A connection that dropped is
 * forgotten, so the next connect() opens a fresh one.
 */
import { CertfleetError } from "../model/errors.js";
import type { ExecOptions, ExecResult, Transport } from "./transport.js";

export class ConnectionPool<H extends { name: string }> {
  private readonly open = new Map<string, Promise<Transport>>();

  constructor(private readonly dial: (host: H) => Promise<Transport>) {}

  /** A lease on the host's connection; closing the lease keeps the connection for the run. */
  async connect(host: H): Promise<Transport> {
    let pending = this.open.get(host.name);
    if (!pending) {
      pending = this.dial(host);
      this.open.set(host.name, pending);
      pending.catch(() => this.open.delete(host.name));
    }
    const transport = await pending;
    let dead = false;
    const forget = () => {
      dead = true;
      if (this.open.get(host.name) === pending) this.open.delete(host.name);
      void transport.close().catch(() => undefined);
    };
    return {
      host: transport.host,
      ...(transport.hostKey !== undefined ? { hostKey: transport.hostKey } : {}),
      exec: async (command: string, options?: ExecOptions): Promise<ExecResult> => {
        if (dead) throw new CertfleetError("unreachable", "connection was closed", host.name);
        try {
          return await transport.exec(command, options);
        } catch (err) {
          if (err instanceof CertfleetError && (err.kind === "unreachable" || err.kind === "timeout")) forget();
          throw err;
        }
      },
      upload: (local, remote) => transport.upload(local, remote),
      ...(transport.uploadBytes ? { uploadBytes: (remote: string, bytes: Buffer) => transport.uploadBytes!(remote, bytes) } : {}),
      close: async () => {
        // A lease that saw a failure drops the connection; a healthy one keeps it for the run.
        if (dead) forget();
      },
    };
  }

  /** Closes the host's connection now: the run is done with that host (discover visits each once). */
  async release(host: H): Promise<void> {
    const pending = this.open.get(host.name);
    if (!pending) return;
    this.open.delete(host.name);
    await pending.then((t) => t.close()).catch(() => undefined);
  }

  async closeAll(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.all(all.map((p) => p.then((t) => t.close()).catch(() => undefined)));
  }
}
