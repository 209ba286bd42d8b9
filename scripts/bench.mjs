#!/usr/bin/env node
// Benchmark (not a test): discover, rollout and verify over simulated fleets of each size, with
// the fleet in one child process and the orchestrator (the certfleet CLI) in another, so that
// each figure is the orchestrator's own: wall time, remote commands and SSH connections a host
// (counted by the simulated servers), CPU a host and peak memory (of the orchestrator process).
// Speed goals are held here, not in timed tests.
//   npm run bench                       sizes 200 and 1000, -c 50
//   npm run bench -- 200,1000 100       sizes, concurrency
//   npm run bench -- 200 50 --json out.json
//   npm run bench -- 200,1000 50 --winrm 200   also a fleet of 200 reached over WinRM (0: none)
import { fork, spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const jsonAt = args.indexOf("--json");
const jsonFile = jsonAt >= 0 ? args.splice(jsonAt, 2)[1] : undefined;
const winrmAt = args.indexOf("--winrm");
const winrmHosts = Number(winrmAt >= 0 ? args.splice(winrmAt, 2)[1] : 200);
const sizes = (args[0] ?? "200,1000").split(",").map(Number);
const concurrency = Number(args[1] ?? 50);

function startFleet(hosts, transport) {
  const child = fork(join(here, "bench-fleet.mjs"), [String(hosts), transport], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const ask = (type) =>
    new Promise((resolve, reject) => {
      child.once("message", resolve);
      child.once("exit", (code) => reject(new Error(`fleet process exited (${code})`)));
      child.send({ type });
    });
  const ready = new Promise((resolve, reject) => {
    child.once("message", resolve);
    child.once("exit", (code) => reject(new Error(`fleet process exited (${code}) before it was ready`)));
  });
  return { ready, stats: () => ask("stats"), stop: () => new Promise((r) => { child.once("exit", r); child.send({ type: "stop" }); }) };
}

function runOrchestrator(argv, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(here, "bench-run.mjs"), JSON.stringify(argv)], { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, ...env } });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("exit", (code) => {
      const line = out.trim().split("\n").pop() ?? "";
      try {
        resolve(JSON.parse(line));
      } catch {
        reject(new Error(`orchestrator exited ${code} without a result: ${out.slice(-500)}`));
      }
    });
  });
}

const rows = [];
const fleets = [...sizes.map((hosts) => ({ hosts, transport: "ssh" })), ...(winrmHosts > 0 ? [{ hosts: winrmHosts, transport: "winrm" }] : [])];
for (const { hosts, transport } of fleets) {
  const fleet = startFleet(hosts, transport);
  const info = await fleet.ready;
  // The simulated WinRM hosts' password reaches the orchestrator as the inventory says: by env.
  const env = info.password ? { CERTFLEET_SIM_PASSWORD: info.password } : {};
  const common = ["-i", info.inventory, "-c", String(concurrency), "--plain"];
  const commands = [
    ["discover", ["discover", ...common, "--out", join(info.dir, "discover")]],
    ["rollout", ["rollout", ...common, "--new", info.newThumbprint, "--yes", "--rebind-owner-managed", "--batch", "50%", "--verify-window", "5", "--verify-interval", "0.1", "--out", join(info.dir, "rollout")]],
    ["verify", ["verify", ...common, "--expect", info.newThumbprint, "--verify-window", "1", "--out", join(info.dir, "verify")]],
  ];
  for (const [name, argv] of commands) {
    const before = await fleet.stats();
    const r = await runOrchestrator(argv, env);
    const after = await fleet.stats();
    rows.push({
      command: name,
      transport,
      hosts,
      "-c": concurrency,
      exit: r.exit,
      "wall s": +(r.wallMs / 1000).toFixed(1),
      "cmds/host": +((after.commands - before.commands) / hosts).toFixed(2),
      // the update path (every host with `netsh http update`) and the delete+add path (2012 R2)
      "cmds/host update": +((after.commands - before.commands - (after.deleteAddCommands - before.deleteAddCommands)) / (hosts - info.deleteAddHosts)).toFixed(2),
      "cmds/host delete+add": info.deleteAddHosts > 0 ? +((after.deleteAddCommands - before.deleteAddCommands) / info.deleteAddHosts).toFixed(2) : "-",
      "conns/host": +((after.connections - before.connections) / hosts).toFixed(2),
      "CPU ms/host": +(r.cpuMs / hosts).toFixed(1),
      "peak RSS MB": Math.round(r.peakRssMB),
      "max RSS MB": Math.round(r.maxRssMB),
      "peak heap MB": Math.round(r.peakHeapMB),
    });
    process.stderr.write(`${name} ${hosts} hosts (${transport}): ${(r.wallMs / 1000).toFixed(1)} s\n`);
  }
  await fleet.stop();
}
console.log(`certfleet benchmark: node ${process.version}, simulated fleet and orchestrator in separate processes`);
console.table(rows);
if (jsonFile) await writeFile(jsonFile, JSON.stringify(rows, null, 2));
