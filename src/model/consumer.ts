import { z } from "zod";
import { Thumbprint } from "./thumbprint.js";

/** Who owns a use of a certificate (see src/windows/binding-owner.ts for how a binding's owner is told). */
export const ConsumerOwner = z.enum(["iis", "none", "winrm-https", "wmsvc", "adfs", "wap", "sstp", "exchange", "rdp"]);
export type ConsumerOwner = z.infer<typeof ConsumerOwner>;

/**
 * How a consumer moves to a new certificate: netsh alone; together with the owner's own setting
 * (WinRM listener, WMSvc registry value); by the owner's setting alone (RDP registry value and key
 * grant); or not by certfleet at all (owner-managed: the report prints the owner's command).
 */
export const ConsumerHandling = z.enum(["netsh", "with-owner-setting", "owner-setting", "owner-managed"]);
export type ConsumerHandling = z.infer<typeof ConsumerHandling>;

/** One use of a certificate on a host: an http.sys binding, or an owner's own setting. */
export const Consumer = z.object({
  /** where it is configured: an http.sys binding, the WinRM listener config, or a registry value */
  source: z.enum(["binding", "winrm-listener", "registry"]),
  owner: ConsumerOwner,
  handling: ConsumerHandling,
  /** `0.0.0.0:5986`, `Listener?Address=*+Transport=HTTPS`, `RDP-Tcp\SSLCertificateSHA1Hash` */
  name: z.string(),
  /** the certificate it names; null when it names none (RDP self-signed, an unreadable value) */
  certHash: Thumbprint.nullable(),
  /** WinRM listener's Hostname: the new certificate must cover it */
  hostname: z.string().optional(),
  /** the facts that decided owner and handling */
  evidence: z.array(z.string()),
});
export type Consumer = z.infer<typeof Consumer>;

/** A WinRM listener as `winrm enumerate winrm/config/listener` shows it (src/windows/winrm-listener-parse.ts). */
export const WinrmListenerReading = z.object({
  address: z.string(),
  transport: z.string(),
  port: z.number().int().nullable(),
  hostname: z.string(),
  enabled: z.boolean(),
  urlPrefix: z.string(),
  certificateThumbprint: Thumbprint.nullable(),
  certificateThumbprintText: z.string(),
  listeningOn: z.array(z.string()),
});

/** A REG_BINARY certificate hash as `reg query` shows it (src/windows/reg-parse.ts). */
export const RegHashValue = z.discriminatedUnion("state", [
  z.object({ state: z.literal("present"), thumbprint: Thumbprint, type: z.literal("REG_BINARY") }),
  z.object({ state: z.literal("absent"), message: z.string() }),
  z.object({ state: z.literal("unreadable"), reason: z.string() }),
]);

const Ace = z.object({ type: z.string(), flags: z.string(), rights: z.string(), sid: z.string(), inherited: z.boolean() });

/** Where a certificate's private key lives and who may read it (src/windows/key-acl-parse.ts). */
export const KeyReading = z.union([
  z.object({
    ok: z.literal(true),
    location: z.object({ uniqueName: z.string(), provider: z.string(), storage: z.enum(["csp", "cng"]) }),
    acl: z.object({ object: z.string(), sddl: z.string(), aces: z.array(Ace) }),
  }),
  z.object({ ok: z.literal(false), reason: z.string() }),
]);
export type KeyReading = z.infer<typeof KeyReading>;

/**
 * The owners' own settings as discovery read them; null: not read (the section was missing, or
 * the owner is not installed). `keys` holds the private keys read for the consumer steps, by
 * thumbprint, only when a consumer on the host needs them.
 */
export const ConsumerReadings = z.object({
  winrmListeners: z.array(WinrmListenerReading).nullable(),
  rdp: RegHashValue.nullable(),
  wmsvc: RegHashValue.nullable(),
  keys: z.record(z.string(), KeyReading).optional(),
});
export type ConsumerReadingsState = z.infer<typeof ConsumerReadings>;
