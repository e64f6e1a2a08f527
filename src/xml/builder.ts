/**
 * The one XML escaper and a tiny element builder: every response is built from these, never by concatenating
 * unescaped values.
 */
export function escapeText(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
}

export function escapeAttribute(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/"/g, '&quot;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;');
}

/** Markup that is already well-formed and escaped (built by this module). */
export class Xml {
  constructor(readonly markup: string) {}
  toString(): string { return this.markup; }
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
  const inner = renderChildren(children);
  markup += inner === '' ? '/>' : `>${inner}</${name}>`;
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
