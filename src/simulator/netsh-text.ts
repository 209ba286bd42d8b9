/**
 * What netsh.exe prints, as text with CRLF line ends (encoding happens at the SSH edge).
 * Layout, English labels and messages follow test/fixtures/windows-samples and docs/messages.md.
 * Win32 message texts for fr/de are the ones Windows ships; netsh's own result lines in fr/de
 * are constructed (no real paste found) but keep the error number, as the real ones do.
 */
import {
  APPID_LABEL,
  EXTENDED,
  HASH_LABEL,
  HEADER,
  KEY_LABELS,
  STORE_LABEL,
  displayValue,
  fieldsFor,
  settableParamsFor,
} from "./netsh-fields.js";
import { osAtLeast, type SimBinding, type SimLanguage, type SimOs } from "./state.js";

export const CRLF = "\r\n";

export function lines(...ls: string[]): string {
  return ls.map((l) => l + CRLF).join("");
}

function bindingBlock(b: SimBinding, os: SimOs, lang: SimLanguage): string[] {
  const out: string[] = [];
  const keyLine = `    ${KEY_LABELS[b.kind][lang]}${b.endpoint}`;
  // The one real German line keeps a long run of trailing spaces (resource-string padding).
  out.push(lang === "de" && b.kind === "ipport" ? keyLine + " ".repeat(60) : keyLine);
  out.push(`    ${HASH_LABEL[lang]}${b.certHash === "" ? "(null)" : b.certHash}`);
  out.push(`    ${APPID_LABEL[lang]}${b.appId}`);
  out.push(`    ${STORE_LABEL[lang]}${b.storeName ?? "(null)"}`);
  for (const f of fieldsFor(os)) {
    out.push(`    ${f.labels[lang]}${displayValue(f, b.params[f.param])}`);
  }
  if (osAtLeast(os, "2022")) {
    const x = EXTENDED[lang];
    out.push(x.header, `    ${x.propertyId}0`, `    ${x.receiveWindow}1048576`);
    out.push(x.header, `    ${x.propertyId}1`, `    ${x.perFrame}2796202`, `    ${x.perMinute}4294967295`);
    if (os === "2025") {
      for (const id of [2, 3, 4]) out.push(x.header, `    ${x.propertyId}${id}`);
    }
  }
  return out;
}

function header(lang: SimLanguage): string[] {
  const h = HEADER[lang];
  return ["", h.title, h.dashes, ...Array<string>(h.blankLines).fill("")];
}

/** `netsh http show sslcert [key=value]` for the given bindings (already selected). */
export function showSslcert(bindings: SimBinding[], os: SimOs, lang: SimLanguage): string {
  const out = header(lang);
  for (const b of bindings) out.push(...bindingBlock(b, os, lang), "");
  return lines(...out);
}

type Verb = "add" | "delete" | "update";

const WIN32: Record<number, Record<SimLanguage, string>> = {
  2: {
    en: "The system cannot find the file specified.",
    fr: "Le fichier spécifié est introuvable.",
    de: "Das System kann die angegebene Datei nicht finden.",
  },
  5: { en: "Access is denied.", fr: "Accès refusé.", de: "Zugriff verweigert" },
  87: { en: "The parameter is incorrect.", fr: "Paramètre incorrect.", de: "Falscher Parameter." },
  183: {
    en: "Cannot create a file when that file already exists.",
    fr: "Impossible de créer un fichier déjà existant.",
    de: "Eine Datei kann nicht erstellt werden, wenn sie bereits vorhanden ist.",
  },
  1312: {
    en: "A specified logon session does not exist. It may already have been terminated.",
    fr: "Une session ouverte spécifiée n'existe pas. Elle est peut-être déjà terminée.",
    de: "Eine angegebene Anmeldesitzung ist nicht vorhanden. Sie wurde gegebenenfalls bereits beendet.",
  },
};

export function win32Message(code: number, lang: SimLanguage): string {
  return WIN32[code]?.[lang] ?? `Error ${code}`;
}

const VERB_FAILED: Record<SimLanguage, Record<Verb, string>> = {
  en: { add: "SSL Certificate add failed, Error: ", delete: "SSL Certificate deletion failed, Error: ", update: "SSL Certificate update failed, Error: " },
  fr: {
    add: "Échec de l'ajout du certificat SSL, erreur : ",
    delete: "Échec de la suppression du certificat SSL, erreur : ",
    update: "Échec de la mise à jour du certificat SSL, erreur : ",
  },
  de: {
    add: "Fehler beim Hinzufügen des SSL-Zertifikats. Fehler: ",
    delete: "Fehler beim Löschen des SSL-Zertifikats. Fehler: ",
    update: "Fehler beim Aktualisieren des SSL-Zertifikats. Fehler: ",
  },
};

const VERB_OK: Record<SimLanguage, Record<Verb, string>> = {
  en: { add: "SSL Certificate successfully added", delete: "SSL Certificate successfully deleted", update: "SSL Certificate successfully updated" },
  fr: { add: "Certificat SSL ajouté correctement", delete: "Certificat SSL supprimé correctement", update: "Certificat SSL mis à jour correctement" },
  de: { add: "Das SSL-Zertifikat wurde erfolgreich hinzugefügt.", delete: "Das SSL-Zertifikat wurde erfolgreich gelöscht.", update: "Das SSL-Zertifikat wurde erfolgreich aktualisiert." },
};

export function verbSucceeded(verb: Verb, lang: SimLanguage): string {
  return lines("", VERB_OK[lang][verb]);
}

export function verbFailed(verb: Verb, code: number, lang: SimLanguage): string {
  return lines("", `${VERB_FAILED[lang][verb]}${code}`, win32Message(code, lang), "");
}

/** netsh validates values before calling http.sys: only the Win32 text, no "failed" line. */
export function parameterIncorrect(lang: SimLanguage): string {
  return lines(win32Message(87, lang), "");
}

const SYNTAX: Record<SimLanguage, string[]> = {
  en: [
    "One or more essential parameters were not entered.",
    "Verify the required parameters, and reenter them.",
    "The syntax supplied for this command is not valid. Check help for the correct syntax.",
  ],
  fr: [
    "Un ou plusieurs paramètres essentiels n'ont pas été entrés.",
    "Vérifiez les paramètres requis et entrez-les à nouveau.",
    "La syntaxe fournie pour cette commande n'est pas valide. Consultez l'aide pour connaître la syntaxe correcte.",
  ],
  de: [
    "Mindestens ein erforderlicher Parameter wurde nicht eingegeben.",
    "Überprüfen Sie die erforderlichen Parameter, und geben Sie sie erneut ein.",
    "Die angegebene Syntax für diesen Befehl ist ungültig. Überprüfen Sie die Hilfe für die korrekte Syntax.",
  ],
};

const VALUE_HINT: Record<string, string> = {
  revocationfreshnesstime: "<u-int>",
  urlretrievaltimeout: "<u-int>",
  sslctlidentifier: "<string>",
  sslctlstorename: "<string>",
};

export function usageText(verb: Verb | "show", os: SimOs): string[] {
  const keys = "hostnameport=<name:port> | ipport=<ipaddr:port> | ccs=<port>";
  if (verb === "delete" || verb === "show") return [`Usage: ${verb} sslcert ${keys}`];
  const out = [`Usage: ${verb} sslcert ${keys}`, verb === "add" ? "        appid=<GUID>" : "        [appid=<GUID>]"];
  out.push("        [certhash=<string>]", "        [certstorename=<string>]");
  for (const p of settableParamsFor(os)) out.push(`        [${p}=${VALUE_HINT[p] ?? "enable|disable"}]`);
  return out;
}

export function syntaxError(verb: Verb | "show", os: SimOs, lang: SimLanguage): string {
  return lines(...SYNTAX[lang], "", ...usageText(verb, os), "");
}

const NOT_FOUND: Record<SimLanguage, string> = {
  en: "The following command was not found: ",
  fr: "La commande suivante est introuvable : ",
  de: "Der folgende Befehl wurde nicht gefunden: ",
};

/** netsh echoes the arguments it could not match, joined by spaces, with a final period. */
export function commandNotFound(args: string[], lang: SimLanguage): string {
  return lines(`${NOT_FOUND[lang]}${args.join(" ")}.`);
}

/** `show` of a binding that does not exist: the header is printed before the lookup fails. */
export function showNotFound(lang: SimLanguage): string {
  return lines(...header(lang), win32Message(2, lang), "");
}
