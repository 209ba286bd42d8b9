/**
 * A rehearsal fleet that outlives one command: the demo hosts, started and kept running, with the
 * files a user points certfleet at (inventory, client key, known_hosts, the certificates as .cer)
 * written into a folder of the user's choice, and removed again when the lab stops.
 */
import { mkdir, readdir, rm, rmdir, writeFile } from "node:fs/promises";
import { existsSync, readdirSync, rmdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { demoCertificates, demoFleetSpecs } from "./demo.js";
import { startFleet, type SimFleet } from "./fleet.js";
import { toCerFile } from "./pki.js";

export interface Lab {
  fleet: SimFleet;
  dir: string;
  inventory: string;
  newCer: string;
  oldCer: string;
  newThumbprint: string;
  oldThumbprint: string;
  /** every file the lab wrote (removed by stop) */
  files: string[];
  stop(): Promise<void>;
  /** removes the files at once (the process is exiting and cannot wait for the fleet) */
  removeFilesSync(): void;
}

/** Refuses a folder that already holds an inventory: another lab, or the user's own files. */
export async function startLab(dirArg: string, hosts: number): Promise<Lab> {
  const dir = resolve(dirArg);
  const created = !existsSync(dir);
  if (!created && existsSync(join(dir, "hosts.yaml"))) {
    throw new RangeError(`${join(dir, "hosts.yaml")} already exists: is another lab running there? Choose another --dir`);
  }
  const fleet = await startFleet(demoFleetSpecs(hosts));
  const files: string[] = [];
  try {
    await mkdir(dir, { recursive: true });
    const written = await fleet.writeFiles(dir);
    files.push(written.identityFile, written.knownHostsFile, written.inventory);
    const { newCert, oldCert } = demoCertificates();
    const newCer = join(dir, "new-wildcard.cer");
    const oldCer = join(dir, "old-wildcard.cer");
    await writeFile(newCer, toCerFile(newCert));
    await writeFile(oldCer, toCerFile(oldCert));
    files.push(newCer, oldCer);
    const stop = async () => {
      await fleet.stop();
      await Promise.all(files.map((f) => rm(f, { force: true })));
      // the folder goes too when the lab made it and nothing else was put there
      if (created && existsSync(dir) && (await readdir(dir)).length === 0) await rmdir(dir);
    };
    const removeFilesSync = () => {
      for (const f of files) rmSync(f, { force: true });
      if (created && existsSync(dir) && readdirSync(dir).length === 0) rmdirSync(dir);
    };
    return { fleet, dir, inventory: written.inventory, newCer, oldCer, newThumbprint: newCert.thumbprint, oldThumbprint: oldCert.thumbprint, files, stop, removeFilesSync };
  } catch (err) {
    await fleet.stop();
    await Promise.all(files.map((f) => rm(f, { force: true })));
    throw err;
  }
}
