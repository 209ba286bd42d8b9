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
