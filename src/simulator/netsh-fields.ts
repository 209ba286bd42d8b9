/**
 * The SSL binding fields of `netsh http show sslcert`, per Windows generation, with the
 * `add sslcert` parameter behind each and the label per display language.
 *
 * English labels and layout come from the real samples (test/fixtures/windows-samples). French
 * labels are copied from a real fr-FR Windows Server block (a lab write-up, stored corpus id
 * 55872679609), ragged columns and the odd `Nom du magasin de certificats :       : MY` included;
 * the three French labels not seen there (Hostname:port, CCS, Caching Client Hello, Session ID)
 * are constructed in the same style. German: only `IP:Port` and `Zertifikathash` are real; the
 * rest is constructed with the real one-space-narrower column.
 */
import type { SimLanguage, SimOs } from "./state.js";

export type Vocabulary = "enabled" | "set" | "uint" | "string";

export interface FieldDef {
  /** the add/update parameter, or a stable key for fields netsh cannot set */
  param: string;
  vocab: Vocabulary;
  /** default in parameter form; undefined for a string field that is (null) */
  def?: string;
  since: SimOs;
  /** false: shown by show, but no netsh parameter sets it (set through the API only) */
  settable: boolean;
  /** text between the 4-space indent and the value, separator included */
  labels: Record<SimLanguage, string>;
}

const en = (label: string): string => `${label.padEnd(28)} : `;
const de = (label: string): string => `${label.padEnd(28)}: `;

export const KEY_LABELS: Record<"ipport" | "hostnameport" | "ccs", Record<SimLanguage, string>> = {
  ipport: {
    en: en("IP:port"),
    fr: "Adresse IP:port                      : ",
    de: "IP:Port                      : ",
  },
  hostnameport: {
    en: en("Hostname:port"),
    fr: "Nom d'hôte:port                      : ",
    de: "Hostname:Port                : ",
  },
  ccs: {
    en: en("Central Certificate Store"),
    fr: "Magasin de certificats centralisé    : ",
    de: de("Zentraler Zertifikatspeicher"),
  },
};

export const HASH_LABEL: Record<SimLanguage, string> = {
  en: en("Certificate Hash"),
  fr: "Hachage du certificat             : ",
  de: de("Zertifikathash"),
};
export const APPID_LABEL: Record<SimLanguage, string> = {
  en: en("Application ID"),
  fr: "ID de l'application               : ",
  de: de("Anwendungs-ID"),
};
export const STORE_LABEL: Record<SimLanguage, string> = {
  en: en("Certificate Store Name"),
  fr: "Nom du magasin de certificats :       : ",
  de: de("Zertifikatspeichername"),
};

export const FIELDS: readonly FieldDef[] = [
  {
    param: "verifyclientcertrevocation", vocab: "enabled", def: "enable", since: "2012r2", settable: true,
    labels: { en: "Verify Client Certificate Revocation : ", fr: "Vérifier la révocation des certificats clients : ", de: "Clientzertifikatsperrung überprüfen : " },
  },
  {
    param: "verifyrevocationwithcachedclientcertonly", vocab: "enabled", def: "disable", since: "2012r2", settable: true,
    labels: {
      en: "Verify Revocation Using Cached Client Certificate Only : ",
      fr: "Vérifier la révocation au moyen du certificat client mis en cache uniquement : ",
      de: "Sperrung nur mit zwischengespeichertem Clientzertifikat überprüfen : ",
    },
  },
  {
    param: "usagecheck", vocab: "enabled", def: "enable", since: "2012r2", settable: true,
    labels: { en: en("Usage Check"), fr: "Vérification de l'utilisation                  : ", de: de("Verwendungsüberprüfung") },
  },
  {
    param: "revocationfreshnesstime", vocab: "uint", def: "0", since: "2012r2", settable: true,
    labels: { en: en("Revocation Freshness Time"), fr: "Heure d'actualisation de la révocation    : ", de: de("Aktualität der Sperrliste") },
  },
  {
    param: "urlretrievaltimeout", vocab: "uint", def: "0", since: "2012r2", settable: true,
    labels: { en: en("URL Retrieval Timeout"), fr: "Délai d'attente de la récupération d'URL        : ", de: de("Timeout beim URL-Abruf") },
  },
  {
    param: "sslctlidentifier", vocab: "string", since: "2012r2", settable: true,
    labels: { en: en("Ctl Identifier"), fr: "Identificateur CTL               : ", de: de("CTL-Bezeichner") },
  },
  {
    param: "sslctlstorename", vocab: "string", since: "2012r2", settable: true,
    labels: { en: en("Ctl Store Name"), fr: "Nom du magasin CTL               : ", de: de("CTL-Speichername") },
  },
  {
    param: "dsmapperusage", vocab: "enabled", def: "disable", since: "2012r2", settable: true,
    labels: { en: en("DS Mapper Usage"), fr: "Utilisation du mappeur DS              : ", de: de("DS-Zuordnungsverwendung") },
  },
  {
    param: "clientcertnegotiation", vocab: "enabled", def: "disable", since: "2012r2", settable: true,
    labels: { en: en("Negotiate Client Certificate"), fr: "Négocier le certificat client : ", de: de("Clientzertifikat aushandeln") },
  },
  {
    param: "reject", vocab: "enabled", def: "disable", since: "2016", settable: true,
    labels: { en: en("Reject Connections"), fr: "Refuser les connexions : ", de: de("Verbindungen ablehnen") },
  },
  {
    param: "disablehttp2", vocab: "set", def: "disable", since: "2016", settable: true,
    labels: { en: en("Disable HTTP2"), fr: "Désactiver HTTP2 :", de: de("HTTP2 deaktivieren") },
  },
  {
    param: "disablequic", vocab: "set", def: "disable", since: "2022", settable: true,
    labels: { en: en("Disable QUIC"), fr: "Désactiver QUIC :", de: de("QUIC deaktivieren") },
  },
  {
    param: "disabletls12", vocab: "set", def: "disable", since: "2022", settable: true,
    labels: { en: en("Disable TLS1.2"), fr: "Désactiver TLS1.2               : ", de: de("TLS1.2 deaktivieren") },
  },
  {
    param: "disabletls13", vocab: "set", def: "disable", since: "2022", settable: true,
    labels: { en: en("Disable TLS1.3"), fr: "Désactiver TLS1.3 :", de: de("TLS1.3 deaktivieren") },
  },
  {
    param: "disableocspstapling", vocab: "set", def: "disable", since: "2022", settable: true,
    labels: { en: en("Disable OCSP Stapling"), fr: "Désactiver l'association OCSP :", de: de("OCSP-Stapling deaktivieren") },
  },
  {
    param: "enabletokenbinding", vocab: "set", def: "disable", since: "2022", settable: true,
    labels: { en: en("Enable Token Binding"), fr: "Activer la liaison de jeton         : ", de: de("Tokenbindung aktivieren") },
  },
  {
    param: "logextendedevents", vocab: "set", def: "disable", since: "2022", settable: true,
    labels: { en: en("Log Extended Events"), fr: "Consigner les événements étendus          : ", de: de("Erweiterte Ereignisse protokollieren") },
  },
  {
    param: "disablelegacytls", vocab: "set", def: "disable", since: "2022", settable: true,
    labels: { en: en("Disable Legacy TLS Versions"), fr: "Désactiver les versions existantes de TLS : ", de: de("Legacy-TLS-Versionen deaktivieren") },
  },
  {
    param: "enablesessionticket", vocab: "set", def: "disable", since: "2022", settable: true,
    labels: { en: en("Enable Session Ticket"), fr: "Activer le ticket de session : ", de: de("Sitzungsticket aktivieren") },
  },
  {
    param: "enablecachingclienthello", vocab: "set", def: "disable", since: "2025", settable: false,
    labels: { en: en("Enable Caching Client Hello"), fr: "Activer la mise en cache du Client Hello : ", de: de("Client Hello-Zwischenspeicherung aktivieren") },
  },
  {
    param: "disablesessionid", vocab: "set", def: "disable", since: "2025", settable: true,
    labels: { en: en("Disable Session ID"), fr: "Désactiver l'ID de session : ", de: de("Sitzungs-ID deaktivieren") },
  },
];

/** Order of the parameters in the add/update usage text (not the display order). */
export const USAGE_ORDER: readonly string[] = [
  "verifyclientcertrevocation",
  "verifyrevocationwithcachedclientcertonly",
  "usagecheck",
  "revocationfreshnesstime",
  "urlretrievaltimeout",
  "sslctlidentifier",
  "sslctlstorename",
  "dsmapperusage",
  "clientcertnegotiation",
  "reject",
  "disablehttp2",
  "disablequic",
  "disablelegacytls",
  "disabletls12",
  "disabletls13",
  "disableocspstapling",
  "enabletokenbinding",
  "logextendedevents",
  "enablesessionticket",
  "disablesessionid",
];

export const HEADER: Record<SimLanguage, { title: string; dashes: string; blankLines: number }> = {
  en: { title: "SSL Certificate bindings:", dashes: "-------------------------", blankLines: 1 },
  fr: { title: "Liaisons de certificat SSL :", dashes: "----------------------------", blankLines: 3 },
  de: { title: "SSL-Zertifikatbindungen:", dashes: "-------------------------", blankLines: 3 },
};

export const EXTENDED: Record<SimLanguage, { header: string; propertyId: string; receiveWindow: string; perFrame: string; perMinute: string }> = {
  en: {
    header: " Extended Properties:",
    propertyId: en("PropertyId"),
    receiveWindow: en("Receive Window"),
    perFrame: en("Max Settings Per Frame"),
    perMinute: en("Max Settings Per Minute"),
  },
  fr: {
    header: " Propriétés étendues :",
    propertyId: "PropertyId                   : ",
    receiveWindow: "Fenêtre de réception                : ",
    perFrame: "Paramètres max par cadre       : ",
    perMinute: "Paramètres max par minute        : ",
  },
  de: {
    header: " Erweiterte Eigenschaften:",
    propertyId: en("PropertyId"),
    receiveWindow: de("Empfangsfenster"),
    perFrame: de("Max. Einstellungen pro Frame"),
    perMinute: de("Max. Einstellungen pro Minute"),
  },
};

export function fieldsFor(os: SimOs): FieldDef[] {
  const order = ["2012r2", "2016", "2022", "2025"];
  return FIELDS.filter((f) => order.indexOf(f.since) <= order.indexOf(os));
}

/** Parameters add/update accept on this OS, in usage order. */
export function settableParamsFor(os: SimOs): string[] {
  const known = new Set(fieldsFor(os).filter((f) => f.settable).map((f) => f.param));
  return USAGE_ORDER.filter((p) => known.has(p));
}

export function fieldByParam(param: string): FieldDef | undefined {
  return FIELDS.find((f) => f.param === param);
}

/** Parameter form -> the word netsh shows. */
export function displayValue(field: FieldDef, value: string | undefined): string {
  switch (field.vocab) {
    case "enabled":
      return value === "enable" ? "Enabled" : "Disabled";
    case "set":
      return value === "enable" ? "Set" : "Not Set";
    case "uint":
      return value ?? "0";
    case "string":
      return value ?? "(null)";
  }
}

/** Fills every field of the OS with its default, keeping what was given. */
export function completeParams(os: SimOs, given: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fieldsFor(os)) {
    const v = given[f.param];
    if (v !== undefined) out[f.param] = v;
    else if (f.def !== undefined) out[f.param] = f.def;
  }
  return out;
}
