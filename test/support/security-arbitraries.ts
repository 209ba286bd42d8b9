/**
 * Hostile-input generators and the strict command grammar the security tests hold certfleet to.
 * The grammar is written here on purpose, independently of src/windows/grammar.ts: a test that
 * imported the code's own patterns would only prove the code agrees with itself.
 */
import fc from "fast-check";
import type { Binding, BindingKind } from "../../src/model/binding.js";
import type { RemoteShell } from "../../src/model/host-state.js";

/** Characters cmd.exe or PowerShell give a meaning to, plus look-alikes and invisible marks. */
export const META = [
  "&", "|", '"', "'", "^", "%", "!", ";", "$", "(", ")", "{", "}", "`", "\n", "\r", "\0",
  "\u2018", "\u2019", "\u201c", "\u201d", "\uff02", "\u201e", "<", ">", ",", " ", "\t", "@", "#", "=", "\\", "/",
  "\u200e", "\u00a0", "\u001b", "\u009b", "*", "?", "~", "+",
] as const;

/** Whole injection payloads for both shells. */
export const PAYLOADS = [
  "& calc",
  "&calc.exe",
  "| whoami",
  "|| whoami",
  '"& calc &"',
  "'; calc; '",
  "'; Remove-Item C:\\ -Recurse; '",
  "$(calc)",
  "${env:PATH}",
  "$env:COMSPEC",
  "`calc`",
  "`n calc",
  "%COMSPEC%",
  "%PATH:~0,1%",
  "!PATH!",
  "^& calc",
  "\n calc",
  "\r\ncalc",
  "\0calc",
  "\u2018; calc; \u2019",
  "\u201c & calc \u201d",
  "\uff02 & calc \uff02",
  "{calc}",
  "@(calc)",
  "; calc",
  "(calc)",
  "> C:\\x",
  "< NUL",
  "-- calc",
  "--% & calc",
  "\u001b[2J",
] as const;

const HEX = "0123456789abcdef".split("");

export const hex40 = fc.array(fc.constantFrom(...HEX), { minLength: 40, maxLength: 40 }).map((a) => a.join(""));
const hexN = (n: number) => fc.array(fc.constantFrom(...HEX), { minLength: n, maxLength: n }).map((a) => a.join(""));
export const guid = fc.tuple(hexN(8), hexN(4), hexN(4), hexN(4), hexN(12)).map((p) => `{${p.join("-")}}`);

const port = fc.integer({ min: 1, max: 65535 }).map(String);
const octet = fc.integer({ min: 0, max: 255 });
const ipv4 = fc.tuple(octet, octet, octet, octet).map((o) => o.join("."));
const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?$/);
export const dnsName = fc.array(label, { minLength: 1, maxLength: 4 }).map((l) => l.join("."));
const ipv6 = fc.constantFrom("::", "::1", "fe80::1", "2001:db8::5", "2001:db8:0:0:0:0:0:7", "::ffff:10.0.0.1");

export function validEndpoint(kind: BindingKind): fc.Arbitrary<string> {
  switch (kind) {
    case "ipport":
      return fc.oneof(fc.tuple(ipv4, port).map(([a, p]) => `${a}:${p}`), fc.tuple(ipv6, port).map(([a, p]) => `[${a}]:${p}`));
    case "ccs":
      return port;
    default:
      return fc.oneof(
        fc.tuple(dnsName, port).map(([h, p]) => `${h}:${p}`),
        fc.tuple(dnsName, port).map(([h, p]) => `*.${h}:${p}`),
      );
  }
}

/** `base` with a metacharacter or payload put at some position. */
export function injected(base: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc
    .tuple(base, fc.oneof(fc.constantFrom(...META), fc.constantFrom(...PAYLOADS)), fc.nat())
    .map(([b, p, at]) => {
      const i = at % (b.length + 1);
      return b.slice(0, i) + p + b.slice(i);
    });
}

/** Anything a hostile server, inventory or user could hand certfleet as a string. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...PAYLOADS),
  fc.string({ unit: fc.constantFrom(...META, "a", "Z", "0", ".", ":", "-", "_", "[", "]"), maxLength: 30 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.tuple(fc.constantFrom("a", "1", "&", "A_b", "%x%"), fc.integer({ min: 129, max: 70_000 })).map(([s, n]) => s.repeat(n)),
  fc.constant(""),
);

export function hostileOr(valid: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.oneof({ weight: 2, arbitrary: valid }, { weight: 3, arbitrary: injected(valid) }, { weight: 3, arbitrary: hostileString });
}

const KNOWN_SETTINGS = [
  "verifyclientcertrevocation", "verifyrevocationwithcachedclientcertonly", "usagecheck", "revocationfreshnesstime",
  "urlretrievaltimeout", "sslctlidentifier", "sslctlstorename", "dsmapperusage", "clientcertnegotiation", "reject",
  "disablehttp2", "disablequic", "disablelegacytls", "disabletls12", "disabletls13", "disableocspstapling",
  "enabletokenbinding", "logextendedevents", "enablesessionticket", "disablesessionid", "enablecachingclienthello",
  "propertyid0.receivewindow", "propertyid1.maxsettingsperframe", "propertyid7.unknown",
] as const;

const settingValue = hostileOr(
  fc.constantFrom("Enabled", "Disabled", "Set", "Not Set", "(null)", "0", "60", "4294967295", "4294967296", "AdfsTrustedDevices", "My.Ctl-1", ""),
);

const settings = fc.dictionary(
  fc.oneof(fc.constantFrom(...KNOWN_SETTINGS), hostileString.map((s) => `label:${s}`), hostileString),
  settingValue,
  { maxKeys: 8 },
);

export const bindingKind = fc.constantFrom<BindingKind>("ipport", "hostnameport", "ccs", "scopedccs");

/** Any binding, as a hostile host or a broken parser could hand it over: values not pre-checked. */
export const anyBinding: fc.Arbitrary<Binding> = bindingKind.chain((kind) =>
  fc.record({
    kind: fc.constant(kind),
    endpoint: hostileOr(validEndpoint(kind)),
    certHash: fc.oneof(hex40, fc.constant(null), hostileOr(hex40)) as fc.Arbitrary<string | null>,
    appId: fc.oneof(guid, fc.constant(null), hostileOr(guid)) as fc.Arbitrary<string | null>,
    storeName: fc.oneof(fc.constant(null), hostileOr(fc.constantFrom("MY", "My", "WebHosting", "Root_2"))) as fc.Arbitrary<string | null>,
    settings,
  }),
);

// ------------------------------------------------------------------------------------------
// The strict grammar of every remote command.

const G_OCTET = "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
const G_PORT = "(?:[1-9]\\d{0,4})";
const G_LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
const G_HOST = `(?:\\*\\.)?(?:${G_LABEL}\\.)*${G_LABEL}`;
const G_KEY: Record<BindingKind, string> = {
  ipport: `(?:${G_OCTET}(?:\\.${G_OCTET}){3}|\\[[0-9A-Fa-f:.]{2,45}\\]):${G_PORT}`,
  hostnameport: `${G_HOST}:${G_PORT}`,
  ccs: G_PORT,
  scopedccs: `${G_HOST}:${G_PORT}`,
};
const TOGGLES = [
  "verifyclientcertrevocation", "verifyrevocationwithcachedclientcertonly", "usagecheck", "dsmapperusage",
  "clientcertnegotiation", "reject", "disablehttp2", "disablequic", "disablelegacytls", "disabletls12", "disabletls13",
  "disableocspstapling", "enabletokenbinding", "logextendedevents", "enablesessionticket", "disablesessionid",
];
const G_PARAM = [
  "certhash=[0-9a-f]{40}",
  "appid=\\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\\}",
  "certstorename=[A-Za-z0-9_]{1,64}",
  `(?:${TOGGLES.join("|")})=(?:enable|disable)`,
  "(?:revocationfreshnesstime|urlretrievaltimeout)=(?:0|[1-9]\\d{0,9})",
  "(?:sslctlidentifier|sslctlstorename)=[A-Za-z0-9_.-]{1,128}",
].join("|");

function quote(shell: RemoteShell, re: string): string {
  return shell === "powershell" ? `'(?:${re})'` : `(?:${re})`;
}

const KEY_ANY = `(?:${(Object.keys(G_KEY) as BindingKind[]).map((k) => `${k}=${G_KEY[k]}`).join("|")})`;

export function commandGrammar(shell: RemoteShell): { showOrDelete: RegExp; addOrUpdate: RegExp } {
  return {
    showOrDelete: new RegExp(`^netsh http (?:show|delete) sslcert ${quote(shell, KEY_ANY)}$`),
    addOrUpdate: new RegExp(`^netsh http (?:add|update) sslcert ${quote(shell, KEY_ANY)}(?: ${quote(shell, G_PARAM)})+$`),
  };
}

export const EXPECTED_PROBE = "echo CFSHELL=%COMSPEC%";
export const EXPECTED_DISCOVER: Record<RemoteShell, string> = {
  cmd: "echo ==CF:chcp== & chcp & echo ==CF:whoami== & whoami /groups & echo ==CF:certutil== & certutil -store My & echo ==CF:certutil-webhosting== & certutil -store WebHosting & echo ==CF:netsh== & netsh http show sslcert & echo ==CF:ver== & ver & echo ==CF:winrm== & winrm enumerate winrm/config/listener & echo ==CF:reg-rdp== & reg query \"HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp\" /v SSLCertificateSHA1Hash & echo ==CF:reg-wmsvc== & reg query \"HKLM\\SOFTWARE\\Microsoft\\WebManagement\\Server\" /v SslCertificateHash & echo ==CF:end==",
  powershell:
    "echo '==CF:chcp=='; chcp; echo '==CF:whoami=='; whoami /groups; echo '==CF:certutil=='; certutil -store My; echo '==CF:certutil-webhosting=='; certutil -store WebHosting; echo '==CF:netsh=='; netsh http show sslcert; echo '==CF:ver=='; cmd /c ver; echo '==CF:winrm=='; winrm enumerate winrm/config/listener; echo '==CF:reg-rdp=='; reg query 'HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp' /v SSLCertificateSHA1Hash; echo '==CF:reg-wmsvc=='; reg query 'HKLM\\SOFTWARE\\Microsoft\\WebManagement\\Server' /v SslCertificateHash; echo '==CF:end=='",
};

/** The one discovery line for a host whose shell is unknown: cmd.exe and PowerShell both run it. */
export const EXPECTED_DISCOVER_ANY_SHELL =
  "echo CFSHELL=%COMSPEC% ' & echo ==CF^:chcp== & chcp & echo ==CF^:whoami== & whoami /groups & echo ==CF^:certutil== & certutil -store My & echo ==CF^:certutil-webhosting== & certutil -store WebHosting & echo ==CF^:netsh== & netsh http show sslcert & echo ==CF^:ver== & ver & echo ==CF^:winrm== & winrm enumerate winrm/config/listener & echo ==CF^:reg-rdp== & reg query \"HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp\" /v SSLCertificateSHA1Hash & echo ==CF^:reg-wmsvc== & reg query \"HKLM\\SOFTWARE\\Microsoft\\WebManagement\\Server\" /v SslCertificateHash & echo ==CF^:end== & rem '; " +
  EXPECTED_DISCOVER.powershell;

/**
 * Whether `command` is one certfleet may send under `shell`: the probe, the discovery line, or a
 * netsh sslcert command whose every token matches the grammar. Ports are range-checked too.
 */
export function isGrammatical(shell: RemoteShell, command: string): boolean {
  if (command === EXPECTED_PROBE || command === EXPECTED_DISCOVER[shell] || command === EXPECTED_DISCOVER_ANY_SHELL) return true;
  if (command === "netsh http show sslcert") return true;
  if (command.includes("==CFCAS:")) return isGrammaticalBatch(shell, command);
  const g = commandGrammar(shell);
  if (!g.showOrDelete.test(command) && !g.addOrUpdate.test(command)) return false;
  const [key] = tokensOf(shell, command);
  const port = /(?:^|:)(\d+)$/.exec(key?.[1] ?? "");
  return port !== null && Number(port[1]) >= 1 && Number(port[1]) <= 65535;
}

const esc = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/** The batched compare-and-set's fixed skeleton, netsh commands as N, hashes as H, indexes as I. */
const BATCH_FRAGMENTS: Record<RemoteShell, string[]> = {
  cmd: [
    'N | findstr /i /l /c:": H" >nul || (echo ==CFCAS:I:refused== & exit 1) & N && echo ==CFCAS:I:changed== || (call echo ==CFCAS:I:failed:%^errorlevel%== & exit 1)',
    'N | findstr /i /l /c:": H" >nul || (echo ==CFCAS:I:refused== & exit 1) & N && echo ==CFCAS:I:deleted== || (call echo ==CFCAS:I:failed:%^errorlevel%== & exit 1) & ' +
      "N && echo ==CFCAS:I:changed== || (call echo ==CFCAS:I:failed:%^errorlevel%== & (N && echo ==CFCAS:I:putback:0== || call echo ==CFCAS:I:putback:%^errorlevel%==) & exit 1)",
  ],
  powershell: [
    "if (-not ((N) -match ': H')) { echo '==CFCAS:I:refused=='; exit 1 }; N; if ($LASTEXITCODE -ne 0) { echo \"==CFCAS:I:failed:$LASTEXITCODE==\"; exit 1 }; echo '==CFCAS:I:changed=='",
    "if (-not ((N) -match ': H')) { echo '==CFCAS:I:refused=='; exit 1 }; N; if ($LASTEXITCODE -ne 0) { echo \"==CFCAS:I:failed:$LASTEXITCODE==\"; exit 1 }; echo '==CFCAS:I:deleted=='; " +
      "N; if ($LASTEXITCODE -ne 0) { echo \"==CFCAS:I:failed:$LASTEXITCODE==\"; N; echo \"==CFCAS:I:putback:$LASTEXITCODE==\"; exit 1 }; echo '==CFCAS:I:changed=='",
  ],
};

/**
 * A batched compare-and-set line: every netsh command inside it grammatical on its own, and the
 * rest exactly the fixed skeleton (written out here, independently of the builders and the gate).
 */
function isGrammaticalBatch(shell: RemoteShell, command: string): boolean {
  const netsh = /netsh http (?:show|delete|add|update) sslcert(?: [^ &|;()]+)+/g;
  const inner = command.match(netsh) ?? [];
  if (inner.length === 0 || !inner.every((c) => isGrammatical(shell, c))) return false;
  const skeleton = command.replace(netsh, "N").replace(/\b[0-9a-f]{40}\b/g, "H").replace(/==CFCAS:\d+:/g, "==CFCAS:I:");
  const join = shell === "cmd" ? " & " : "; ";
  const end = shell === "cmd" ? "echo ==CFCAS:end==" : "echo '==CFCAS:end=='";
  const fragment = `(?:${BATCH_FRAGMENTS[shell].map(esc).join("|")})`;
  return new RegExp(`^${fragment}(?:${esc(join)}${fragment})*${esc(join + end)}$`).test(skeleton);
}

/** Splits a grammatical netsh command into its `name=value` tokens (quotes removed). */
export function tokensOf(shell: RemoteShell, command: string): Array<[string, string]> {
  return command
    .split(" ")
    .slice(4)
    .map((t) => (shell === "powershell" ? t.slice(1, -1) : t))
    .map((t) => {
      const eq = t.indexOf("=");
      return [t.slice(0, eq), t.slice(eq + 1)] as [string, string];
    });
}

/** Any C0/C1 control character: text that would reach a terminal or a report raw. */
// eslint-disable-next-line no-control-regex
export const CONTROL_CHARS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
