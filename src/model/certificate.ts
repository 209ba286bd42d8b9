import { z } from "zod";
import { Thumbprint } from "./thumbprint.js";

/** Whether certutil showed a usable private key: `unknown` when its output did not say. */
export const PrivateKeyState = z.union([z.boolean(), z.literal("unknown")]);
export type PrivateKeyState = z.infer<typeof PrivateKeyState>;

/** One certificate in a Windows store, as `certutil -store My` showed it. */
export const Certificate = z.object({
  thumbprint: Thumbprint,
  subject: z.string(),
  issuer: z.string().optional(),
  serial: z.string().optional(),
  /** ISO 8601; absent when the regional date format could not be read unambiguously. */
  notBefore: z.string().optional(),
  notAfter: z.string().optional(),
  hasPrivateKey: PrivateKeyState,
  template: z.string().optional(),
  /** the LocalMachine store it was read from (`My`, `WebHosting`); http.sys looks a binding's certificate up there. */
  store: z.string().optional(),
  /** DNS names from the SAN extension, where known (certificate files, TLS handshakes). */
  dnsNames: z.array(z.string()).optional(),
});
export type Certificate = z.infer<typeof Certificate>;
