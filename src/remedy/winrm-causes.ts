/**
 * The causes of a failure on a host reached over WinRM, read from the messages the WinRM client
 * raises (src/transport/winrm: connection.ts, auth.ts, shell-transport.ts, index.ts), and their
 * remedies. Pure. A failure that does not depend on the transport (netsh's error 1312, the plan,
 * the journal) is left to the shared classifier in ./remedy.ts; for the shared causes that do
 * (refused, timeout, credentials, access denied) this table holds the WinRM text.
 *
 * What Windows does, and where it was seen:
 * - A refused logon is HTTP 401 whatever the reason: a wrong password, but also an account that
 *   is not an administrator, and a local administrator whose token remote UAC filters; the last
 *   is cured by LocalAccountTokenFilterPolicy=1 (pywinrm issues 114 and 188, the client's
 *   "the specified credentials were rejected by the server" for each of them).
 * - Too many shells for one user: the WSManFault "The WS-Management service cannot process the
 *   request. This user is allowed a maximum number of 5 concurrent shells, which has been
 *   exceeded. Close existing shells or raise the quota for this user." (code 2150859174; seen in
 *   dmitry-zaets/vagrantfile-windows-iis-mssql issue 9; the simulator's listener answers the same).
 * - A command that needs more memory than MaxMemoryPerShellMB fails with "The paging file is too
 *   small for this operation to complete." (ansible/ansible issue 39327), or .NET's
 *   OutOfMemoryException; WinRM itself raises no fault for it.
 */
import type { Cause, FailureFacts, Remedy, WinrmCause } from "./cause.js";

export type { WinrmCause } from "./cause.js";


/** WSManFault code of the MaxShellsPerUser refusal (0x803381A6). */
const SHELL_QUOTA_CODE = "2150859174";

/** The WinRM cause of a failure on a WinRM host; undefined: the shared classifier decides. */
export function winrmCauseOf(f: FailureFacts): Cause | undefined {
  const text = `${f.message}\n${f.remote ?? ""}`;
  // auth.ts / index.ts: refusals of our own, before anything secret is sent
  if (/WinRM needs a password|\(named by passwordEnv\) is not set/.test(text)) return "winrm-no-password";
  if (/offers only Basic authentication over plain HTTP/.test(text)) return "winrm-basic-over-http";
  if (/offers no authentication certfleet speaks|did not answer the NTLM negotiation|cannot log on to \S+ with NTLM/.test(text)) return "winrm-no-shared-auth";
  // connection.ts: the HTTPS listener's identity
  if (/is not the pinned (certificateThumbprint|certThumbprint)\b/.test(text)) return "winrm-pin-mismatch";
  if (/cannot read caFile/.test(text)) return "winrm-ca-file";
  // TLS spoken to a plain HTTP port, or not WS-Management behind the port
  if (/wrong version number|packet length too long|accepted an anonymous request|is not a SOAP 1\.2 envelope|response is not XML|answered HTTP 404/i.test(text)) return "winrm-not-a-listener";
  // plain HTTP to an HTTPS listener: it resets the connection at the first request
  if (/connection lost: opening a WinRM shell on http:\/\/\S+: (ECONNRESET|socket hang up)/.test(text)) return "winrm-not-a-listener";
  if (f.kind === "host-key") return "winrm-untrusted";
  // shell-transport.ts: WS-Management faults and what the commands printed
  if (new RegExp(`maximum number of \\d+ concurrent shells|${SHELL_QUOTA_CODE}`).test(text)) return "winrm-shell-quota";
  if (/paging file is too small for this operation|OutOfMemoryException/i.test(text)) return "winrm-memory-quota";
  // a w:AccessDenied fault: logged on, but not allowed (shell-transport.ts makes it kind auth)
  if (/(^|[\s:/])(w:)?AccessDenied\b/.test(text)) return "access-denied";
  if (f.kind === "auth") return "auth";
  if (f.kind === "timeout" && /no connection to .* within \d+ ms/.test(text)) return "winrm-no-answer";
  if (/malformed (encrypted WinRM|NTLM) message|integrity check|\(MIC\) does not verify/.test(text)) return "winrm-garbled";
  return undefined;
}

const LOCAL_ACCOUNT_TOKEN =
  "reg add HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Policies\\System /v LocalAccountTokenFilterPolicy /t REG_DWORD /d 1 /f";

/** Remedies over WinRM: every WinRM cause, and the shared causes whose SSH text would mislead. */
export const WINRM_REMEDIES: Record<WinrmCause, Remedy> & Partial<Record<Cause, Remedy>> = {
  refused: {
    cause: "nothing accepts WinRM on that address and port (connection refused): the WinRM service is stopped, or has no listener on this port (5985 HTTP, 5986 HTTPS)",
    fix: "on the host, in an elevated prompt: winrm quickconfig (or Enable-PSRemoting -Force) starts the service, adds the HTTP listener and opens 5985 in the firewall; for HTTPS, winrm quickconfig -transport:https and open 5986; or correct port and https in the inventory",
  },
  "winrm-no-answer": {
    cause: "nothing answered on the WinRM port in time: a firewall drops the packets to 5985 (HTTP) or 5986 (HTTPS), or the address is not the host's",
    fix: "allow the port in the host's firewall (Enable-PSRemoting adds the rule for 5985; for 5986: netsh advfirewall firewall add rule name=\"WinRM HTTPS\" dir=in action=allow protocol=TCP localport=5986), or retry with a longer --connect-timeout",
  },
  auth: {
    cause: "the WinRM listener refused the logon (HTTP 401): a wrong user name or password, an account that is not an administrator on the host, or a local administrator whose token remote UAC filters",
    fix: `check user in the inventory (a domain account as DOMAIN\\user, or domain: beside it; a local account by its name alone) and the password in the environment variable named by passwordEnv; the account must be in the host's Administrators group; for a local account other than Administrator: ${LOCAL_ACCOUNT_TOKEN}`,
  },
  "access-denied": {
    cause: "the account may log on over WinRM but is not an administrator on this host (access denied, error 5): it is not in the Administrators group, or it is a local account whose token remote UAC filters",
    fix: `use an account in the host's Administrators group; for a local account set LocalAccountTokenFilterPolicy=1 on the host: ${LOCAL_ACCOUNT_TOKEN}`,
  },
  "winrm-no-password": {
    cause: "certfleet has no password for this WinRM host: the inventory names no passwordEnv, or that environment variable is not set where certfleet runs",
    fix: "name an environment variable with passwordEnv in the inventory (never the password itself) and set that variable before running certfleet",
  },
  "winrm-basic-over-http": {
    cause: "the WinRM listener offers only Basic authentication over plain HTTP: certfleet does not send a password unencrypted (it sent none)",
    fix: "enable Negotiate on the host, the Windows default (in cmd.exe: winrm set winrm/config/service/auth @{Negotiate=\"true\"}), or use its HTTPS listener (https: true and port 5986 in the inventory)",
  },
  "winrm-no-shared-auth": {
    cause: "the WinRM listener and certfleet share no way to log on: certfleet speaks Negotiate (NTLMv2, signed and sealed) and Basic over HTTPS, not Kerberos alone, CredSSP or client certificates",
    fix: "enable Negotiate on the host (in cmd.exe: winrm set winrm/config/service/auth @{Negotiate=\"true\"}), or Basic on its HTTPS listener",
  },
  "winrm-not-a-listener": {
    cause: "what answers on that port is not a WinRM listener as the inventory describes it (another service, a proxy, or HTTP where HTTPS is expected, or the reverse)",
    fix: "check port and https in the inventory against the host's listeners (winrm enumerate winrm/config/listener: 5985 for HTTP, 5986 for HTTPS)",
  },
  "winrm-pin-mismatch": {
    cause: "the HTTPS listener presents another certificate than the one pinned by certThumbprint in the inventory: its certificate was replaced (a rollout that moves the WinRM listener to the new certificate does that), or something else answers",
    fix: "read the listener's CertificateThumbprint on the host (winrm enumerate winrm/config/listener); once it is the certificate you expect, put it in certThumbprint in the inventory",
  },
  "winrm-untrusted": {
    cause: "the HTTPS listener's certificate is not trusted: not issued by the CA in caFile (or the system's CAs), expired, or not naming the address in the inventory",
    fix: "set caFile in the inventory to the CA that issued the listener's certificate, or pin that certificate with certThumbprint after checking it on the host (winrm enumerate winrm/config/listener)",
  },
  "winrm-ca-file": {
    cause: "certfleet cannot read the CA file named by caFile in the inventory",
    fix: "check the caFile path, and that the file holds the issuing CA in PEM",
  },
  "winrm-shell-quota": {
    cause: "the WinRM service refused a new shell: this account has reached its quota of concurrent shells (MaxShellsPerUser), usually with shells left open by earlier runs or other tools",
    fix: "wait for the idle shells to time out (IdleTimeout in winrm get winrm/config/winrs) or restart the WinRM service (Restart-Service WinRM), or raise the quota (in cmd.exe: winrm set winrm/config/winrs @{MaxShellsPerUser=\"30\"})",
  },
  "winrm-memory-quota": {
    cause: "a command ran out of the memory WinRM allows one shell (MaxMemoryPerShellMB)",
    fix: "raise the quota on the host (in cmd.exe: winrm set winrm/config/winrs @{MaxMemoryPerShellMB=\"1024\"}), then run the command again",
  },
  "winrm-garbled": {
    cause: "a WinRM message could not be read or failed its integrity check: something between certfleet and the host alters the traffic, or the listener answered in a way certfleet does not understand",
    fix: "connect without a proxy in between, or use the host's HTTPS listener (https: true in the inventory)",
  },
};
