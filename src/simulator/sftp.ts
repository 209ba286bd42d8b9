/**
 * The SFTP subsystem of a simulated Windows OpenSSH server (sftp-server.exe), over the host's
 * simulated file system: OPEN/WRITE/READ/CLOSE/FSTAT/STAT/LSTAT/SETSTAT/FSETSTAT/REMOVE/MKDIR/RMDIR/
 * REALPATH/OPENDIR/READDIR, enough for node-ssh's putFile (ssh2 fastPut), ssh2's writeFile and
 * a directory listing.
 *
 * Paths arrive the way Windows OpenSSH takes them: `/C:/ProgramData/...` (the drive after a
 * leading slash), `C:/...`, or relative to the account's home (`C:\Users\<user>`); REALPATH
 * answers in the `/C:/...` form. A folder whose ACL grants only Administrators and SYSTEM is
 * closed to a session that is not elevated (PERMISSION_DENIED), as NTFS would close it.
 */
import ssh2 from "ssh2";
import type { Attributes, SFTPWrapper } from "ssh2";
import { normalizeWindowsPath, type SimFileSystem } from "./files.js";

const { STATUS_CODE, OPEN_MODE } = ssh2.utils.sftp;

export interface SftpHost {
  files: SimFileSystem;
  user: string;
  /** the session runs with an Administrators token */
  elevated: boolean;
}

/** `/C:/a/b` | `C:/a/b` | `a/b` (relative to home) -> `C:\a\b`; null when it cannot be a Windows path. */
export function windowsPathOfSftp(sftpPath: string, home: string): string | null {
  const p = sftpPath.replace(/^\/(?=[A-Za-z]:)/, "");
  if (/^[A-Za-z]:/.test(p)) return normalizeWindowsPath(p);
  if (p.startsWith("/")) return null; // `/etc/x`: no drive, no such path on Windows
  return normalizeWindowsPath(`${home}\\${p}`);
}

export function sftpPathOfWindows(path: string): string {
  return `/${path.replace(/\\/g, "/").replace(/\/$/, "") || "/"}`;
}

interface OpenFile {
  path: string;
  data: Buffer;
  write: boolean;
  dirty: boolean;
}

interface OpenDir {
  path: string;
  done: boolean;
}

const FOLDER_MODE = 0o040777;
const FILE_MODE = 0o100666;

export function serveSftp(sftp: SFTPWrapper, host: SftpHost): void {
  const home = `C:\\Users\\${host.user}`;
  host.files.mkdir(home);
  const handles = new Map<string, OpenFile | OpenDir>();
  let next = 0;
  const newHandle = (entry: OpenFile | OpenDir): Buffer => {
    const h = Buffer.alloc(4);
    h.writeUInt32BE(next++);
    handles.set(h.toString("hex"), entry);
    return h;
  };
  const pathOf = (p: string) => windowsPathOfSftp(p, home);
  const denied = (path: string) => !host.elevated && host.files.adminOnly(path);
  const attrsOf = (path: string): Attributes | null => {
    const now = Math.floor(Date.now() / 1000);
    if (host.files.isFolder(path)) return { mode: FOLDER_MODE, uid: 0, gid: 0, size: 0, atime: now, mtime: now };
    const data = host.files.readFile(path);
    if (data === undefined) return null;
    return { mode: FILE_MODE, uid: 0, gid: 0, size: data.length, atime: now, mtime: now };
  };

  sftp.on("OPEN", (reqid, filename, flags) => {
    const path = pathOf(filename);
    if (path === null) return sftp.status(reqid, STATUS_CODE.NO_SUCH_FILE, "No such file");
    if (denied(path)) return sftp.status(reqid, STATUS_CODE.PERMISSION_DENIED, "Permission denied");
    const write = (flags & OPEN_MODE.WRITE) !== 0 || (flags & OPEN_MODE.APPEND) !== 0;
    const existing = host.files.readFile(path);
    if (host.files.isFolder(path)) return sftp.status(reqid, STATUS_CODE.FAILURE, "Is a directory");
    if (existing === undefined && !(flags & OPEN_MODE.CREAT)) return sftp.status(reqid, STATUS_CODE.NO_SUCH_FILE, "No such file");
    if (existing !== undefined && flags & OPEN_MODE.EXCL && flags & OPEN_MODE.CREAT) return sftp.status(reqid, STATUS_CODE.FAILURE, "File exists");
    const data = existing === undefined || flags & OPEN_MODE.TRUNC ? Buffer.alloc(0) : existing;
    if (write && !host.files.writeFile(path, data)) return sftp.status(reqid, STATUS_CODE.NO_SUCH_FILE, "No such file");
    return sftp.handle(reqid, newHandle({ path, data, write, dirty: false }));
  });

  sftp.on("WRITE", (reqid, handle, offset, data) => {
    const f = handles.get(handle.toString("hex"));
    if (!f || !("data" in f) || !f.write) return sftp.status(reqid, STATUS_CODE.FAILURE, "Bad handle");
    const end = offset + data.length;
    if (end > f.data.length) f.data = Buffer.concat([f.data, Buffer.alloc(end - f.data.length)]);
    data.copy(f.data, offset);
    f.dirty = true;
    host.files.writeFile(f.path, f.data); // visible at once, as NTFS shows a file being written
    return sftp.status(reqid, STATUS_CODE.OK);
  });

  sftp.on("READ", (reqid, handle, offset, length) => {
    const f = handles.get(handle.toString("hex"));
    if (!f || !("data" in f)) return sftp.status(reqid, STATUS_CODE.FAILURE, "Bad handle");
    if (offset >= f.data.length) return sftp.status(reqid, STATUS_CODE.EOF);
    return sftp.data(reqid, f.data.subarray(offset, offset + length));
  });

  sftp.on("FSTAT", (reqid, handle) => {
    const f = handles.get(handle.toString("hex"));
    const attrs = f ? attrsOf(f.path) : null;
    return attrs ? sftp.attrs(reqid, attrs) : sftp.status(reqid, STATUS_CODE.FAILURE, "Bad handle");
  });

  sftp.on("CLOSE", (reqid, handle) => {
    const k = handle.toString("hex");
    if (!handles.delete(k)) return sftp.status(reqid, STATUS_CODE.FAILURE, "Bad handle");
    return sftp.status(reqid, STATUS_CODE.OK);
  });

  const stat = (reqid: number, p: string) => {
    const path = pathOf(p);
    const attrs = path === null ? null : attrsOf(path);
    if (path !== null && attrs && denied(path)) return sftp.status(reqid, STATUS_CODE.PERMISSION_DENIED, "Permission denied");
    return attrs ? sftp.attrs(reqid, attrs) : sftp.status(reqid, STATUS_CODE.NO_SUCH_FILE, "No such file");
  };
  sftp.on("STAT", stat);
  sftp.on("LSTAT", stat);
  // Windows' sftp-server accepts chmod and ignores what NTFS cannot express.
  sftp.on("SETSTAT", (reqid, p) => {
    const path = pathOf(p);
    return path !== null && host.files.exists(path) ? sftp.status(reqid, STATUS_CODE.OK) : sftp.status(reqid, STATUS_CODE.NO_SUCH_FILE, "No such file");
  });
  sftp.on("FSETSTAT", (reqid, handle) =>
    handles.has(handle.toString("hex")) ? sftp.status(reqid, STATUS_CODE.OK) : sftp.status(reqid, STATUS_CODE.FAILURE, "Bad handle"),
  );

  sftp.on("REMOVE", (reqid, p) => {
    const path = pathOf(p);
    if (path === null || !host.files.isFile(path)) return sftp.status(reqid, STATUS_CODE.NO_SUCH_FILE, "No such file");
    if (denied(path)) return sftp.status(reqid, STATUS_CODE.PERMISSION_DENIED, "Permission denied");
    host.files.removeFile(path);
    return sftp.status(reqid, STATUS_CODE.OK);
  });

  sftp.on("MKDIR", (reqid, p) => {
    const path = pathOf(p);
    if (path === null) return sftp.status(reqid, STATUS_CODE.NO_SUCH_FILE, "No such file");
    if (host.files.exists(path)) return sftp.status(reqid, STATUS_CODE.FAILURE, "File exists");
    const parent = path.slice(0, path.lastIndexOf("\\")) || path;
    if (!host.files.isFolder(parent.length === 2 ? `${parent}\\` : parent)) return sftp.status(reqid, STATUS_CODE.NO_SUCH_FILE, "No such file");
    if (denied(path)) return sftp.status(reqid, STATUS_CODE.PERMISSION_DENIED, "Permission denied");
    host.files.mkdir(path);
    return sftp.status(reqid, STATUS_CODE.OK);
  });

  sftp.on("RMDIR", (reqid, p) => {
    const path = pathOf(p);
    if (path === null || !host.files.isFolder(path)) return sftp.status(reqid, STATUS_CODE.NO_SUCH_FILE, "No such file");
    if (denied(path)) return sftp.status(reqid, STATUS_CODE.PERMISSION_DENIED, "Permission denied");
    if (!host.files.isEmptyFolder(path)) return sftp.status(reqid, STATUS_CODE.FAILURE, "Directory not empty");
    host.files.removeTree(path);
    return sftp.status(reqid, STATUS_CODE.OK);
  });

  sftp.on("REALPATH", (reqid, p) => {
    const path = pathOf(p === "" ? "." : p);
    if (path === null) return sftp.status(reqid, STATUS_CODE.NO_SUCH_FILE, "No such file");
    const name = sftpPathOfWindows(path);
    return sftp.name(reqid, [{ filename: name, longname: name, attrs: { mode: FOLDER_MODE, uid: 0, gid: 0, size: 0, atime: 0, mtime: 0 } }]);
  });

  sftp.on("OPENDIR", (reqid, p) => {
    const path = pathOf(p);
    if (path === null || !host.files.isFolder(path)) return sftp.status(reqid, STATUS_CODE.NO_SUCH_FILE, "No such file");
    if (denied(path)) return sftp.status(reqid, STATUS_CODE.PERMISSION_DENIED, "Permission denied");
    return sftp.handle(reqid, newHandle({ path, done: false }));
  });

  sftp.on("READDIR", (reqid, handle) => {
    const d = handles.get(handle.toString("hex"));
    if (!d || "data" in d) return sftp.status(reqid, STATUS_CODE.FAILURE, "Bad handle");
    if (d.done) return sftp.status(reqid, STATUS_CODE.EOF);
    d.done = true;
    const now = Math.floor(Date.now() / 1000);
    return sftp.name(
      reqid,
      host.files.list(d.path).map((e) => ({
        filename: e.name,
        longname: e.name,
        attrs: { mode: e.folder ? FOLDER_MODE : FILE_MODE, uid: 0, gid: 0, size: e.size, atime: now, mtime: now },
      })),
    );
  });
}
