import type { HostStatus } from "./outcome.js";

/** What the runners tell the CLI as they go; the CLI renders it (listr2 on a TTY, plain lines in CI). */
export interface ProgressSink {
  wave?(index: number, label: string, hosts: readonly string[]): void;
  hostStart?(host: string): void;
  hostStep?(host: string, text: string): void;
  hostDone?(host: string, status: HostStatus, summary: string): void;
}

export const silentProgress: ProgressSink = {};
