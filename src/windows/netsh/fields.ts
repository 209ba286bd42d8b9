/**
 * The field catalogue of an http.sys SSL binding: every setting netsh shows, how it shows its
 * value, and how `netsh http add|update sslcert` sets it, in the order of netsh's usage text.
 * The parser (value shapes) and the command builder (add parameters, defaults) both read it:
 * a new netsh flag is one entry here, its labels in ./labels.ts and its place in ./layouts.ts.
 */
import type { BindingKind } from "../../model/binding.js";

export type SettingKey =
  | "verifyclientcertrevocation"
  | "verifyrevocationwithcachedclientcertonly"
  | "usagecheck"
  | "revocationfreshnesstime"
  | "urlretrievaltimeout"
  | "sslctlidentifier"
  | "sslctlstorename"
  | "dsmapperusage"
  | "clientcertnegotiation"
  | "reject"
  | "disablehttp2"
  | "disablequic"
  | "disablelegacytls"
  | "disabletls12"
  | "disabletls13"
  | "disableocspstapling"
  | "enabletokenbinding"
  | "logextendedevents"
  | "enablesessionticket"
  | "disablesessionid"
  | "enablecachingclienthello";

export type KeyCanon = `key:${BindingKind}`;
export type FieldCanon = "certhash" | "appid" | "certstorename" | SettingKey;
/** What a label can name: the key field, a field, or the extended-properties parts. */
export type Canon = KeyCanon | FieldCanon | "extheader" | "propertyid";

export interface SettingField {
  name: SettingKey;
  /** how netsh shows the value: Enabled/Disabled, Set/Not Set, a number, a name. */
  shows: "enabled" | "set" | "int" | "name";
  /** a toggle's http.sys default when `add` leaves it out. */
  default?: "enable" | "disable";
  /** false: `add sslcert` has no parameter for it (only an in-place update keeps it). */
  addable: boolean;
  /** how an operator knows it, for messages. */
  display: string;
}

const toggle = (name: SettingKey, shows: "enabled" | "set", dflt: "enable" | "disable", display: string): SettingField => ({ name, shows, default: dflt, addable: true, display });

/** Every setting, in the order `add sslcert` takes its parameters. */
export const SETTINGS: readonly SettingField[] = [
  toggle("verifyclientcertrevocation", "enabled", "enable", "Verify Client Certificate Revocation"),
  toggle("verifyrevocationwithcachedclientcertonly", "enabled", "disable", "Verify Revocation Using Cached Client Certificate Only"),
  toggle("usagecheck", "enabled", "enable", "Usage Check"),
  { name: "revocationfreshnesstime", shows: "int", addable: true, display: "Revocation Freshness Time" },
  { name: "urlretrievaltimeout", shows: "int", addable: true, display: "URL Retrieval Timeout" },
  { name: "sslctlidentifier", shows: "name", addable: true, display: "Ctl Identifier" },
  { name: "sslctlstorename", shows: "name", addable: true, display: "Ctl Store Name" },
  toggle("dsmapperusage", "enabled", "disable", "DS Mapper Usage"),
  toggle("clientcertnegotiation", "enabled", "disable", "Negotiate Client Certificate"),
  toggle("reject", "enabled", "disable", "Reject Connections"),
  toggle("disablehttp2", "set", "disable", "Disable HTTP2"),
  toggle("disablequic", "set", "disable", "Disable QUIC"),
  toggle("disablelegacytls", "set", "disable", "Disable Legacy TLS Versions"),
  toggle("disabletls12", "set", "disable", "Disable TLS1.2"),
  toggle("disabletls13", "set", "disable", "Disable TLS1.3"),
  toggle("disableocspstapling", "set", "disable", "Disable OCSP Stapling"),
  toggle("enabletokenbinding", "set", "disable", "Enable Token Binding"),
  toggle("logextendedevents", "set", "disable", "Log Extended Events"),
  toggle("enablesessionticket", "set", "disable", "Enable Session Ticket"),
  toggle("disablesessionid", "set", "disable", "Disable Session ID"),
  { name: "enablecachingclienthello", shows: "set", default: "disable", addable: false, display: "Enable Caching Client Hello" },
];

export const SETTING_BY_NAME: ReadonlyMap<string, SettingField> = new Map(SETTINGS.map((s) => [s.name, s]));

/** Extended-property values netsh shows on every binding it has not been told otherwise about. */
export const EXTENDED_DEFAULTS: Readonly<Record<string, string>> = {
  "propertyid0.receivewindow": "1048576",
  "propertyid1.maxsettingsperframe": "2796202",
  "propertyid1.maxsettingsperminute": "4294967295",
};

// What each known PropertyId holds, in display order: the fallback for unknown languages.
export const EXT_BY_POSITION: Record<string, readonly string[]> = {
  "0": ["receivewindow"],
  "1": ["maxsettingsperframe", "maxsettingsperminute"],
};


/** Whether a value looks like what this field shows (the fallback when its label is unknown). */
export function valueFits(canon: FieldCanon, value: string): boolean {
  const shows = SETTING_BY_NAME.get(canon)?.shows ?? "name";
  switch (shows) {
    case "enabled":
      return /^(enabled|disabled)$/i.test(value);
    case "set":
      return /^(set|not set)$/i.test(value);
    case "int":
      return /^\d+$/.test(value);
    case "name":
      return true;
  }
}

export const IPV4_PORT = /^\d{1,3}(?:\.\d{1,3}){3}:\d{1,5}$/;
export const IPV6_PORT = /^\[[0-9a-f:.%]+\]:\d{1,5}$/i;
export const HOST_PORT = /^[a-z0-9*_](?:[a-z0-9_.*-]*[a-z0-9])?:\d{1,5}$/i;
export const BARE_PORT = /^\d{1,5}$/;
export const GUID = /^\{?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\}?$/i;
export const HEX40 = /^(?:[0-9a-f]{40}|(?:[0-9a-f]{2} ){19}[0-9a-f]{2})$/i;

/** The binding kind an endpoint value implies on its own (ipport / hostnameport / ccs port). */
export function kindFromValue(value: string, allowBarePort: boolean): BindingKind | null {
  if (IPV4_PORT.test(value) || IPV6_PORT.test(value)) return "ipport";
  if (HOST_PORT.test(value)) return "hostnameport";
  if (allowBarePort && BARE_PORT.test(value)) return "ccs";
  return null;
}

