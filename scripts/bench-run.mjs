#!/usr/bin/env node
// One certfleet command as the benchmark's orchestrator process: runs the CLI in-process with its
// output silenced and prints one JSON line with what it cost this process alone: wall time, CPU
// (process.cpuUsage around the run, module loading excluded), peak RSS sampled every 20 ms and the
// kernel's max RSS (process.resourceUsage().maxRSS, which includes start-up).
import { performance } from "node:perf_hooks";
import { runCli } from "../dist/cli/program.js";

const argv = JSON.parse(process.argv[2] ?? "[]");
const speak = process.stdout.write.bind(process.stdout);
const silence = () => true;
process.stdout.write = silence;
process.stderr.write = silence;

let peakRss = process.memoryUsage().rss;
let peakHeap = process.memoryUsage().heapUsed;
const sample = setInterval(() => {
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  peakHeap = Math.max(peakHeap, m.heapUsed);
}, 20);
sample.unref();

const cpu0 = process.cpuUsage();
const t0 = performance.now();
const code = await runCli(argv);
const wallMs = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const m = process.memoryUsage();
peakRss = Math.max(peakRss, m.rss);
peakHeap = Math.max(peakHeap, m.heapUsed);
clearInterval(sample);
speak(
  `${JSON.stringify({
    exit: code,
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    peakRssMB: peakRss / 2 ** 20,
    peakHeapMB: peakHeap / 2 ** 20,
    maxRssMB: process.resourceUsage().maxRSS / 1024,
  })}\n`,
  () => process.exit(0),
);
