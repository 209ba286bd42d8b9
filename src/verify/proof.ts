import { z } from "zod";
import { Thumbprint } from "../model/thumbprint.js";

/** What a TLS handshake proved about one endpoint: the verify layer's own result type. */
export const TlsProof = z.object({
  ok: z.boolean(),
  /** true when the endpoint could not be checked (e.g. `[::]` with no IPv6 address known). */
  skipped: z.boolean().optional(),
  servedThumbprint: Thumbprint.optional(),
  expectedThumbprint: Thumbprint.optional(),
  /** the address:port the handshake went to, and the SNI name sent. */
  target: z.string().optional(),
  serverName: z.string().optional(),
  notAfter: z.string().optional(),
  sniCovered: z.boolean().optional(),
  chainComplete: z.boolean().optional(),
  attempts: z.number().int().optional(),
  error: z.string().optional(),
});
export type TlsProof = z.infer<typeof TlsProof>;
