import { z } from "zod";
import { Thumbprint } from "../model/thumbprint.js";

/** The certificate being rolled out, as far as certfleet knows it before touching any host. */
export const NewCertificate = z.object({
  thumbprint: Thumbprint,
  /** from a certificate file, or learned from a host's store when only a thumbprint was given. */
  subject: z.string().optional(),
  dnsNames: z.array(z.string()).optional(),
  notBefore: z.string().optional(),
  notAfter: z.string().optional(),
  source: z.enum(["thumbprint", "file"]),
});
export type NewCertificate = z.infer<typeof NewCertificate>;

export const Target = z.object({
  newCert: NewCertificate,
  /** explicit `--old` thumbprints; empty means "older certificates with the same subject and SANs". */
  oldThumbprints: z.array(Thumbprint),
  /**
   * Owner-managed bindings (AD FS, WAP, SSTP, Exchange): left to their owner's tooling and listed
   * with its command (the default), or rebound by netsh anyway (`--rebind-owner-managed`).
   */
  ownerManaged: z.enum(["leave", "rebind"]).optional(),
});
export type Target = z.infer<typeof Target>;
