/**
 * Builders for the commands that read and move the certificate's other consumers: the WinRM
 * HTTPS listener, the registry values of the RDP listener and the Web Management Service, and
 * the private key's ACL. Same rules as src/windows/commands.ts: every value is checked against a
 * strict pattern before it is put on a line, and `isSendableConsumerCommand` is the whole-line
 * grammar the session's last gate accepts (see `isSendable`).
 *
 * Quoting: the registry keys are fixed strings (one of them has a space), quoted `"..."` for
 * cmd.exe and `'...'` for PowerShell. `@{CertificateThumbprint="..."}` is a hashtable literal to
 * PowerShell, so there it travels as one single-quoted argument (winrm.vbs then receives the same
 * text cmd.exe would give it). Key paths and SIDs need no quotes in either shell: their pattern
 * has no space and no character either shell reads.
 */
import { CertfleetError } from "../model/errors.js";
import type { RemoteShell } from "../model/host-state.js";
import { requireValue, shown } from "./grammar.js";
import { MACHINE_KEY_DIRS, type KeyLocation } from "./key-acl-parse.js";

export const REGISTRY_CONSUMERS = {
  rdp: { key: "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp", value: "SSLCertificateSHA1Hash" },
  wmsvc: { key: "HKLM\\SOFTWARE\\Microsoft\\WebManagement\\Server", value: "SslCertificateHash" },
} as const;
export type RegistryConsumer = keyof typeof REGISTRY_CONSUMERS;

export const CONSUMER_PATTERNS = {
  /** winrm listener address: `*`, `IP:<ipv4>` */
  listenerAddress: /^(?:\*|IP:(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d))$/,
  /** a SID in string form; never an account name (names are translated) */
  sid: /^S-1-(?:[0-5]|1[0-5])(?:-(?:0|[1-9]\d{0,9})){1,14}$/,
  /** a unique key container name: md5 of the container name, `_`, the machine GUID */
  keyUniqueName: /^[0-9a-f]{32}_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
} as const;

function requireConsumerValue(kind: keyof typeof CONSUMER_PATTERNS, value: string, host?: string): string {
  if (!CONSUMER_PATTERNS[kind].test(value)) {
    throw new CertfleetError("precondition", `refused to send ${kind} value ${shown(value)}: it does not match the strict pattern for ${kind}`, host);
  }
  return value;
}

const upperHash = (thumbprint: string, host?: string): string => requireValue("certhash", thumbprint, host).toUpperCase();

// --- WinRM ---

export const WINRM_ENUMERATE = "winrm enumerate winrm/config/listener";

/** `winrm set winrm/config/Listener?Address=*+Transport=HTTPS @{CertificateThumbprint="..."}` */
export function winrmSetThumbprintCommand(shell: RemoteShell, address: string, thumbprint: string, host?: string): string {
  const addr = requireConsumerValue("listenerAddress", address, host);
  const hash = upperHash(thumbprint, host);
  const settings = `@{CertificateThumbprint="${hash}"}`;
  return `winrm set winrm/config/Listener?Address=${addr}+Transport=HTTPS ${shell === "powershell" ? `'${settings}'` : settings}`;
}

// --- registry ---

function quotedKey(shell: RemoteShell, consumer: RegistryConsumer): string {
  const { key } = REGISTRY_CONSUMERS[consumer];
  return shell === "powershell" ? `'${key}'` : `"${key}"`;
}

export function regQueryCommand(shell: RemoteShell, consumer: RegistryConsumer): string {
  return `reg query ${quotedKey(shell, consumer)} /v ${REGISTRY_CONSUMERS[consumer].value}`;
}

/** Sets the REG_BINARY hash (the 20 bytes of the thumbprint, as reg.exe's hex). */
export function regSetHashCommand(shell: RemoteShell, consumer: RegistryConsumer, thumbprint: string, host?: string): string {
  return `reg add ${quotedKey(shell, consumer)} /v ${REGISTRY_CONSUMERS[consumer].value} /t REG_BINARY /d ${upperHash(thumbprint, host)} /f`;
}

/** Puts back an absent value (the state before certfleet set it). */
export function regDeleteValueCommand(shell: RemoteShell, consumer: RegistryConsumer): string {
  return `reg delete ${quotedKey(shell, consumer)} /v ${REGISTRY_CONSUMERS[consumer].value} /f`;
}

// --- private key location and ACL ---

export function keyLocationCommand(thumbprint: string, host?: string): string {
  return `certutil -store My ${requireValue("certhash", thumbprint, host)}`;
}

function keyFile(location: Pick<KeyLocation, "uniqueName" | "storage">, host?: string): string {
  return `${MACHINE_KEY_DIRS[location.storage]}\\${requireConsumerValue("keyUniqueName", location.uniqueName, host)}`;
}

const aclTempFile = (location: Pick<KeyLocation, "uniqueName">): string => `C:\\Windows\\Temp\\certfleet-${location.uniqueName.slice(0, 32)}.acl`;

/** Saves the key file's DACL as SDDL, prints it, removes the temporary file. */
export function keyAclReadCommand(shell: RemoteShell, location: Pick<KeyLocation, "uniqueName" | "storage">, host?: string): string {
  const file = keyFile(location, host);
  const tmp = aclTempFile(location);
  return shell === "powershell"
    ? `icacls ${file} /save ${tmp} /q; cmd /c type ${tmp}; cmd /c del /q ${tmp}`
    : `icacls ${file} /save ${tmp} /q & type ${tmp} & del /q ${tmp}`;
}

/** Grants read on the key file to a SID (`*S-1-5-20:R`): by SID, never by a translated name. */
export function keyGrantReadCommand(_shell: RemoteShell, location: Pick<KeyLocation, "uniqueName" | "storage">, sid: string, host?: string): string {
  return `icacls ${keyFile(location, host)} /grant *${requireConsumerValue("sid", sid, host)}:R`;
}

/** Removes the grant certfleet added (only granted rights: `/remove:g`). */
export function keyRemoveGrantCommand(_shell: RemoteShell, location: Pick<KeyLocation, "uniqueName" | "storage">, sid: string, host?: string): string {
  return `icacls ${keyFile(location, host)} /remove:g *${requireConsumerValue("sid", sid, host)}`;
}

// --- owner-managed bindings: printed for the operator, never sent ---

export type ManagedOwner = "adfs" | "wap" | "sstp" | "exchange";

export function ownerCommands(owner: ManagedOwner, thumbprint: string): string[] {
  const t = upperHash(thumbprint);
  switch (owner) {
    case "adfs":
      return [
        `Set-AdfsSslCertificate -Thumbprint ${t}   # on every AD FS node`,
        `Set-AdfsCertificate -CertificateType Service-Communications -Thumbprint ${t}   # on the primary node`,
        "Restart-Service adfssrv",
      ];
    case "wap":
      return [`Set-WebApplicationProxySslCertificate -Thumbprint ${t}`];
    case "sstp":
      return [
        `Set-RemoteAccess -SslCertificate (Get-ChildItem Cert:\\LocalMachine\\My\\${t})`,
        "Restart-Service RemoteAccess",
      ];
    case "exchange":
      return [`Enable-ExchangeCertificate -Thumbprint ${t} -Services IIS`];
  }
}

// --- the gate ---

const HASH = "[0-9A-F]{40}";
const ADDR = "(?:\\*|IP:\\d{1,3}(?:\\.\\d{1,3}){3})";
const SID = "S-1-\\d{1,2}(?:-\\d{1,10}){1,14}";
const KEYFILE = "C:\\\\ProgramData\\\\Microsoft\\\\Crypto\\\\(?:RSA\\\\MachineKeys|Keys)\\\\[0-9a-f]{32}_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
const TMP = "C:\\\\Windows\\\\Temp\\\\certfleet-[0-9a-f]{32}\\.acl";
const escape = (s: string): string => s.replace(/[\\^$.*+?()[\]{}|]/g, "\\$&");
const REG_KEYS = Object.values(REGISTRY_CONSUMERS).map((c) => ({ key: escape(c.key), value: c.value }));

function shellGrammar(shell: RemoteShell): RegExp[] {
  const q = (k: string) => (shell === "powershell" ? `'${k}'` : `"${k}"`);
  const settings = `@\\{CertificateThumbprint="${HASH}"\\}`;
  const sep = shell === "powershell" ? "; cmd /c " : " & ";
  return [
    new RegExp(`^${escape(WINRM_ENUMERATE)}$`),
    new RegExp(`^winrm set winrm/config/Listener\\?Address=${ADDR}\\+Transport=HTTPS ${shell === "powershell" ? `'${settings}'` : settings}$`),
    ...REG_KEYS.flatMap(({ key, value }) => [
      new RegExp(`^reg query ${q(key)} /v ${value}$`),
      new RegExp(`^reg add ${q(key)} /v ${value} /t REG_BINARY /d ${HASH} /f$`),
      new RegExp(`^reg delete ${q(key)} /v ${value} /f$`),
    ]),
    /^certutil -store My [0-9a-f]{40}$/,
    new RegExp(`^icacls ${KEYFILE} /save (${TMP}) /q${sep}type \\1${sep}del /q \\1$`),
    new RegExp(`^icacls ${KEYFILE} /grant \\*${SID}:R$`),
    new RegExp(`^icacls ${KEYFILE} /remove:g \\*${SID}$`),
  ];
}

const GRAMMAR: Record<RemoteShell, RegExp[]> = { cmd: shellGrammar("cmd"), powershell: shellGrammar("powershell") };

/** Whether `command` is one of the consumer commands above, for this shell, with strict values. */
export function isSendableConsumerCommand(shell: RemoteShell, command: string): boolean {
  if (/[\r\n\0]/.test(command)) return false;
  return GRAMMAR[shell].some((re) => re.test(command));
}
