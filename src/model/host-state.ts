import { z } from "zod";
import { Binding } from "./binding.js";
import { Certificate } from "./certificate.js";
import { ConsumerReadings } from "./consumer.js";

export const RemoteShell = z.enum(["cmd", "powershell"]);
export type RemoteShell = z.infer<typeof RemoteShell>;

/** What discovery learned about one Windows host. Pure data: the planner's only input from it. */
export const HostState = z.object({
  host: z.string(),
  shell: RemoteShell,
  /** true when the SSH session has the High Mandatory Level (S-1-16-12288) or runs as SYSTEM. */
  elevated: z.boolean(),
  certificates: z.array(Certificate),
  bindings: z.array(Binding),
  /** the OS build from `ver` (14393 = Server 2016); absent when it could not be read. */
  build: z.number().int().optional(),
  /** Parser findings an operator should see (unknown labels, malformed values, fallbacks). */
  warnings: z.array(z.string()),
  /** the certificate's other consumers (WinRM listeners, RDP and WMSvc values); absent: not read. */
  consumers: ConsumerReadings.optional(),
});
export type HostState = z.infer<typeof HostState>;
