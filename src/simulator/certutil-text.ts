/**
 * `certutil -store <name>` and `whoami /groups` as Windows prints them, CRLF line ends.
 * English follows the real samples; French certutil labels come from the real fr-FR sample
 * (spaced hash, ` NotBefore :` kept in English); German labels are constructed from the known
 * German terms (`Zertifikathash(sha1):`, ` Nicht vor:`, `My "Eigene Zertifikate"`).
 * Dates are printed in the server's regional format, server clock in UTC.
 */
import { createHash } from "node:crypto";
import { lines } from "./netsh-text.js";
import { osAtLeast, type SimLanguage, type SimOs, type SimStoreEntry } from "./state.js";

interface CertutilLabels {
  storeHeader: (store: string) => string;
  certificate: string;
  serial: string;
  issuer: string;
  notBefore: string;
  notAfter: string;
  subject: string;
  nonRoot: string;
  template: string;
  hash: string;
  keyContainer: string;
  provider: string;
  missingKey: string;
  encryptionPassed: string;
  completed: string;
}

const LABELS: Record<SimLanguage, CertutilLabels> = {
  en: {
    storeHeader: (s) => (s.toLowerCase() === "my" ? 'My "Personal"' : s.toLowerCase() === "webhosting" ? 'WebHosting "Web Hosting"' : s),
    certificate: "Certificate",
    serial: "Serial Number: ",
    issuer: "Issuer: ",
    notBefore: " NotBefore: ",
    notAfter: " NotAfter: ",
    subject: "Subject: ",
    nonRoot: "Non-root Certificate",
    template: "Template: ",
    hash: "Cert Hash(sha1): ",
    keyContainer: "  Key Container = ",
    provider: "  Provider = ",
    missingKey: "Missing stored keyset",
    encryptionPassed: "Encryption test passed",
    completed: "CertUtil: -store command completed successfully.",
  },
  fr: {
    storeHeader: (s) => (s.toLowerCase() === "my" ? 'My "Personnel"' : s.toLowerCase() === "webhosting" ? 'WebHosting "Hébergement Web"' : s),
    certificate: "Certificat",
    serial: "Numéro de série : ",
    issuer: "Émetteur: ",
    notBefore: " NotBefore : ",
    notAfter: " NotAfter : ",
    subject: "Objet: ",
    nonRoot: "Certificat non racine",
    template: "Modèle: ",
    hash: "Hach. cert. (sha1) : ",
    keyContainer: "  Conteneur de clé = ",
    provider: "  Fournisseur = ",
    missingKey: "Jeu de clés stocké manquant",
    encryptionPassed: "Test de chiffrement réussi",
    completed: "CertUtil: -store La commande s'est terminée correctement.",
  },
  de: {
    storeHeader: (s) => (s.toLowerCase() === "my" ? 'My "Eigene Zertifikate"' : s.toLowerCase() === "webhosting" ? 'WebHosting "Webhosting"' : s),
    certificate: "Zertifikat",
    serial: "Seriennummer: ",
    issuer: "Aussteller: ",
    notBefore: " Nicht vor: ",
    notAfter: " Nicht nach: ",
    subject: "Antragsteller: ",
    nonRoot: "Kein Stammzertifikat",
    template: "Vorlage: ",
    hash: "Zertifikathash(sha1): ",
    keyContainer: "  Schlüsselcontainer = ",
    provider: "  Anbieter = ",
    missingKey: "Fehlender gespeicherter Schlüsselsatz",
    encryptionPassed: "Verschlüsselungstest wurde durchgeführt",
    completed: "CertUtil: -store-Befehl wurde erfolgreich ausgeführt.",
  },
};

const pad2 = (n: number): string => String(n).padStart(2, "0");

/** en-US `11/3/2024 3:30 PM`, fr-FR `10/05/2001 00:19`, de-DE `16.04.2009 11:04`. */
export function regionalDate(d: Date, lang: SimLanguage): string {
  const day = d.getUTCDate();
  const month = d.getUTCMonth() + 1;
  const year = d.getUTCFullYear();
  const h = d.getUTCHours();
  const m = pad2(d.getUTCMinutes());
  switch (lang) {
    case "en":
      return `${month}/${day}/${year} ${h % 12 === 0 ? 12 : h % 12}:${m} ${h < 12 ? "AM" : "PM"}`;
    case "fr":
      return `${pad2(day)}/${pad2(month)}/${year} ${pad2(h)}:${m}`;
    case "de":
      return `${pad2(day)}.${pad2(month)}.${year} ${pad2(h)}:${m}`;
  }
}

function spacedHash(hex: string): string {
  return hex.match(/../g)?.join(" ") ?? hex;
}

/** A stable, realistic-looking CNG container name derived from the thumbprint. */
export function keyContainerName(thumbprint: string): string {
  const h = createHash("md5").update(thumbprint).digest("hex");
  const g = createHash("md5").update(`${thumbprint}/machine`).digest("hex");
  return `${h}_${g.slice(0, 8)}-${g.slice(8, 12)}-${g.slice(12, 16)}-${g.slice(16, 20)}-${g.slice(20, 32)}`;
}

export function certutilStore(store: string, entries: SimStoreEntry[], os: SimOs, lang: SimLanguage): string {
  const L = LABELS[lang];
  const out: string[] = [L.storeHeader(store)];
  entries.forEach((e, i) => {
    if (i > 0) out.push("");
    out.push(`================ ${L.certificate} ${i} ================`);
    out.push(`${L.serial}${e.cert.serial}`);
    out.push(`${L.issuer}${e.cert.issuer}`);
    out.push(`${L.notBefore}${regionalDate(e.cert.notBefore, lang)}`);
    out.push(`${L.notAfter}${regionalDate(e.cert.notAfter, lang)}`);
    out.push(`${L.subject}${e.cert.subject}`);
    out.push(L.nonRoot);
    if (e.template !== undefined) out.push(`${L.template}${e.template}`);
    out.push(`${L.hash}${osAtLeast(os, "2016") ? e.cert.thumbprint : spacedHash(e.cert.thumbprint)}`);
    out.push(`${L.keyContainer}${keyContainerName(e.cert.thumbprint)}`);
    out.push(`${L.provider}Microsoft RSA SChannel Cryptographic Provider`);
    // A key imported with NoExport (the real en line, pki-lab sample); no fr/de sample seen, so English only.
    if (e.hasPrivateKey && e.exportable === false && lang === "en") out.push("Private key is NOT exportable");
    out.push(e.hasPrivateKey ? L.encryptionPassed : L.missingKey);
  });
  out.push(L.completed);
  return lines(...out);
}

const STORE_NOT_FOUND: Record<SimLanguage, string[]> = {
  en: ["CertUtil: -store command FAILED: 0x80070002 (WIN32: 2 ERROR_FILE_NOT_FOUND)", "CertUtil: The system cannot find the file specified."],
  fr: ["CertUtil: -store La commande a échoué : 0x80070002 (WIN32: 2 ERROR_FILE_NOT_FOUND)", "CertUtil: Le fichier spécifié est introuvable."],
  de: ["CertUtil: -store-Befehl ist fehlgeschlagen: 0x80070002 (WIN32: 2 ERROR_FILE_NOT_FOUND)", "CertUtil: Das System kann die angegebene Datei nicht finden."],
};

export function certutilStoreMissing(lang: SimLanguage): string {
  return lines(...STORE_NOT_FOUND[lang]);
}

interface GroupRow {
  name: string;
  type: string;
  sid: string;
  attrs: string;
}

const WHOAMI: Record<
  SimLanguage,
  { title: string; cols: [string, string, string, string]; types: Record<"wk" | "alias" | "label", string>; mandatory: string; denyOnly: string; owner: string; everyone: string; admins: string; users: string; high: string; medium: string }
> = {
  en: {
    title: "GROUP INFORMATION",
    cols: ["Group Name", "Type", "SID", "Attributes"],
    types: { wk: "Well-known group", alias: "Alias", label: "Label" },
    mandatory: "Mandatory group, Enabled by default, Enabled group",
    denyOnly: "Group used for deny only",
    owner: "Mandatory group, Enabled by default, Enabled group, Group owner",
    everyone: "Everyone",
    admins: "BUILTIN\\Administrators",
    users: "BUILTIN\\Users",
    high: "Mandatory Label\\High Mandatory Level",
    medium: "Mandatory Label\\Medium Mandatory Level",
  },
  fr: {
    title: "INFORMATIONS DE GROUPE",
    cols: ["Nom du groupe", "Type", "SID", "Attributs"],
    types: { wk: "Groupe bien connu", alias: "Alias", label: "Étiquette" },
    mandatory: "Groupe obligatoire, Activé par défaut, Groupe activé",
    denyOnly: "Groupe utilisé pour le refus uniquement",
    owner: "Groupe obligatoire, Activé par défaut, Groupe activé, Propriétaire du groupe",
    everyone: "Tout le monde",
    admins: "BUILTIN\\Administrateurs",
    users: "BUILTIN\\Utilisateurs",
    high: "Étiquette obligatoire\\Niveau obligatoire élevé",
    medium: "Étiquette obligatoire\\Niveau obligatoire moyen",
  },
  de: {
    title: "GRUPPENINFORMATIONEN",
    cols: ["Gruppenname", "Typ", "SID", "Attribute"],
    types: { wk: "Bekannte Gruppe", alias: "Alias", label: "Bezeichnung" },
    mandatory: "Verbindliche Gruppe, Standardmäßig aktiviert, Aktivierte Gruppe",
    denyOnly: "Nur für Verweigerungen verwendete Gruppe",
    owner: "Verbindliche Gruppe, Standardmäßig aktiviert, Aktivierte Gruppe, Gruppenbesitzer",
    everyone: "Jeder",
    admins: "VORDEFINIERT\\Administratoren",
    users: "VORDEFINIERT\\Benutzer",
    high: "Verbindliche Beschriftung\\Hohe Verbindlichkeitsstufe",
    medium: "Verbindliche Beschriftung\\Mittlere Verbindlichkeitsstufe",
  },
};

/** `whoami /groups`: a column table sized to its content, as whoami formats it. */
export function whoamiGroups(elevated: boolean, lang: SimLanguage): string {
  const W = WHOAMI[lang];
  const rows: GroupRow[] = [
    { name: W.everyone, type: W.types.wk, sid: "S-1-1-0", attrs: W.mandatory },
    { name: W.admins, type: W.types.alias, sid: "S-1-5-32-544", attrs: elevated ? W.owner : W.denyOnly },
    { name: W.users, type: W.types.alias, sid: "S-1-5-32-545", attrs: W.mandatory },
    { name: "NT AUTHORITY\\NETWORK", type: W.types.wk, sid: "S-1-5-2", attrs: W.mandatory },
    { name: "NT AUTHORITY\\Authenticated Users", type: W.types.wk, sid: "S-1-5-11", attrs: W.mandatory },
    { name: "NT AUTHORITY\\This Organization", type: W.types.wk, sid: "S-1-5-15", attrs: W.mandatory },
    { name: "NT AUTHORITY\\Local account", type: W.types.wk, sid: "S-1-5-113", attrs: W.mandatory },
    { name: "NT AUTHORITY\\NTLM Authentication", type: W.types.wk, sid: "S-1-5-64-10", attrs: W.mandatory },
    elevated
      ? { name: W.high, type: W.types.label, sid: "S-1-16-12288", attrs: "" }
      : { name: W.medium, type: W.types.label, sid: "S-1-16-8192", attrs: "" },
  ];
  const width = (pick: (r: GroupRow) => string, title: string): number => Math.max(title.length, ...rows.map((r) => pick(r).length));
  const w = [width((r) => r.name, W.cols[0]), width((r) => r.type, W.cols[1]), width((r) => r.sid, W.cols[2]), width((r) => r.attrs, W.cols[3])] as const;
  const row = (c: [string, string, string, string]): string =>
    `${c[0].padEnd(w[0])} ${c[1].padEnd(w[1])} ${c[2].padEnd(w[2])} ${c[3].padEnd(w[3])}`;
  return lines(
    "",
    W.title,
    "-".repeat(W.title.length),
    "",
    row(W.cols),
    `${"=".repeat(w[0])} ${"=".repeat(w[1])} ${"=".repeat(w[2])} ${"=".repeat(w[3])}`,
    ...rows.map((r) => row([r.name, r.type, r.sid, r.attrs])),
  );
}
