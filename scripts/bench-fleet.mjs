#!/usr/bin/env node
// The benchmark's simulated fleet, in its own process so that the simulated servers' CPU and
// memory never count as the orchestrator's. Started by scripts/bench.mjs with an IPC channel:
// it writes the inventory, says `ready`, then answers `stats` (remote commands and SSH
// connections so far, summed over the fleet) and `stop`.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { demoCertificates, demoFleetSpecs, startFleet } from "../dist/simulator/index.js";

const hosts = Number(process.argv[2] ?? 200);
// `winrm`: every host is reached over WinRM (HTTP, NTLM, message encryption) instead of SSH.
const winrm = process.argv[3] === "winrm";
// Healthy hosts only: faults are measured by the tests, speed here.
const specs = demoFleetSpecs(hosts).map((s, i) => ({
  ...s,
  name: `${s.name}-${i}`,
  faults: {},
  ...(winrm ? { winrm: {} } : {}),
  ...(s.certificates ? { certificates: s.certificates.map((c) => ({ ...c, hasPrivateKey: true })) } : {}),
}));
const fleet = await startFleet(specs);
const dir = await mkdtemp(join(tmpdir(), "certfleet-bench-"));
const files = await fleet.writeFiles(dir);
const { newCert } = demoCertificates();

// Hosts without `netsh http update` (2012 R2) take the delete+add path: counted apart.
const deleteAdd = fleet.hosts.filter((h) => h.profile.os === "2012r2");
const stats = () => ({
  hosts: fleet.hosts.length,
  commands: fleet.hosts.reduce((n, h) => n + h.commandLog.length, 0),
  deleteAddHosts: deleteAdd.length,
  deleteAddCommands: deleteAdd.reduce((n, h) => n + h.commandLog.length, 0),
  connections: fleet.hosts.reduce((n, h) => n + h.connectionsAccepted, 0),
  bindings: fleet.hosts.reduce((n, h) => n + h.bindings.length, 0),
});

process.on("message", async (m) => {
  if (m?.type === "stats") process.send({ type: "stats", ...stats() });
  if (m?.type === "stop") {
    await fleet.stop();
    await rm(dir, { recursive: true, force: true });
    process.exit(0);
  }
});
process.on("disconnect", () => process.exit(0));
process.send({ type: "ready", inventory: files.inventory, dir, newThumbprint: newCert.thumbprint, ...(winrm ? { password: fleet.password } : {}), ...stats() });
