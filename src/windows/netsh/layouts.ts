/**
 * The field order netsh prints per Windows release (after the key field): the fallback that reads
 * a binding by position when its labels are in an unknown language.
 */
import type { FieldCanon } from "./fields.js";

// The 2008 R2 - 2012 R2 layout: 13 fields counting the key field, which these lists leave out.
const BASE13: readonly FieldCanon[] = [
  "certhash",
  "appid",
  "certstorename",
  "verifyclientcertrevocation",
  "verifyrevocationwithcachedclientcertonly",
  "usagecheck",
  "revocationfreshnesstime",
  "urlretrievaltimeout",
  "sslctlidentifier",
  "sslctlstorename",
  "dsmapperusage",
  "clientcertnegotiation",
];
const GEN2016: readonly FieldCanon[] = [...BASE13, "reject", "disablehttp2"];
const MID: readonly FieldCanon[] = [
  ...GEN2016,
  "disablequic",
  "disabletls12",
  "disabletls13",
  "disableocspstapling",
  "disablelegacytls",
];
const FULL: readonly FieldCanon[] = [
  ...GEN2016,
  "disablequic",
  "disabletls12",
  "disabletls13",
  "disableocspstapling",
  "enabletokenbinding",
  "logextendedevents",
  "disablelegacytls",
  "enablesessionticket",
];
// 24 fields: the one newest layout seen (BC guide). 25: both new flags, in DefaultFlags bit order
// (0x4000 session id before 0x8000 caching client hello); that order is a guess.
const NEWEST24: readonly FieldCanon[] = [...FULL, "enablecachingclienthello"];
const NEWEST25: readonly FieldCanon[] = [...FULL, "disablesessionid", "enablecachingclienthello"];

/** The display order (after the key field) of the layout that prints `count` fields after it. */
export function orderFor(count: number): readonly FieldCanon[] {
  // mid and full agree on their first 18 fields after the key; exactly 19 is the mid layout.
  if (count === MID.length) return MID;
  // 2012 R2 prints 12 fields after the key; without this its layout never counts as aligned.
  if (count <= BASE13.length) return BASE13;
  if (count <= GEN2016.length) return GEN2016;
  if (count <= FULL.length) return FULL;
  if (count === NEWEST24.length) return NEWEST24;
  return NEWEST25;
}

