import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../config/config.js';
import { projectPaths } from '../../project-paths.js';
import { classifySmtpError } from './channels.js';
import { ReminderTemplates, TemplateError, type CertificateView, type MailView } from './templates.js';

/** The mail templates (files, Mustache subset, operator overrides), SMTP failure classes and the reminder settings. */

const certificate = (serial: string, applicationId = ''): CertificateView => ({
  subject: `CN=x${serial}`,
  holder: `HOLDER ${serial}`,
  identifierType: 'CBE',
  identifierValue: '0820563481',
  applicationId,
  serial,
  notAfter: '1 mars 2027 à 10:00',
  daysLeft: 30,
  renewalFrom: '1 décembre 2026',
  renewalOpen: true,
  windowDays: 30,
});

const view = (certificates: CertificateView[]): MailView => ({
  certificates,
  count: certificates.length,
  several: certificates.length > 1,
  earliestExpiry: '1 mars 2027',
  environment: 'acceptance',
  acceptance: true,
});

let directory: string;
beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'templates-'));
});
afterEach(() => rmSync(directory, { recursive: true, force: true }));

async function withOverride(language: string, text: string): Promise<ReminderTemplates> {
  writeFileSync(join(directory, `expiry.${language}.txt`), text);
  return ReminderTemplates.load({ builtinDirectory: projectPaths.reminderTemplates(), overrideDirectory: directory });
}

describe('reminder templates', () => {
  it('the shipped templates render in each language, with the ETK notice, one line per certificate value', async () => {
    const templates = await ReminderTemplates.load({ builtinDirectory: projectPaths.reminderTemplates() });
    const one = templates.render('en', () => view([certificate('0a1b')]));
    expect(one.subject).toBe('[acceptance] Your eHealth certificate expires on 1 mars 2027');
    expect(one.text).toContain(
      '  * HOLDER 0a1b (CBE 0820563481)\n    valid until 1 mars 2027 à 10:00: 30 day(s) left\n    serial number 0a1b\n    can be renewed now\n',
    );
    expect(one.text).toContain('new ETK');
    expect(one.text).not.toMatch(/\{\{|\}\}/);
    expect(one.text).not.toMatch(/\n\n\n/);
    const two = templates.render('fr', () => view([certificate('01', 'APP'), certificate('02')]));
    expect(two.subject).toBe('[acceptation] 2 certificats eHealth expirent, le premier le 1 mars 2027');
    expect(two.text).toContain('(CBE 0820563481, application APP)');
    expect(two.text).toContain('nouvel ETK');
    const all = templates.render('all', () => view([certificate('01')]));
    expect(all.subject.split(' / ').map((s) => s.slice(0, 14))).toEqual(['[acceptation] ', '[acceptatie] U', '[acceptance] Y']);
    expect(all.text.indexOf('Bonjour')).toBeLessThan(all.text.indexOf('Goedendag'));
    expect(all.text.indexOf('Goedendag')).toBeLessThan(all.text.indexOf('Hello'));
  });

  it('sections, inverted sections, comments and standalone tag lines; the operator copy wins for its language only', async () => {
    const templates = await withOverride(
      'nl',
      'Subject: {{count}} x {{^several}}één{{/several}}{{#several}}meer{{/several}}\n\n{{! a comment line }}\nTop\n  {{#certificates}}\n- {{serial}}{{#applicationId}} [{{applicationId}}]{{/applicationId}}\n  {{/certificates}}\nEnd {{environment}}\n',
    );
    expect(templates.files().nl).toBe(join(directory, 'expiry.nl.txt'));
    expect(templates.files().fr).toBe(join(projectPaths.reminderTemplates(), 'expiry.fr.txt'));
    const rendered = templates.render('nl', () => view([certificate('01', 'A'), certificate('02')]));
    expect(rendered).toEqual({ subject: '2 x meer', text: 'Top\n- 01 [A]\n- 02\nEnd acceptance\n' });
    expect(templates.render('nl', () => view([certificate('03')])).subject).toBe('1 x één');
  });

  it('a subject never spans lines, whatever the values hold', async () => {
    const templates = await withOverride('en', 'Subject: {{earliestExpiry}}\n\nbody\n');
    expect(templates.render('en', () => ({ ...view([certificate('1')]), earliestExpiry: 'a\r\nBcc: x@y.z' })).subject).toBe('a Bcc: x@y.z');
  });

  it.each([
    ['no subject line', 'Hello\n', 'the first line must be "Subject: …", followed by an empty line'],
    ['an unknown value', 'Subject: x\n\nline\n{{nope}}\n', 'line 4: {{nope}} is not a value of the mail (certificate values are inside {{#certificates}})'],
    [
      'a certificate value outside the list',
      'Subject: x\n\n{{serial}}\n',
      'line 3: {{serial}} is not a value of the mail (certificate values are inside {{#certificates}})',
    ],
    ['an unclosed section', 'Subject: x\n\n{{#certificates}}\n{{serial}}\n', '{{#certificates}} is never closed'],
    ['a stray closing tag', 'Subject: x\n\n{{/several}}\n', 'line 3: {{/several}} closes nothing'],
    ['the list in the subject', 'Subject: {{#certificates}}{{serial}}{{/certificates}}\n\nx\n', 'the subject cannot list the certificates'],
  ])('refuses %s, naming the file and the line', async (_what, text, message) => {
    const error = await withOverride('fr', text).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TemplateError);
    expect((error as Error).message).toBe(`reminder template ${join(directory, 'expiry.fr.txt')}${message.startsWith('line') ? ', ' : ': '}${message}`);
  });
});

describe('SMTP failures', () => {
  it('tells the connection, a refusal for now and a refusal for good apart', () => {
    expect(classifySmtpError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:25'), { code: 'ESOCKET' })).kind).toBe('connection');
    expect(classifySmtpError(Object.assign(new Error('Invalid login'), { code: 'EAUTH', responseCode: 535 })).kind).toBe('connection');
    expect(classifySmtpError(Object.assign(new Error('Greeting never received'), { code: 'ETIMEDOUT' })).kind).toBe('connection');
    expect(classifySmtpError(Object.assign(new Error('mailbox full'), { code: 'EENVELOPE', responseCode: 452 })).kind).toBe('temporary');
    expect(classifySmtpError(Object.assign(new Error('no such user'), { code: 'EENVELOPE', responseCode: 550 }))).toMatchObject({
      kind: 'permanent',
      message: 'EENVELOPE 550: no such user',
    });
    expect(classifySmtpError(Object.assign(new Error('spam'), { code: 'EMESSAGE', responseCode: 554 })).kind).toBe('permanent');
  });
});

describe('reminder settings', () => {
  const load = (env: Record<string, string>) => loadConfig({ DATA_DIR: '/tmp/x', ...env }).reminders;

  it('defaults: no channel, T-90/30/7/1, every 5 minutes, three languages when unknown', () => {
    expect(load({})).toEqual({
      smtpUrl: undefined,
      from: 'eHealth certificate platform <noreply@localhost>',
      templateDir: undefined,
      webhookUrl: undefined,
      webhookSecret: undefined,
      nagDays: [90, 30, 7, 1],
      intervalSeconds: 300,
      batchLimit: 1000,
      parallelSends: 2,
      defaultLanguage: 'all',
      retryBaseSeconds: 60,
      retryMaxSeconds: 3600,
    });
    expect(load({ REMINDER_NAG_DAYS: '7, 60,1', REMINDER_INTERVAL_SECONDS: '0' })).toMatchObject({ nagDays: [60, 7, 1], intervalSeconds: 0 });
  });

  it.each([
    [{ SMTP_URL: 'http://mail:25' }, 'SMTP_URL must be smtp://'],
    [{ SMTP_URL: 'smtp://user:pw@mail.example.be:587', ENVIRONMENT: 'production', CA_CONFIG_FILE: '/x' }, 'REMINDER_FROM is required in production'],
    [{ REMINDER_FROM: 'not an address' }, 'REMINDER_FROM must be an address'],
    [{ REMINDER_WEBHOOK_URL: 'https://hooks.example.be/r' }, 'needs REMINDER_WEBHOOK_SECRET'],
    [{ REMINDER_WEBHOOK_URL: 'https://hooks.example.be/r', REMINDER_WEBHOOK_SECRET: 'short' }, 'at least 16 characters'],
    [{ REMINDER_WEBHOOK_SECRET: 'a-long-enough-secret' }, 'without REMINDER_WEBHOOK_URL'],
    [{ REMINDER_NAG_DAYS: '90,90' }, 'REMINDER_NAG_DAYS must be distinct'],
    [{ REMINDER_NAG_DAYS: '0' }, 'REMINDER_NAG_DAYS must be distinct'],
    [{ REMINDER_DEFAULT_LANGUAGE: 'de' }, 'REMINDER_DEFAULT_LANGUAGE must be one of'],
    [{ REMINDER_RETRY_BASE_SECONDS: '600', REMINDER_RETRY_MAX_SECONDS: '60' }, 'REMINDER_RETRY_MAX_SECONDS must not be less'],
  ])('refuses %j', (env, message) => {
    expect(() => load(env as Record<string, string>)).toThrow(ConfigError);
    expect(() => load(env as Record<string, string>)).toThrow(message);
  });

  it('never repeats the SMTP password in its message', () => {
    expect(() => load({ SMTP_URL: 'ftp://user:Secret-Pw@mail' })).toThrow(/^(?!.*Secret-Pw)/);
  });
});
