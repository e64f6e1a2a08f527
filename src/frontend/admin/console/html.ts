/** A small, escaping HTML builder for the officer console: every interpolated value is text unless marked safe. */

const SAFE = Symbol('safe-html');

export interface SafeHtml {
  readonly [SAFE]: string;
}

export function raw(markup: string): SafeHtml {
  return { [SAFE]: markup };
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

type Interpolated = SafeHtml | string | number | boolean | null | undefined | readonly Interpolated[];

function render(value: Interpolated): string {
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) return value.map(render).join('');
  if (typeof value === 'object' && SAFE in value) return (value as SafeHtml)[SAFE];
  return escapeHtml(String(value));
}

/** Tagged template: html`<p>${text}</p>` escapes `text`; nested html`` fragments and arrays of them stay markup. */
export function html(strings: TemplateStringsArray, ...values: Interpolated[]): SafeHtml {
  let out = strings[0]!;
  values.forEach((value, i) => {
    out += render(value) + strings[i + 1]!;
  });
  return raw(out);
}

export function markupOf(fragment: SafeHtml): string {
  return fragment[SAFE];
}
