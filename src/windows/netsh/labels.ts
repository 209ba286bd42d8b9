/**
 * netsh's labels per display language, for the fields of ./fields.ts.
 */
import type { Canon } from "./fields.js";

// Labels as netsh prints them, normalised by normalizeLabel (lower case, single spaces, ASCII
// apostrophe). English: real output. French: a real Server 2022-era block (docs/facts.md, "French
// lab"). German: only `IP:Port` and `Zertifikathash` are seen in real output; the other German
// labels are constructed guesses in the same style, so an unseen German label still falls back
// to value shape and position.
export const LABELS: ReadonlyArray<readonly [Canon, readonly string[]]> = [
  ["key:ipport", ["ip:port", "adresse ip:port"]],
  ["key:hostnameport", ["hostname:port", "nom d'hôte:port"]],
  ["key:ccs", ["central certificate store", "magasin de certificats central", "zentraler zertifikatspeicher"]],
  ["key:scopedccs", ["scoped central certificate store", "scoped ccs", "scopedccs"]],
  ["certhash", ["certificate hash", "hachage du certificat", "zertifikathash"]],
  ["appid", ["application id", "id de l'application", "anwendungs-id"]],
  ["certstorename", ["certificate store name", "nom du magasin de certificats", "zertifikatspeichername"]],
  [
    "verifyclientcertrevocation",
    [
      "verify client certificate revocation",
      "vérifier la révocation des certificats clients",
      "clientzertifikatsperrung überprüfen",
    ],
  ],
  [
    "verifyrevocationwithcachedclientcertonly",
    [
      "verify revocation using cached client certificate only",
      "vérifier la révocation au moyen du certificat client mis en cache uniquement",
      "sperrung nur mit zwischengespeichertem clientzertifikat überprüfen",
    ],
  ],
  ["usagecheck", ["usage check", "vérification de l'utilisation", "verwendungsüberprüfung"]],
  [
    "revocationfreshnesstime",
    ["revocation freshness time", "heure d'actualisation de la révocation", "aktualität der sperrung"],
  ],
  [
    "urlretrievaltimeout",
    ["url retrieval timeout", "délai d'attente de la récupération d'url", "zeitlimit für url-abruf"],
  ],
  ["sslctlidentifier", ["ctl identifier", "identificateur ctl", "ctl-bezeichner"]],
  ["sslctlstorename", ["ctl store name", "nom du magasin ctl", "ctl-speichername"]],
  ["dsmapperusage", ["ds mapper usage", "utilisation du mappeur ds", "ds-zuordnungsverwendung"]],
  [
    "clientcertnegotiation",
    ["negotiate client certificate", "négocier le certificat client", "clientzertifikat aushandeln"],
  ],
  ["reject", ["reject connections", "refuser les connexions", "verbindungen ablehnen"]],
  ["disablehttp2", ["disable http2", "désactiver http2", "http2 deaktivieren"]],
  ["disablequic", ["disable quic", "désactiver quic", "quic deaktivieren"]],
  ["disabletls12", ["disable tls1.2", "désactiver tls1.2", "tls1.2 deaktivieren"]],
  ["disabletls13", ["disable tls1.3", "désactiver tls1.3", "tls1.3 deaktivieren"]],
  ["disableocspstapling", ["disable ocsp stapling", "désactiver l'association ocsp", "ocsp-heftung deaktivieren"]],
  ["enabletokenbinding", ["enable token binding", "activer la liaison de jeton", "tokenbindung aktivieren"]],
  [
    "logextendedevents",
    ["log extended events", "consigner les événements étendus", "erweiterte ereignisse protokollieren"],
  ],
  [
    "disablelegacytls",
    [
      "disable legacy tls versions",
      "désactiver les versions existantes de tls",
      "legacy-tls-versionen deaktivieren",
    ],
  ],
  ["enablesessionticket", ["enable session ticket", "activer le ticket de session", "sitzungsticket aktivieren"]],
  ["disablesessionid", ["disable session id", "désactiver l'id de session", "sitzungs-id deaktivieren"]],
  [
    "enablecachingclienthello",
    [
      "enable caching client hello",
      "activer la mise en cache du client hello",
      // two constructed German wordings (no real German 2025 output seen); its position next to
      // Disable Session ID is itself a guess, so the label is the only way to read it
      "zwischenspeichern von client hello aktivieren",
      "client hello-zwischenspeicherung aktivieren",
    ],
  ],
  ["extheader", ["extended properties", "propriétés étendues", "erweiterte eigenschaften"]],
  ["propertyid", ["propertyid", "property id", "id de propriété", "eigenschafts-id"]],
];

export const LABEL_TABLE = new Map<string, Canon>(LABELS.flatMap(([canon, labels]) => labels.map((l) => [l, canon] as const)));

// Extended-property sub-fields, keyed by the `netsh http update sslpropertyex` parameter names.
export const EXT_LABELS = new Map<string, string>([
  ["receive window", "receivewindow"],
  ["fenêtre de réception", "receivewindow"],
  ["empfangsfenster", "receivewindow"],
  ["max settings per frame", "maxsettingsperframe"],
  ["paramètres max par cadre", "maxsettingsperframe"],
  ["max. einstellungen pro frame", "maxsettingsperframe"],
  ["max settings per minute", "maxsettingsperminute"],
  ["paramètres max par minute", "maxsettingsperminute"],
  ["max. einstellungen pro minute", "maxsettingsperminute"],
]);
// `show` of a binding that does not exist prints only the Win32 message for error 2.
export const NOT_FOUND_TEXTS = [
  "the system cannot find the file specified.",
  "le fichier spécifié est introuvable.",
  "das system kann die angegebene datei nicht finden.",
];

/** Lower case, single spaces, typographic apostrophe and NBSP folded: the label-table key. */
export function normalizeLabel(label: string): string {
  return label.replace(/[\u2019\u2018`]/g, "'").replace(/[\s\u00a0]+/g, " ").trim().toLowerCase();
}

