/**
 * A simulated host's file system: enough of NTFS for staging a PFX. Paths are Windows paths
 * (`C:\ProgramData\certfleet\run1\certificate.pfx`), compared case-insensitively; a folder can
 * carry an ACL that `icacls` set (inheritance removed, who is granted, the owner), and a folder
 * below inherits its parent's protection. Pure data and small helpers; no I/O.
 */

export interface SimAcl {
  /** `/inheritance:r` was applied: only the explicit grants hold. */
  protected: boolean;
  /** SIDs granted (`S-1-5-32-544`, `S-1-5-18`), as icacls set them. */
  grants: string[];
  /** owner SID. */
  owner: string;
}

interface Folder {
  path: string;
  acl?: SimAcl;
}

interface File {
  path: string;
  data: Buffer;
}

/** The two principals a staging folder may grant: Administrators and LocalSystem. */
export const ADMIN_ONLY = new Set(["S-1-5-32-544", "S-1-5-18"]);

const key = (path: string): string => path.replace(/[\\/]+$/, "").toLowerCase();

function parentOf(path: string): string | null {
  const i = path.replace(/[\\/]+$/, "").lastIndexOf("\\");
  if (i <= 2) return i === 2 && path.length > 3 ? path.slice(0, 3) : null; // `C:\x` -> `C:\`
  return path.slice(0, i);
}

/** `C:/a/b`, `c:\a\b\` -> `C:\a\b`; null when not an absolute drive path or when it climbs (`..`). */
export function normalizeWindowsPath(raw: string): string | null {
  const p = raw.replace(/\//g, "\\");
  const m = /^([A-Za-z]):(\\.*)?$/.exec(p);
  if (!m) return null;
  const parts = (m[2] ?? "\\").split("\\").filter((s) => s !== "" && s !== ".");
  if (parts.includes("..")) return null;
  return `${m[1]!.toUpperCase()}:\\${parts.join("\\")}`;
}

export class SimFileSystem {
  private readonly folders = new Map<string, Folder>();
  private readonly files = new Map<string, File>();

  constructor(initialFolders: string[] = []) {
    this.folders.set(key("C:\\"), { path: "C:\\" });
    for (const f of initialFolders) this.mkdir(f);
  }

  isFolder(path: string): boolean {
    return this.folders.has(key(path));
  }

  isFile(path: string): boolean {
    return this.files.has(key(path));
  }

  exists(path: string): boolean {
    return this.isFolder(path) || this.isFile(path);
  }

  /** Creates the folder and its missing parents (cmd's mkdir with extensions, New-Item -Force). */
  mkdir(path: string): void {
    const parent = parentOf(path);
    if (parent !== null && !this.isFolder(parent)) this.mkdir(parent);
    if (!this.isFolder(path)) this.folders.set(key(path), { path });
  }

  readFile(path: string): Buffer | undefined {
    return this.files.get(key(path))?.data;
  }

  /** False when the parent folder does not exist or the path is a folder. */
  writeFile(path: string, data: Buffer): boolean {
    const parent = parentOf(path);
    if (parent === null || !this.isFolder(parent) || this.isFolder(path)) return false;
    const existing = this.files.get(key(path));
    this.files.set(key(path), { path: existing?.path ?? path, data: Buffer.from(data) });
    return true;
  }

  removeFile(path: string): boolean {
    return this.files.delete(key(path));
  }

  /** Removes a folder and everything below it (rmdir /s, Remove-Item -Recurse). */
  removeTree(path: string): boolean {
    if (!this.isFolder(path)) return false;
    const prefix = `${key(path)}\\`;
    for (const k of [...this.files.keys()]) if (k.startsWith(prefix)) this.files.delete(k);
    for (const k of [...this.folders.keys()]) if (k.startsWith(prefix)) this.folders.delete(k);
    this.folders.delete(key(path));
    return true;
  }

  isEmptyFolder(path: string): boolean {
    const prefix = `${key(path)}\\`;
    return ![...this.files.keys(), ...this.folders.keys()].some((k) => k.startsWith(prefix));
  }

  /** Direct children of a folder: names, and whether each is a folder. */
  list(path: string): Array<{ name: string; folder: boolean; size: number }> {
    const prefix = `${key(path)}\\`;
    const direct = (k: string) => k.startsWith(prefix) && !k.slice(prefix.length).includes("\\");
    return [
      ...[...this.folders.entries()].filter(([k]) => direct(k)).map(([, f]) => ({ name: f.path.slice(f.path.lastIndexOf("\\") + 1), folder: true, size: 0 })),
      ...[...this.files.entries()].filter(([k]) => direct(k)).map(([, f]) => ({ name: f.path.slice(f.path.lastIndexOf("\\") + 1), folder: false, size: f.data.length })),
    ];
  }

  setAcl(path: string, change: (acl: SimAcl) => SimAcl): boolean {
    const folder = this.folders.get(key(path));
    if (!folder) return false;
    folder.acl = change(folder.acl ?? { protected: false, grants: [], owner: "S-1-5-32-544" });
    return true;
  }

  /** The ACL in force for a path: its own, else the nearest folder above that has one. */
  effectiveAcl(path: string): SimAcl | undefined {
    for (let p: string | null = path; p !== null; p = parentOf(p)) {
      const acl = this.folders.get(key(p))?.acl;
      if (acl) return acl;
    }
    return undefined;
  }

  /** Whether only Administrators and SYSTEM can open this path (a protected ACL granting nobody else). */
  adminOnly(path: string): boolean {
    const acl = this.effectiveAcl(path);
    return acl !== undefined && acl.protected && acl.grants.every((s) => ADMIN_ONLY.has(s)) && ADMIN_ONLY.has(acl.owner);
  }

  /** Every file path under `root` (all when absent), sorted. */
  filesUnder(root?: string): string[] {
    const prefix = root === undefined ? "" : `${key(root)}\\`;
    return [...this.files.entries()]
      .filter(([k]) => k.startsWith(prefix))
      .map(([, f]) => f.path)
      .sort();
  }
}
