/**
 * Vitest global setup: every test's temporary files go under one folder that is removed when the
 * run ends, passed or failed. Tests create journals, inventories, keys and report folders with
 * mkdtemp(os.tmpdir()) and the CLI processes they start do the same; a test that forgets to remove
 * what it made (or dies before its afterEach) would otherwise leave it in the machine's /tmp on
 * every run. TMPDIR is read by os.tmpdir() on each call and inherited by the test workers and by
 * every process they start.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), "certfleet-tests-"));
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = root;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    rmSync(root, { recursive: true, force: true });
  };
}
