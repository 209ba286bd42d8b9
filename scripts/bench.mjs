#!/usr/bin/env node
// Benchmark (not a test): discover + rollout + verify over N simulated hosts with bounded
// concurrency, reporting wall time and round trips per host. Speed goals are held here, not in
// timed tests. Usage: npm run build && node scripts/bench.mjs [hosts=100] [concurrency=20] [ssh|winrm|winrm-https]
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { runCli } from "../dist/cli/program.js";
import { demoCertificates, demoFleetSpecs, startFleet } from "../dist/simulator/index.js";

const hosts = Number(process.argv[2] ?? 100);
const concurrency = Number(process.argv[3] ?? 20);
// winrm: HTTP with NTLM and message encryption (a default Windows server); winrm-https: HTTPS + NTLM
const transport = process.argv[4] ?? "ssh";
if (!["ssh", "winrm", "winrm-https"].includes(transport)) throw new Error(`unknown transport ${transport}`);
// Healthy hosts only: faults are measured by the tests, speed here.
const specs = demoFleetSpecs(hosts).map((s) => ({ ...s, faults: {} }));
specs.forEach((s, i) => { if (s.certificates) s.certificates = s.certificates.map((c) => ({ ...c, hasPrivateKey: true })); s.name = `${s.name}-${i}`; });
if (transport !== "ssh") specs.forEach((s) => { s.winrm = transport === "winrm-https" ? { https: true } : {}; });
const fleet = await startFleet(specs);
process.env.CERTFLEET_SIM_PASSWORD = fleet.password;
const dir = await mkdtemp(join(tmpdir(), "certfleet-bench-"));
const files = await fleet.writeFiles(dir);
const { newCert } = demoCertificates();
const common = ["-i", files.inventory, "-c", String(concurrency), "--plain"];
const silence = process.stderr.write.bind(process.stderr);
const speak = process.stdout.write.bind(process.stdout);
const rows = [];
for (const [name, argv] of [
  ["discover", ["discover", ...common, "--out", join(dir, "discover")]],
  ["rollout", ["rollout", ...common, "--new", newCert.thumbprint, "--yes", "--batch", "50%", "--verify-window", "5", "--verify-interval", "0.1", "--out", join(dir, "rollout")]],
  ["verify", ["verify", ...common, "--expect", newCert.thumbprint, "--verify-window", "1", "--out", join(dir, "verify")]],
]) {
  const before = fleet.hosts.reduce((n, h) => n + h.commandLog.length, 0);
  process.stderr.write = () => true;
  process.stdout.write = () => true;
  const t0 = performance.now();
  const code = await runCli(argv);
  const ms = performance.now() - t0;
  process.stderr.write = silence;
  process.stdout.write = speak;
  const cmds = fleet.hosts.reduce((n, h) => n + h.commandLog.length, 0) - before;
  rows.push({ transport, step: name, exit: code, seconds: (ms / 1000).toFixed(2), "commands/host": (cmds / hosts).toFixed(1), "hosts/s": (hosts / (ms / 1000)).toFixed(1) });
}
await fleet.stop();
console.log(`certfleet benchmark: ${hosts} simulated hosts over ${transport}, -c ${concurrency}, node ${process.version}`);
console.table(rows);
