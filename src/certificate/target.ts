import { z } from "zod";
import { Thumbprint } from "../model/thumbprint.js";
import type { PfxContents } from "./pfx-read.js";

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
   * `--new FILE.pfx` on rollout, deliver and plan: the certificate with its key, read and checked
   * on the controller, to import where a host lacks it. Held in memory only: the key is a Secret,
   * and nothing from here reaches a report but the thumbprint (report/schema.ts reportTarget).
   */
  delivery: z.custom<TargetDelivery>((v) => typeof v === "object" && v !== null).optional(),
  /**
   * Owner-managed bindings (AD FS, WAP, SSTP, Exchange): left to their owner's tooling and listed
   * with its command (the default), or rebound by netsh anyway (`--rebind-owner-managed`).
   */
  ownerManaged: z.enum(["leave", "rebind"]).optional(),
});
export type Target = z.infer<typeof Target>;

export interface TargetDelivery {
  contents: PfxContents;
  /** `--exportable`: mark the imported key exportable (default NoExport). */
  exportable: boolean;
  /** names this run's staging folder on every host (C:\\ProgramData\\certfleet\\<id>). */
  stagingId: string;
}
