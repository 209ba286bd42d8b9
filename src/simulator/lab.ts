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
  /** the file holding the WinRM hosts' password (mode 0600), and the variable the inventory names; absent without WinRM hosts */
  winrm?: { passwordFile: string; passwordEnv: string; hosts: string[] };
  /** every file the lab wrote (removed by stop) */
  files: string[];
  stop(): Promise<void>;
  /** removes the files at once (the process is exiting and cannot wait for the fleet) */
  removeFilesSync(): void;
}

/** The variable the lab's inventory names for the WinRM hosts' password. */
export const LAB_PASSWORD_ENV = "CERTFLEET_SIM_PASSWORD";

/**
 * Refuses a folder that already holds an inventory: another lab, or the user's own files. The
 * last `winrmHosts` hosts are reached over WinRM (NTLM with message encryption), every second one
 * over HTTPS with its listener's certificate pinned.
 */
export async function startLab(dirArg: string, hosts: number, winrmHosts = 0): Promise<Lab> {
  const dir = resolve(dirArg);
  const created = !existsSync(dir);
  if (!created && existsSync(join(dir, "hosts.yaml"))) {
    throw new RangeError(`${join(dir, "hosts.yaml")} already exists: is another lab running there? Choose another --dir`);
  }
  const specs = demoFleetSpecs(hosts).map((spec, i) => (i >= hosts - winrmHosts ? { ...spec, winrm: { https: (hosts - i) % 2 === 0 } } : spec));
  const fleet = await startFleet(specs);
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
    let winrm: Lab["winrm"];
    if (winrmHosts > 0) {
      // The password goes to a file only its owner reads, never to the screen.
      const passwordFile = join(dir, "winrm-password");
      await writeFile(passwordFile, fleet.password, { mode: 0o600 });
      files.push(passwordFile);
      winrm = { passwordFile, passwordEnv: LAB_PASSWORD_ENV, hosts: specs.filter((s) => s.winrm).map((s) => s.name) };
    }
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
    return { fleet, dir, inventory: written.inventory, newCer, oldCer, newThumbprint: newCert.thumbprint, oldThumbprint: oldCert.thumbprint, ...(winrm ? { winrm } : {}), files, stop, removeFilesSync };
  } catch (err) {
    await fleet.stop();
    await Promise.all(files.map((f) => rm(f, { force: true })));
    throw err;
  }
}
