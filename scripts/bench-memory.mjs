#!/usr/bin/env node
// Where the orchestrator's memory goes as the fleet grows (not a test): runs discover over a
// simulated fleet (in its own process) through the library API, and prints the heap retained by
// the per-host results, the size of the report they make, and how much the heap grew while each
// report file was written (a host at a time, src/report/write.ts). Run with --expose-gc for
// retained sizes:
//   npm run build && node --expose-gc scripts/bench-memory.mjs 200,1000 50
import { fork } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadInventory } from "../dist/inventory/load.js";
import { runDiscover } from "../dist/runs/discover.js";
import { reportFromRun } from "../dist/report/from-outcomes.js";
import { ConnectionPool } from "../dist/transport/pool.js";
import { connectSsh } from "../dist/transport/ssh.js";
import { writeReports } from "../dist/report/write.js";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";

const here = dirname(fileURLToPath(import.meta.url));
const sizes = (process.argv[2] ?? "200,1000").split(",").map(Number);
const concurrency = Number(process.argv[3] ?? 50);
const gc = globalThis.gc ?? (() => undefined);
const MB = 2 ** 20;
const heap = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

/** How far the heap grew (no GC forced on the way) while `fn` ran, sampled as it yields to the event loop. */
async function peakDuring(fn) {
  gc();
  const start = process.memoryUsage().heapUsed;
  let peak = start;
  const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 1);
  const out = await fn();
  clearInterval(sample);
  peak = Math.max(peak, process.memoryUsage().heapUsed);
  return { out, grewMB: (peak - start) / MB };
}

for (const hosts of sizes) {
  const child = fork(join(here, "bench-fleet.mjs"), [String(hosts)], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const info = await new Promise((resolve) => child.once("message", resolve));
  const inventory = await loadInventory(info.inventory);
  const pool = new ConnectionPool((h) => connectSsh(h, { commandTimeoutMs: 60_000, connectTimeoutMs: 30_000 }));
  const deps = { connect: (h) => pool.connect(h), release: (h) => pool.release(h), now: () => new Date(), progress: {}, commandTimeoutMs: 60_000 };
  const base = heap();
  const report = reportFromRun(await runDiscover(inventory.hosts, concurrency, deps));
  await pool.closeAll();
  const retained = heap() - base;
  const json = JSON.stringify(report);
  const rows = { hosts, "results retained (heap MB)": +(retained / MB).toFixed(1), "per host KB": +(retained / hosts / 1024).toFixed(1), "report JSON MB": +(json.length / MB).toFixed(1) };
  const dir = await mkdtemp(join(tmpdir(), "certfleet-bench-memory-"));
  for (const format of ["json", "md", "html", "junit"]) {
    const { out, grewMB } = await peakDuring(() => writeReports(dir, report, { formats: [format] }));
    rows[`${format} (MB written / heap grew MB)`] = `${((await stat(out.files[0])).size / MB).toFixed(1)} / ${grewMB.toFixed(0)}`;
  }
  await rm(dir, { recursive: true, force: true });
  console.log(JSON.stringify(rows));
  child.send({ type: "stop" });
  await new Promise((r) => child.once("exit", r));
}
