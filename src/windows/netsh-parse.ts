import type { Binding } from "../model/binding.js";
import { resolveBinding } from "./netsh/resolver.js";
import { scanNetshShow } from "./netsh/scanner.js";

/**
 * Parser for `netsh http show sslcert` in any display language and any Windows layout: the
 * scanner (netsh/scanner.ts) and the resolver (netsh/resolver.ts) over the field catalogue
 * (netsh/fields.ts), the labels (netsh/labels.ts) and the layouts (netsh/layouts.ts).
 *
 * Labels are looked up in English, French and German tables; when a binding's labels are mostly
 * unknown (another language) the fields are read by value shape and position instead, because
 * netsh prints the same fields in the same order everywhere and keeps its values in English
 * (docs/facts.md §D-E). Nothing is dropped: unknown fields stay as `label:<text>` and every
 * guess or malformed value is reported in `warnings`.
 */
export interface NetshParseResult {
  bindings: Binding[];
  warnings: string[];
}

export function parseNetshShowSslcert(text: string): NetshParseResult {
  const { raws, warnings, truncated } = scanNetshShow(text);
  const bindings = raws.map((raw) => resolveBinding(raw, warnings));
  if (truncated) {
    const last = bindings[bindings.length - 1];
    warnings.push(
      last
        ? `netsh output is truncated ("..."): binding ${last.kind}=${last.endpoint} may be incomplete`
        : `netsh output is truncated ("...")`,
    );
  }
  return { bindings, warnings };
}

