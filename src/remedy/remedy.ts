/**
 * From a typed failure to what a person does next: the likely cause in plain words and the next
 * command. Pure: the run summary calls it for every failed host, and a report mapper can too.
 * The Win32 number is read language-independently (`Error: 1312`, `erreur : 1312`, `Fehler: 1312`);
 * texts without a number are matched in the languages certfleet reads (en, fr, de).
 *
 * The transport the host was reached by decides the texts where the cause lies in the transport
 * (refused, timed out, credentials, access denied, the server's identity): an operator told to
 * start sshd for a WinRM host that refused the connection is sent the wrong way. WinRM has causes
 * of its own (Basic over HTTP, the HTTPS listener's pin, the shell quota); the WinRM classifier
 * (./winrm-causes.ts) reads them from the client's messages (src/transport/winrm).
 */
import type { Cause, FailureFacts, Remedy, WinrmCause } from "./cause.js";
import { WINRM_REMEDIES, winrmCauseOf } from "./winrm-causes.js";

export type { Cause, FailureFacts, Remedy } from "./cause.js";

export interface RemedyContext {
  command: "discover" | "plan" | "rollout" | "verify" | "rollback" | "demo";
  /** the hosts that failed in this run (for `-l`) */
  failedHosts: readonly string[];
  /** this run's journal (rollout), or the journal a rollback read */
  journal?: string;
  /** `--new` / `--expect` as the operator gave it */
  certificate?: string;
}


const LOGON_SESSION = [
  /logon session does not exist/i,
  /session ouverte sp[ée]cifi[ée]e n.existe pas/i,
  /Anmeldesitzung ist nicht vorhanden/i,
];
const ACCESS_DENIED = [/access is denied/i, /acc[èe]s refus[ée]/i, /zugriff verweigert/i, /requires elevation/i];

/** The Win32 error number netsh printed, in any language: `Error: 5`, `erreur : 1312`, `Fehler: 183`. */
export function win32Code(text: string | undefined): number | undefined {
  const m = text ? /\b(?:error|erreur|fehler)\s*:?\s*(\d+)\b/i.exec(text) : null;
  return m ? Number(m[1]) : undefined;
}

export function causeOf(f: FailureFacts): Cause {
  return (f.transport === "winrm" ? winrmCauseOf(f) : undefined) ?? sharedCauseOf(f);
}

/** The causes read the same whatever the transport (netsh, the plan, the journal), and SSH's. */
function sharedCauseOf(f: FailureFacts): Cause {
  const text = `${f.message}\n${f.remote ?? ""}`;
  const code = win32Code(f.remote) ?? win32Code(f.message);
  if (code === 1312 || LOGON_SESSION.some((r) => r.test(text))) return "no-private-key";
  if (code === 5 || f.kind === "elevation" || ACCESS_DENIED.some((r) => r.test(text)) || /not elevated/i.test(text)) return "access-denied";
  if (code === 87 || /parameter is incorrect|param[èe]tre incorrect|falscher parameter/i.test(text)) return "bad-parameter";
  if (code === 183) return "binding-exists";
  if (code === 2 && f.kind === "apply") return "binding-missing";
  if (f.kind === "host-key") return /HOST KEY CHANGED|already holds a different key/.test(text) ? "host-key-changed" : /unknown host key/i.test(text) ? "host-key-unknown" : "host-key";
  if (f.kind === "auth") return "auth";
  if (/ECONNREFUSED/.test(text)) return "refused";
  // The TCP connection opened, then the server hung up before the SSH handshake finished.
  if (/SSH handshake with .* failed: (?:Connection lost before handshake|.*ECONNRESET|.*kex_exchange_identification)/.test(text)) return "handshake-dropped";
  if (/EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN/.test(text)) return "no-route";
  if (f.kind === "timeout" || /ETIMEDOUT|timed out|within \d+ ms/i.test(text)) return "timeout";
  if (f.kind === "verify") return /is not in this host's LocalMachine\\/i.test(text) ? "cert-absent" : /owner-managed \(/.test(text) ? "owner-managed" : "verify";
  if (/changed by someone else|compare-and-set|changed since/i.test(text)) return "changed-by-someone";
  if (/is older than [0-9a-f]{40}/i.test(text)) return "cert-superseded";
  if (/is not in (this host's )?LocalMachine\\/i.test(text)) return "cert-absent";
  if (/in the journal .*but not in the inventory/i.test(text)) return "not-in-inventory";
  if (/not where (its|the) journal|journal recorded/i.test(text)) return "journal-mismatch";
  if (f.kind === "precondition") return "blocked";
  if (f.kind === "parse") return "unreadable";
  return "unknown";
}

/** Over SSH (and for causes that do not depend on the transport). */
const REMEDIES: Record<Exclude<Cause, WinrmCause>, Remedy> = {
  "no-private-key": {
    cause: "the new certificate has no usable private key on this host (netsh error 1312), or is not in the store the binding uses",
    fix: "import it with its key (certutil -importPFX My new.pfx) or repair it (certutil -repairstore My <thumbprint>)",
  },
  "cert-absent": {
    cause: "the new certificate is not on this host (not imported yet, or the thumbprint is mistyped)",
    fix: "deliver it with its private key (certfleet deliver --new renewed.pfx -l <host>, or on the host: certutil -importPFX My new.pfx), or check the thumbprint",
  },
  "cert-superseded": {
    cause: "--new names an older certificate than one already in this host's store: probably the old one",
    fix: "pass the renewal as --new (certfleet discover lists both, with their expiry)",
  },
  "access-denied": {
    cause: "the SSH session is not elevated (netsh error 5, access denied): the account is not a local administrator, or UAC filters its token",
    fix: "use an administrator account (for a local account over SSH: LocalAccountTokenFilterPolicy=1)",
  },
  "bad-parameter": { cause: "netsh rejected a parameter of the command (error 87): this host's netsh does not know a setting the binding carries" },
  "binding-exists": { cause: "a binding for this endpoint already exists (error 183): someone added it while certfleet worked", fix: "run certfleet plan again to see it" },
  "binding-missing": { cause: "the binding disappeared while certfleet worked (error 2): someone removed it", fix: "run certfleet plan again to see it" },
  refused: { cause: "nothing accepts SSH on that address and port (connection refused)", fix: "start the OpenSSH Server service (sshd) and open the port in the firewall, or correct port in the inventory" },
  "handshake-dropped": {
    cause: "the host accepted the connection, then closed it before the SSH handshake: sshd refuses more connections at once (MaxStartups), a firewall or IPS resets it, or that port is not sshd",
    fix: "on the host, check the sshd service and its log (Get-WinEvent -LogName OpenSSH/Operational), MaxStartups in sshd_config and the port; retry with a lower -c",
  },
  "no-route": { cause: "the address cannot be reached or resolved", fix: "check the host's address in the inventory and the network path (VPN, routes, DNS)" },
  timeout: { cause: "the host did not answer in time (busy, or a firewall drops the packets)", fix: "retry with a longer --connect-timeout or --command-timeout" },
  "host-key-changed": {
    cause: "the host's SSH key changed since it was recorded: the server was reinstalled, or someone is intercepting",
    fix: "confirm the new fingerprint out of band, then remove the old line (ssh-keygen -R <host> -f <known_hosts>)",
  },
  "host-key-unknown": { cause: "the host's SSH key is not in known_hosts yet", fix: "confirm the fingerprint out of band, then add --accept-new-host-keys" },
  "host-key": { cause: "the host's SSH key could not be checked against known_hosts", fix: "check the knownHostsFile named in the inventory" },
  auth: { cause: "the host refused the credentials", fix: "check user and identityFile in the inventory (for an administrator, the key goes in administrators_authorized_keys)" },
  "owner-managed": {
    cause: "a binding its owner manages (AD FS, WAP, SSTP, Exchange) still uses the old certificate: certfleet leaves it to the owner's own command",
    fix: "run the owner's commands shown for the host (on every node of the farm), or rebind it by netsh with certfleet rollout --rebind-owner-managed",
  },
  verify: { cause: "the endpoint does not serve the expected certificate yet (an app pool may still hold the old one, or a load balancer answers)", fix: "recycle the app pool or wait, then run certfleet verify" },
  "changed-by-someone": { cause: "someone else changed the binding while certfleet worked: certfleet left it as it found it", fix: "run certfleet plan again" },
  blocked: { cause: "the plan found a reason not to touch this host (see its message)" },
  "not-in-inventory": { cause: "the journal names a host the inventory no longer lists, so certfleet did not examine it", fix: "add the host back to the inventory (same address and port as the journal's), then run the rollback again for it" },
  "journal-mismatch": { cause: "the inventory puts this host somewhere other than where the journal recorded it (address, port or host key)", fix: "check that it is the same server; fix the inventory entry if it moved, then run the command again" },
  unreadable: { cause: "certfleet could not read what the host printed", fix: "capture the output and check it with certfleet parse" },
  unknown: { cause: "an unexpected failure (see the message)" },
};

export function remedyFor(f: FailureFacts): Remedy {
  const cause = causeOf(f);
  if (f.transport === "winrm") {
    const own = WINRM_REMEDIES[cause];
    if (own) return own;
  }
  // A WinRM-only cause always has its WinRM text (above): it is only found for WinRM hosts.
  return REMEDIES[cause as Exclude<Cause, WinrmCause>];
}

export interface NextStep {
  /** when to take this step, in words */
  when: string;
  /** the command, ready to paste */
  run: string;
}

/** What to run next once the causes are fixed: re-run the failed hosts, resume, or roll back. */
export function nextCommands(ctx: RemedyContext): NextStep[] {
  if (ctx.failedHosts.length === 0) return [];
  const l = `-l ${ctx.failedHosts.join(",")}`;
  const cert = ctx.certificate ?? "<certificate>";
  const fixed = `once the failed host(s) are fixed`;
  switch (ctx.command) {
    case "rollout":
      return ctx.journal
        ? [
            { when: fixed, run: `certfleet rollout --resume ${ctx.journal} --new ${cert} ${l}` },
            { when: "or, to put every changed binding back", run: `certfleet rollback --journal ${ctx.journal}` },
          ]
        : [{ when: fixed, run: `certfleet rollout --new ${cert} ${l}` }];
    case "rollback":
      return [{ when: `${fixed} (a rollback is safe to run again)`, run: `certfleet rollback --journal ${ctx.journal ?? "<journal>"} ${l}` }];
    case "verify":
      return [{ when: fixed, run: `certfleet verify --expect ${cert} ${l}` }];
    case "plan":
      return [{ when: fixed, run: `certfleet plan --new ${cert} ${l}` }];
    case "discover":
      return [{ when: fixed, run: `certfleet discover ${l}` }];
    default:
      return [];
  }
}
