/**
 * The one XML escaper and a tiny element builder: every response is built from these, never by concatenating
 * unescaped values. Escapes and end tags are those of canonical XML (C14N §2.3: `&#xD;`, never `<a/>`), so that an
 * element whose namespace declarations sit where they are first used, and whose attributes are in c14n order, is its
 * own exclusive canonical form (GetEtk responses are signed without re-parsing them).
 */
const TEXT_ESCAPED = /[&<>\r]/;
const ATTRIBUTE_ESCAPED = /[&<"\t\n\r]/;

// Most values need no escape: one scan decides, instead of a replace pass per character.
export function escapeText(value: string): string {
  if (!TEXT_ESCAPED.test(value)) return value;
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#xD;');
}

export function escapeAttribute(value: string): string {
  if (!ATTRIBUTE_ESCAPED.test(value)) return value;
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;').replace(/\t/g, '&#x9;').replace(/\n/g, '&#xA;').replace(/\r/g, '&#xD;');
}

/** Markup that is already well-formed and escaped (built by this module). */
export class Xml {
  constructor(readonly markup: string) {}
  toString(): string {
    return this.markup;
  }
}

export type Child = Xml | string | number | boolean | null | undefined | false | readonly Child[];
export type Attributes = Record<string, string | number | boolean | null | undefined>;

/** el('p:Name', { attr: 'v' }, children...) → escaped markup. Strings are text; Xml is inserted as is. */
export function el(name: string, attributes: Attributes | null, ...children: Child[]): Xml {
  let markup = `<${name}`;
  if (attributes) {
    for (const [key, value] of Object.entries(attributes)) {
      if (value === undefined || value === null) continue;
      markup += ` ${key}="${escapeAttribute(String(value))}"`;
    }
  }
  markup += `>${renderChildren(children)}</${name}>`;
  return new Xml(markup);
}

/** Element whose children are text only; omitted when the value is undefined/null. */
export function textEl(name: string, value: string | number | boolean | null | undefined, attributes?: Attributes): Xml | undefined {
  if (value === undefined || value === null) return undefined;
  return el(name, attributes ?? null, String(value));
}

export function raw(markup: string): Xml {
  return new Xml(markup);
}

function renderChildren(children: readonly Child[]): string {
  let out = '';
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (child instanceof Xml) out += child.markup;
    else if (Array.isArray(child)) out += renderChildren(child);
    else out += escapeText(String(child));
  }
  return out;
}
