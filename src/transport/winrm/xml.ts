/**
 * A small, strict XML reader for WS-Management envelopes: elements, attributes, text, CDATA,
 * comments, the five named entities and numeric character references, with namespace prefixes
 * resolved to URIs. No DTDs (an envelope never has one; refusing them rules out entity
 * expansion attacks), no processing beyond the `<?xml ...?>` declaration.
 */

export interface XmlElement {
  /** namespace URI ("" when none) */
  ns: string;
  /** local name, without prefix */
  local: string;
  /** attributes by local name (prefix dropped: `s:mustUnderstand` -> `mustUnderstand`) */
  attrs: Record<string, string>;
  children: XmlElement[];
  /** the element's own character data (text of children excluded), entities decoded */
  text: string;
}

export class XmlSyntaxError extends Error {
  constructor(message: string, readonly offset: number) {
    super(`malformed XML at offset ${offset}: ${message}`);
    this.name = "XmlSyntaxError";
  }
}

const XML_NS = "http://www.w3.org/XML/1998/namespace";
const NAME_RE = /[A-Za-z_][\w.\-:]*/y;
const NAMED: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

function decodeEntities(raw: string, offset: number): string {
  return raw.replace(/&([^;&<]{1,10});|&/g, (whole, name: string | undefined) => {
    if (name === undefined) throw new XmlSyntaxError("bare '&'", offset);
    if (NAMED[name] !== undefined) return NAMED[name];
    const m = /^#(?:x([0-9A-Fa-f]{1,6})|([0-9]{1,7}))$/.exec(name);
    if (!m) throw new XmlSyntaxError(`unknown entity ${whole}`, offset);
    const cp = m[1] !== undefined ? parseInt(m[1], 16) : Number(m[2]);
    if (cp > 0x10ffff || cp === 0) throw new XmlSyntaxError(`bad character reference ${whole}`, offset);
    return String.fromCodePoint(cp);
  });
}

interface RawElement {
  qname: string;
  rawAttrs: Array<[string, string]>;
  scope: Map<string, string>;
  el: XmlElement;
}

/** Parses one document; throws XmlSyntaxError on anything malformed. */
export function parseXml(text: string): XmlElement {
  let i = 0;
  const stack: RawElement[] = [];
  let root: XmlElement | undefined;
  const n = text.length;
  if (text.charCodeAt(0) === 0xfeff) i = 1;

  const readName = (): string => {
    NAME_RE.lastIndex = i;
    const m = NAME_RE.exec(text);
    if (!m) throw new XmlSyntaxError("expected a name", i);
    i += m[0].length;
    return m[0];
  };
  const skipSpace = (): void => {
    while (i < n && /\s/.test(text[i]!)) i++;
  };
  const resolve = (qname: string, scope: Map<string, string>, isAttr: boolean): { ns: string; local: string } => {
    const c = qname.indexOf(":");
    if (c < 0) return { ns: isAttr ? "" : (scope.get("") ?? ""), local: qname };
    const prefix = qname.slice(0, c);
    const ns = prefix === "xml" ? XML_NS : scope.get(prefix);
    if (ns === undefined) throw new XmlSyntaxError(`undeclared namespace prefix ${prefix}`, i);
    return { ns, local: qname.slice(c + 1) };
  };

  while (i < n) {
    const lt = text.indexOf("<", i);
    const chunkEnd = lt < 0 ? n : lt;
    if (chunkEnd > i) {
      const chunk = text.slice(i, chunkEnd);
      const top = stack[stack.length - 1];
      if (top) top.el.text += decodeEntities(chunk, i);
      else if (chunk.trim() !== "") throw new XmlSyntaxError("text outside the root element", i);
      i = chunkEnd;
      continue;
    }
    if (text.startsWith("<?", i)) {
      const end = text.indexOf("?>", i);
      if (end < 0) throw new XmlSyntaxError("unterminated processing instruction", i);
      i = end + 2;
      continue;
    }
    if (text.startsWith("<!--", i)) {
      const end = text.indexOf("-->", i + 4);
      if (end < 0) throw new XmlSyntaxError("unterminated comment", i);
      i = end + 3;
      continue;
    }
    if (text.startsWith("<![CDATA[", i)) {
      const end = text.indexOf("]]>", i);
      const top = stack[stack.length - 1];
      if (end < 0 || !top) throw new XmlSyntaxError("misplaced or unterminated CDATA", i);
      top.el.text += text.slice(i + 9, end);
      i = end + 3;
      continue;
    }
    if (text.startsWith("<!", i)) throw new XmlSyntaxError("DTDs and declarations are not accepted", i);
    if (text.startsWith("</", i)) {
      i += 2;
      const qname = readName();
      skipSpace();
      if (text[i] !== ">") throw new XmlSyntaxError("expected '>'", i);
      i++;
      const open = stack.pop();
      if (!open || open.qname !== qname) throw new XmlSyntaxError(`unexpected closing tag </${qname}>`, i);
      continue;
    }
    // start tag
    i++;
    const qname = readName();
    const rawAttrs: Array<[string, string]> = [];
    let selfClosing = false;
    for (;;) {
      const before = i;
      skipSpace();
      if (text.startsWith("/>", i)) {
        selfClosing = true;
        i += 2;
        break;
      }
      if (text[i] === ">") {
        i++;
        break;
      }
      if (i === before) throw new XmlSyntaxError("expected whitespace before an attribute", i);
      const name = readName();
      skipSpace();
      if (text[i] !== "=") throw new XmlSyntaxError("expected '='", i);
      i++;
      skipSpace();
      const q = text[i];
      if (q !== '"' && q !== "'") throw new XmlSyntaxError("expected a quoted attribute value", i);
      const end = text.indexOf(q, i + 1);
      if (end < 0) throw new XmlSyntaxError("unterminated attribute value", i);
      const raw = text.slice(i + 1, end);
      if (raw.includes("<")) throw new XmlSyntaxError("'<' in an attribute value", i);
      if (rawAttrs.some(([k]) => k === name)) throw new XmlSyntaxError(`duplicate attribute ${name}`, i);
      rawAttrs.push([name, decodeEntities(raw, i)]);
      i = end + 1;
    }
    const parentScope = stack[stack.length - 1]?.scope ?? new Map<string, string>();
    let scope = parentScope;
    for (const [k, v] of rawAttrs) {
      if (k === "xmlns" || k.startsWith("xmlns:")) {
        if (scope === parentScope) scope = new Map(parentScope);
        scope.set(k === "xmlns" ? "" : k.slice(6), v);
      }
    }
    const { ns, local } = resolve(qname, scope, false);
    const attrs: Record<string, string> = {};
    for (const [k, v] of rawAttrs) {
      if (k === "xmlns" || k.startsWith("xmlns:")) continue;
      attrs[resolve(k, scope, true).local] = v;
    }
    const el: XmlElement = { ns, local, attrs, children: [], text: "" };
    const parent = stack[stack.length - 1];
    if (parent) parent.el.children.push(el);
    else if (root) throw new XmlSyntaxError("a second root element", i);
    else root = el;
    if (!selfClosing) stack.push({ qname, rawAttrs, scope, el });
  }
  if (stack.length > 0) throw new XmlSyntaxError(`unclosed element <${stack[stack.length - 1]!.qname}>`, n);
  if (!root) throw new XmlSyntaxError("no root element", 0);
  return root;
}

/** The first child (depth-first, document order) matching namespace and local name. */
export function find(el: XmlElement, ns: string, local: string): XmlElement | undefined {
  for (const c of el.children) {
    if (c.ns === ns && c.local === local) return c;
    const deep = find(c, ns, local);
    if (deep) return deep;
  }
  return undefined;
}

/** Every descendant matching namespace and local name, in document order. */
export function findAll(el: XmlElement, ns: string, local: string, out: XmlElement[] = []): XmlElement[] {
  for (const c of el.children) {
    if (c.ns === ns && c.local === local) out.push(c);
    findAll(c, ns, local, out);
  }
  return out;
}

/** Escapes text for element content or a double-quoted attribute value. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]!);
}
