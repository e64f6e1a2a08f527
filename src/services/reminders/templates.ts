import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MessageLanguage, ReminderLanguage } from '../../storage/expiry-reminders.js';

/**
 * The reminder mails' texts: one plain-text file per language (`expiry.fr.txt`, `expiry.nl.txt`, `expiry.en.txt`), whose
 * first line is `Subject: …`, then an empty line, then the body. The project ships them in templates/reminders/; an
 * operator copies one into REMINDER_TEMPLATE_DIR and edits it there, and that copy wins (a language missing there
 * keeps the shipped text). Files are read again on every run, so an edit applies without a restart; a file that does
 * not parse, or that names a value the reminders do not have, stops the sending of mails (the outbox keeps them) and
 * is reported with its path.
 *
 * The syntax is a subset of Mustache: `{{name}}` inserts a value, `{{#name}}…{{/name}}` repeats for each item of a list
 * or shows its content when the value is true or non-empty, `{{^name}}…{{/name}}` when it is false or empty, and
 * `{{! … }}` is a comment. A line holding only a section tag disappears entirely. Nothing is escaped: the mail is
 * plain text.
 */

export const TEMPLATE_LANGUAGES: readonly ReminderLanguage[] = ['fr', 'nl', 'en'];

export const templateFileName = (language: ReminderLanguage) => `expiry.${language}.txt`;

/** The values of one certificate in a mail (inside `{{#certificates}}`). */
export interface CertificateView {
  /** The subject DN as in the certificate. */
  readonly subject: string;
  /** The name in the DN (person "FIRST LAST" or organisation). */
  readonly holder: string;
  readonly identifierType: string;
  readonly identifierValue: string;
  /** Empty when the certificate has none. */
  readonly applicationId: string;
  /** Serial number, hexadecimal. */
  readonly serial: string;
  /** End of validity, date and time in Brussels, in the mail's language. */
  readonly notAfter: string;
  readonly daysLeft: number;
  /** First day of the renewal period. */
  readonly renewalFrom: string;
  /** The renewal period has begun. */
  readonly renewalOpen: boolean;
  /** The reminder's window in days before the end (90, 30, 7, 1 by default). */
  readonly windowDays: number;
}

/** The values of a mail. */
export interface MailView {
  readonly certificates: readonly CertificateView[];
  readonly count: number;
  /** More than one certificate. */
  readonly several: boolean;
  /** The soonest end among the certificates. */
  readonly earliestExpiry: string;
  /** The platform's environment, in the mail's language. */
  readonly environment: string;
  /** The platform is the acceptance environment (test certificates). */
  readonly acceptance: boolean;
}

const CERTIFICATE_NAMES: ReadonlySet<string> = new Set([
  'subject',
  'holder',
  'identifierType',
  'identifierValue',
  'applicationId',
  'serial',
  'notAfter',
  'daysLeft',
  'renewalFrom',
  'renewalOpen',
  'windowDays',
]);
const MAIL_NAMES: ReadonlySet<string> = new Set(['certificates', 'count', 'several', 'earliestExpiry', 'environment', 'acceptance']);

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

type Node =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'value'; readonly name: string }
  | { readonly kind: 'section'; readonly name: string; readonly inverted: boolean; readonly children: readonly Node[] };

interface CompiledTemplate {
  readonly file: string;
  readonly subject: readonly Node[];
  readonly body: readonly Node[];
}

export interface TemplateSource {
  /** The shipped templates (templates/reminders). */
  readonly builtinDirectory: string;
  /** REMINDER_TEMPLATE_DIR: the operator's copies, which win. */
  readonly overrideDirectory?: string | undefined;
}

/** The three languages' templates, parsed and checked. */
export class ReminderTemplates {
  private constructor(private readonly templates: ReadonlyMap<ReminderLanguage, CompiledTemplate>) {}

  /** Reads and checks every language's file (the operator's copy when there is one). Throws TemplateError naming the file. */
  static async load(source: TemplateSource): Promise<ReminderTemplates> {
    const templates = new Map<ReminderLanguage, CompiledTemplate>();
    for (const language of TEMPLATE_LANGUAGES) {
      const name = templateFileName(language);
      const override = source.overrideDirectory ? join(source.overrideDirectory, name) : undefined;
      const file = override && existsSync(override) ? override : join(source.builtinDirectory, name);
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        throw new TemplateError(`reminder template ${file} cannot be read: ${(error as Error).message}`);
      }
      templates.set(language, compile(file, text));
    }
    return new ReminderTemplates(templates);
  }

  /** Which file each language comes from. */
  files(): Record<ReminderLanguage, string> {
    return Object.fromEntries(TEMPLATE_LANGUAGES.map((l) => [l, this.templates.get(l)!.file])) as Record<ReminderLanguage, string>;
  }

  /**
   * The subject and text of a mail. `all` (the contact's language is unknown) puts the three languages in one mail:
   * subjects joined by " / ", bodies one after the other.
   */
  render(language: MessageLanguage, view: (language: ReminderLanguage) => MailView): { subject: string; text: string } {
    const languages = language === 'all' ? TEMPLATE_LANGUAGES : [language];
    const parts = languages.map((l) => {
      const template = this.templates.get(l)!;
      const values = view(l) as unknown as Scope;
      return { subject: renderNodes(template.subject, [values]), text: renderNodes(template.body, [values]) };
    });
    // A subject is one header line: no line breaks, whatever the values hold.
    const subject = parts
      .map((p) => p.subject.replace(/[\r\n]+/g, ' ').trim())
      .join(' / ')
      .slice(0, 400);
    const text = parts.map((p) => p.text.replace(/\s+$/u, '')).join(`\n\n${'-'.repeat(60)}\n\n`);
    return { subject, text: `${text}\n` };
  }
}

function compile(file: string, raw: string): CompiledTemplate {
  const text = raw.replace(/^\uFEFF/, '').replace(/\r\n/g, '\n');
  const match = /^Subject:[ \t]*(.*)\n\n/.exec(text);
  if (!match) throw new TemplateError(`reminder template ${file}: the first line must be "Subject: …", followed by an empty line`);
  const subject = parse(file, match[1]!, 1);
  if (subject.some((node) => node.kind === 'section' && node.name === 'certificates' && !node.inverted)) {
    throw new TemplateError(`reminder template ${file}: the subject cannot list the certificates`);
  }
  return { file, subject, body: parse(file, text.slice(match[0].length), 3) };
}

const TAG = /\{\{\s*([#^/!]?)\s*([^}]*?)\s*\}\}/g;

/**
 * The template's tree. A section or comment tag alone on its line (blanks around it) takes the whole line with it, so
 * that `{{#certificates}}` on a line of its own leaves no empty line. Errors name the file's line (`firstLine` is the
 * line `text` starts on).
 */
function parse(file: string, text: string, firstLine: number): Node[] {
  const root: Node[] = [];
  const stack: Array<{ name: string; inverted: boolean; children: Node[]; inItem: boolean }> = [];
  let current = root;
  let inItem = false;
  let last = 0;
  const where = (index: number) => `reminder template ${file}, line ${firstLine + text.slice(0, index).split('\n').length - 1}`;
  for (const match of text.matchAll(TAG)) {
    const index = match.index;
    const [, sigil, name] = match as unknown as [string, string, string];
    let before = text.slice(last, index);
    let end = index + match[0].length;
    if (sigil !== '') {
      const lineStart = text.lastIndexOf('\n', index - 1) + 1;
      const lineEnd = text.indexOf('\n', end);
      const after = text.slice(end, lineEnd === -1 ? text.length : lineEnd);
      if (lineStart >= last && /^[ \t]*$/.test(text.slice(lineStart, index)) && /^[ \t]*$/.test(after)) {
        before = text.slice(last, lineStart);
        end = lineEnd === -1 ? text.length : lineEnd + 1;
      }
    }
    if (before !== '') current.push({ kind: 'text', text: before });
    last = end;
    if (sigil === '!') continue;
    if (!/^[A-Za-z][A-Za-z0-9]*$/.test(name)) throw new TemplateError(`${where(index)}: "${match[0]}" is not a tag`);
    const known = MAIL_NAMES.has(name) || (inItem && CERTIFICATE_NAMES.has(name));
    if (sigil !== '/' && !known) {
      const scope = inItem ? 'a certificate or the mail' : 'the mail (certificate values are inside {{#certificates}})';
      throw new TemplateError(`${where(index)}: {{${name}}} is not a value of ${scope}`);
    }
    if (sigil === '#' || sigil === '^') {
      const section = { name, inverted: sigil === '^', children: [] as Node[], inItem };
      stack.push(section);
      current = section.children;
      if (name === 'certificates' && sigil === '#') inItem = true;
      continue;
    }
    if (sigil === '/') {
      const open = stack.pop();
      if (!open || open.name !== name) throw new TemplateError(`${where(index)}: {{/${name}}} closes nothing`);
      inItem = open.inItem;
      const parent = stack.length > 0 ? stack[stack.length - 1]!.children : root;
      parent.push({ kind: 'section', name: open.name, inverted: open.inverted, children: open.children });
      current = parent;
      continue;
    }
    current.push({ kind: 'value', name });
  }
  if (stack.length > 0) throw new TemplateError(`reminder template ${file}: {{#${stack[stack.length - 1]!.name}}} is never closed`);
  if (last < text.length) current.push({ kind: 'text', text: text.slice(last) });
  return root;
}

type Scope = Readonly<Record<string, unknown>>;

function lookup(scopes: readonly Scope[], name: string): unknown {
  for (let i = scopes.length - 1; i >= 0; i--) if (Object.hasOwn(scopes[i]!, name)) return scopes[i]![name];
  return undefined;
}

function renderNodes(nodes: readonly Node[], scopes: readonly Scope[]): string {
  let out = '';
  for (const node of nodes) {
    if (node.kind === 'text') out += node.text;
    else if (node.kind === 'value') {
      const value = lookup(scopes, node.name);
      out += value === undefined || value === null || typeof value === 'object' ? '' : String(value);
    } else {
      const value = lookup(scopes, node.name);
      const truthy = Array.isArray(value) ? value.length > 0 : Boolean(value);
      if (node.inverted) {
        if (!truthy) out += renderNodes(node.children, scopes);
      } else if (Array.isArray(value)) {
        for (const item of value as Scope[]) out += renderNodes(node.children, [...scopes, item]);
      } else if (truthy) out += renderNodes(node.children, scopes);
    }
  }
  return out;
}
