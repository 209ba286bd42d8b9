/**
 * The file and OS commands delivery uses, over the host's simulated file system: `ver` (a cmd.exe
 * built-in; PowerShell reaches it through `cmd /c`), cmd's `mkdir`/`md`, `rmdir`/`rd`,
 * `del`/`erase`, the `icacls.exe` program (both shells) and PowerShell's `New-Item`,
 * `Remove-Item` and `Test-Path`. Texts are English, French and German as Windows prints them;
 * an account that is not elevated cannot touch a folder locked to Administrators and SYSTEM.
 */
import { normalizeWindowsPath, type SimFileSystem } from "./files.js";
import { lines } from "./netsh-text.js";
import type { ProgramResult } from "./netsh.js";
import type { SimLanguage, SimOs } from "./state.js";

export interface FileCommandHost {
  os: SimOs;
  language: SimLanguage;
  elevated: boolean;
  files: SimFileSystem;
  /** `ver` prints no version number (fault) */
  unreadableVersion?: boolean;
}

/** What `ver` prints per OS; the word is localized, the numbers are not. */
export const OS_VERSION: Record<SimOs, string> = {
  "2012r2": "6.3.9600",
  "2016": "10.0.14393",
  "2022": "10.0.20348.2113",
  "2025": "10.0.26100.1742",
};

const VERSION_WORD: Record<SimLanguage, string> = { en: "Version", fr: "version", de: "Version" };

const TEXT = {
  accessDenied: { en: "Access is denied.", fr: "Accès refusé.", de: "Zugriff verweigert" },
  notFound: { en: "The system cannot find the file specified.", fr: "Le fichier spécifié est introuvable.", de: "Das System kann die angegebene Datei nicht finden." },
  syntax: { en: "The syntax of the command is incorrect.", fr: "La syntaxe de la commande n'est pas correcte.", de: "Die Syntax für den Dateinamen, Verzeichnisnamen oder die Datenträgerbezeichnung ist falsch." },
  exists: {
    en: (p: string) => `A subdirectory or file ${p} already exists.`,
    fr: (p: string) => `Un sous-répertoire ou un fichier ${p} existe déjà.`,
    de: (p: string) => `Ein Unterverzeichnis oder eine Datei mit dem Namen "${p}" existiert bereits.`,
  },
  couldNotFind: { en: (p: string) => `Could Not Find ${p}`, fr: (p: string) => `Impossible de trouver ${p}`, de: (p: string) => `${p} konnte nicht gefunden werden.` },
  icaclsSummary: {
    en: (ok: number, bad: number) => `Successfully processed ${ok} files; Failed processing ${bad} files`,
    fr: (ok: number, bad: number) => `${ok} fichiers correctement traités ; échec du traitement de ${bad} fichiers`,
    de: (ok: number, bad: number) => `${ok} Dateien erfolgreich verarbeitet, bei ${bad} Dateien ist ein Verarbeitungsfehler aufgetreten.`,
  },
} as const;

const ok = (stdout = ""): ProgramResult => ({ stdout, stderr: "", code: 0 });
const err = (stderr: string, code: number): ProgramResult => ({ stdout: "", stderr, code });

const touchable = (host: FileCommandHost, path: string): boolean => host.elevated || !host.files.adminOnly(path);

function ver(host: FileCommandHost): ProgramResult {
  if (host.unreadableVersion === true) return ok(lines("", "Microsoft Windows"));
  return ok(lines("", `Microsoft Windows [${VERSION_WORD[host.language]} ${OS_VERSION[host.os]}]`));
}

function mkdir(host: FileCommandHost, argv: string[]): ProgramResult {
  const L = host.language;
  if (argv.length === 0) return err(lines(TEXT.syntax[L]), 1);
  let code = 0;
  let stderr = "";
  for (const raw of argv) {
    const path = normalizeWindowsPath(raw);
    if (path === null) {
      stderr += lines(TEXT.syntax[L]);
      code = 1;
    } else if (host.files.exists(path)) {
      stderr += lines(TEXT.exists[L](raw));
      code = 1;
    } else if (!touchable(host, path)) {
      stderr += lines(TEXT.accessDenied[L]);
      code = 1;
    } else host.files.mkdir(path);
  }
  return { stdout: "", stderr, code };
}

function rmdir(host: FileCommandHost, argv: string[]): ProgramResult {
  const L = host.language;
  const recursive = argv.some((a) => /^\/s$/i.test(a));
  const targets = argv.filter((a) => !a.startsWith("/"));
  for (const raw of targets) {
    const path = normalizeWindowsPath(raw);
    if (path === null || !host.files.isFolder(path)) return err(lines(TEXT.notFound[L]), 2);
    if (!touchable(host, path)) return err(lines(TEXT.accessDenied[L]), 5);
    if (!recursive && !host.files.isEmptyFolder(path)) return err(lines({ en: "The directory is not empty.", fr: "Le répertoire n'est pas vide.", de: "Das Verzeichnis ist nicht leer." }[L]), 145);
    host.files.removeTree(path);
  }
  return ok();
}

function del(host: FileCommandHost, argv: string[]): ProgramResult {
  const L = host.language;
  let out = "";
  for (const raw of argv.filter((a) => !a.startsWith("/"))) {
    const path = normalizeWindowsPath(raw);
    if (path === null || !host.files.isFile(path)) out += lines(TEXT.couldNotFind[L](raw));
    else if (!touchable(host, path)) out += lines(`${raw}`, TEXT.accessDenied[L]);
    else host.files.removeFile(path);
  }
  // del leaves errorlevel 0 even when it found nothing; the proof that follows must check.
  return { stdout: "", stderr: out, code: 0 };
}

/** `*S-1-5-32-544:(OI)(CI)F` -> `S-1-5-32-544`; a name stays a name (it is not one of the two SIDs). */
const principalOf = (grant: string): string => grant.replace(/:\(.*$|:[A-Z]+$/, "").replace(/^\*/, "");

function icacls(host: FileCommandHost, argv: string[]): ProgramResult {
  const L = host.language;
  const [raw, ...opts] = argv;
  if (raw === undefined) return err(lines(TEXT.syntax[L]), 87);
  const path = normalizeWindowsPath(raw);
  const quiet = opts.some((o) => /^\/q$/i.test(o));
  const tree = opts.some((o) => /^\/t$/i.test(o));
  if (path === null || !host.files.exists(path)) return { stdout: lines(`${raw}: ${TEXT.notFound[L]}`, TEXT.icaclsSummary[L](0, 1)), stderr: "", code: 2 };
  if (!host.elevated) return { stdout: lines(`${raw}: ${TEXT.accessDenied[L]}`, TEXT.icaclsSummary[L](0, 1)), stderr: "", code: 5 };

  let removeInheritance = false;
  let grants: string[] | undefined;
  let owner: string | undefined;
  for (let i = 0; i < opts.length; i++) {
    const o = opts[i]!.toLowerCase();
    if (o === "/inheritance:r") removeInheritance = true;
    else if (o === "/grant:r" || o === "/grant") {
      grants = [];
      while (i + 1 < opts.length && !opts[i + 1]!.startsWith("/")) grants.push(principalOf(opts[++i]!));
    } else if (o === "/setowner") owner = principalOf(opts[++i] ?? "");
  }
  const targets = [path, ...(tree && host.files.isFolder(path) ? folderTree(host.files, path) : [])];
  for (const t of targets) {
    host.files.setAcl(t, (acl) => ({
      protected: removeInheritance || acl.protected,
      grants: grants ?? acl.grants,
      owner: owner ?? acl.owner,
    }));
  }
  const processed = quiet ? [] : targets.map((t) => `processed file: ${t}`);
  return ok(lines(...processed, TEXT.icaclsSummary[L](targets.length, 0)));
}

function folderTree(files: SimFileSystem, root: string): string[] {
  const out: string[] = [];
  for (const e of files.list(root)) {
    if (!e.folder) continue;
    const child = `${root}\\${e.name}`;
    out.push(child, ...folderTree(files, child));
  }
  return out;
}

/** `-Name value` pairs and switches of a PowerShell command line (already unquoted). */
function psParams(argv: string[]): { named: Map<string, string>; switches: Set<string>; piped: string[] } {
  const pipe = argv.indexOf("|");
  const own = pipe < 0 ? argv : argv.slice(0, pipe);
  const named = new Map<string, string>();
  const switches = new Set<string>();
  const VALUED = new Set(["-path", "-literalpath", "-itemtype", "-erroraction", "-name"]);
  for (let i = 0; i < own.length; i++) {
    const a = own[i]!.toLowerCase();
    if (VALUED.has(a)) named.set(a, own[++i] ?? "");
    else if (a.startsWith("-")) switches.add(a);
    else if (!named.has("-path")) named.set("-path", own[i]!);
  }
  return { named, switches, piped: pipe < 0 ? [] : argv.slice(pipe + 1) };
}

const PS_PATH_DENIED = (p: string) => `Access to the path '${p}' is denied.`;

function newItem(host: FileCommandHost, argv: string[]): ProgramResult {
  const { named, switches, piped } = psParams(argv);
  const raw = named.get("-path") ?? "";
  const path = normalizeWindowsPath(raw);
  if (path === null) return err(lines(`New-Item : Cannot find drive. A drive with the name '${raw.split(":")[0]}' does not exist.`), 1);
  if (!touchable(host, path)) return err(lines(`New-Item : ${PS_PATH_DENIED(raw)}`), 1);
  if (host.files.exists(path) && !switches.has("-force")) return err(lines(`New-Item : An item with the specified name ${raw} already exists.`), 1);
  host.files.mkdir(path);
  const quiet = piped.length > 0 && /^out-null$/i.test(piped[0] ?? "");
  const parent = path.slice(0, path.lastIndexOf("\\"));
  const name = path.slice(path.lastIndexOf("\\") + 1);
  return ok(quiet ? "" : lines("", "", `    Directory: ${parent}`, "", "", "Mode                 LastWriteTime         Length Name", "----                 -------------         ------ ----", `d-----        1/1/2026  12:00 AM                ${name}`, "", ""));
}

function removeItem(host: FileCommandHost, argv: string[]): ProgramResult {
  const { named, switches } = psParams(argv);
  const raw = named.get("-literalpath") ?? named.get("-path") ?? "";
  const silent = /^silentlycontinue$/i.test(named.get("-erroraction") ?? "");
  const path = normalizeWindowsPath(raw);
  const fail = (text: string) => err(silent ? "" : lines(`Remove-Item : ${text}`), 1);
  if (path === null || !host.files.exists(path)) return fail(`Cannot find path '${raw}' because it does not exist.`);
  if (!touchable(host, path)) return fail(PS_PATH_DENIED(raw));
  if (host.files.isFile(path)) host.files.removeFile(path);
  else if (switches.has("-recurse") || host.files.isEmptyFolder(path)) host.files.removeTree(path);
  else return fail(`The item at ${raw} has children and the Recurse parameter was not specified.`);
  return ok();
}

function testPath(host: FileCommandHost, argv: string[]): ProgramResult {
  const { named } = psParams(argv);
  const path = normalizeWindowsPath(named.get("-literalpath") ?? named.get("-path") ?? "");
  return ok(lines(path !== null && host.files.exists(path) ? "True" : "False"));
}

/** Runs one of the commands above; null when `name` is none of them (or not available in this shell). */
export function runFileCommand(host: FileCommandHost, name: string, argv: string[], runner: "cmd" | "powershell"): ProgramResult | null {
  if (runner === "cmd") {
    switch (name) {
      case "ver":
        return ver(host);
      case "mkdir":
      case "md":
        return mkdir(host, argv);
      case "rmdir":
      case "rd":
        return rmdir(host, argv);
      case "del":
      case "erase":
        return del(host, argv);
    }
  } else {
    switch (name) {
      case "new-item":
        return newItem(host, argv);
      case "remove-item":
        return removeItem(host, argv);
      case "test-path":
        return testPath(host, argv);
    }
  }
  return name === "icacls" ? icacls(host, argv) : null;
}
