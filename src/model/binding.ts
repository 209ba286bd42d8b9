import { z } from "zod";
import { Thumbprint } from "./thumbprint.js";

/** How http.sys keys a binding: netsh's ipport=, hostnameport=, ccs= and scopedccs=. */
export const BindingKind = z.enum(["ipport", "hostnameport", "ccs", "scopedccs"]);
export type BindingKind = z.infer<typeof BindingKind>;

/** `{4dc3e181-e14b-4a21-b022-59fc669b0914}`: braces kept, lowercase. */
export const AppId = z.string().regex(/^\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}$/);
export type AppId = z.infer<typeof AppId>;

/**
 * One http.sys SSL binding exactly as `netsh http show sslcert` printed it.
 *
 * `settings` holds every other field, in display order, keyed by the netsh `add sslcert`
 * parameter name where one exists (`verifyclientcertrevocation`, `disablehttp2`, ...), by a
 * stable key for fields netsh cannot set (`enablecachingclienthello`), by `propertyid<N>.<name>`
 * for extended properties, and by `label:<label text>` for a field we do not know. Values are
 * the text netsh printed (`Enabled`, `Not Set`, `(null)`, `0`): nothing is interpreted away, so
 * a binding can be re-created with every flag it had.
 */
export const Binding = z.object({
  kind: BindingKind,
  /** `0.0.0.0:443`, `[::]:443`, `10.0.0.5:8443`, `www.example.com:443`, or `443` for ccs. */
  endpoint: z.string().min(1),
  /** null when netsh printed no usable hash (CCS bindings, or a malformed value: see warnings). */
  certHash: Thumbprint.nullable(),
  appId: AppId.nullable(),
  /** null when netsh printed `(null)`, which http.sys treats as MY. */
  storeName: z.string().nullable(),
  settings: z.record(z.string(), z.string()),
});
export type Binding = z.infer<typeof Binding>;

/** The key http.sys uses for a binding: two bindings with the same key are the same socket. */
export function bindingKey(b: Pick<Binding, "kind" | "endpoint">): string {
  return `${b.kind}=${b.endpoint.toLowerCase()}`;
}
