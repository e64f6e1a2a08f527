import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createServices, type PlatformServices } from '../../src/composition.js';
import { loadConfig } from '../../src/config/config.js';
import type { ContactData } from '../../src/domain/certra.js';
import { addMonths, FixedClock } from '../../src/domain/clock.js';
import { projectRoot } from '../../src/project-paths.js';
import { registerTestCase } from '../../src/services/certra/index.js';
import { certificateRegistry, type IssuedCertificateRow } from '../../src/storage/certificate-registry.js';
import { type CliResult, runAdminCli } from '../support/admin-cli.js';
import { testSsin } from '../support/etk-client.js';
import { freePort } from '../support/issued-certificates.js';
import { actorOf, mintCitizen, requestCertificate, type TestServices } from '../support/services.js';
import { TestSmtpServer } from '../support/smtp-server.js';

/**
 * The reminders as an operator drives them (`npm run admin -- reminders:…`) and as `npm run worker` runs them: child
 * processes on the embedded database in a throwaway DATA_DIR (PGlite, also when the suites run on PostgreSQL), a real
 * SMTP server on a loopback port. The certificates are issued beforehand in this process through CertRA, on the same
 * DATA_DIR, and the outbox is filled at a later (fixed) time while the SMTP server is unreachable.
 */

const OPERATOR = 'officer.cli';
const DAY = 86_400_000;

let root: string;
let dataDir: string;
let smtp: TestSmtpServer;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'reminders-cli-'));
  dataDir = join(root, 'data');
  smtp = await TestSmtpServer.start();
});
afterAll(async () => {
  await smtp?.down();
  rmSync(root, { recursive: true, force: true });
});

const admin = (args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> => runAdminCli(dataDir, args, OPERATOR, env);

function expectSucceeded(result: CliResult): void {
  if (result.code !== 0) throw new Error(`exit ${result.code}: ${result.stderr}`);
  for (const line of result.stderr.split('\n').filter((l) => l.trim() !== '')) expect((JSON.parse(line) as { level: number }).level).toBeLessThan(50);
}

function json<T>(result: CliResult): T {
  expectSucceeded(result);
  return JSON.parse(result.stdout) as T;
}

/** The services on DATA_DIR's embedded database, in this process, at a time of the test's choosing. */
async function withServices<T>(at: Date, env: Record<string, string>, fn: (services: PlatformServices, clock: FixedClock) => Promise<T>): Promise<T> {
  const clock = new FixedClock(at);
  const services = await createServices(loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...env }), pino({ level: 'silent' }), { clock });
  try {
    return await fn(services, clock);
  } finally {
    await services.close();
  }
}

async function issue(
  services: PlatformServices,
  clock: FixedClock,
  n: number,
  given: string,
  surname: string,
  contactData: ContactData,
): Promise<IssuedCertificateRow> {
  const t = { services, clock } as unknown as TestServices;
  const person = await mintCitizen(t, testSsin(n), given, surname);
  await registerTestCase(services.certRa, { identifier: { type: 'SSIN', value: person.ssin }, responsibleSsin: person.ssin, description: 'cli' }, OPERATOR);
  const { outcome } = await requestCertificate(services.certRa, person, actorOf(person), { contactData });
  const [row] = await certificateRegistry.findBySubjectKeyId(services.db, outcome.publicKeyIdentifier);
  return row!;
}

describe('reminders in the admin CLI and the worker', () => {
  it('lists what expires, previews a run, retries the outbox after an SMTP outage; the worker loop delivers and stops on SIGTERM', async () => {
    const now = new Date(Math.floor(Date.now() / 1000) * 1000);
    const [jan, ria] = await withServices(now, {}, async (services, clock) => [
      await issue(services, clock, 701, 'Jan', 'Cli', { emailPrivate: 'jan.cli@example.be', phonePrivate: '+32 2 000 00 01' }),
      await issue(services, clock, 702, 'Ria', 'Cli', { emailPrivate: 'ria.cli@example.be', phonePrivate: '+32 2 000 00 02' }),
    ]);
    const windowOpens = new Date(Math.max(jan!.notAfter.getTime() - 90 * DAY, addMonths(jan!.notAfter, -3).getTime()));

    // Expiring within N days.
    const expiring = json<Array<Record<string, unknown>>>(await admin(['reminders:expiring', '--days', '400', '--json']));
    expect(expiring.map((c) => c.serial)).toEqual([jan!.serialHex, ria!.serialHex]);
    expect(Object.keys(expiring[0]!)).toEqual([
      'serial',
      'issuerKeyId',
      'publicKeyIdentifier',
      'subjectDn',
      'holderType',
      'identifierType',
      'identifierValue',
      'applicationId',
      'notBefore',
      'notAfter',
      'daysLeft',
      'renewalPeriodStart',
      'contactEmail',
      'contactEmailGeneral',
      'renewed',
      'reminders',
      'pendingMessages',
    ]);
    expect(expiring[0]).toMatchObject({
      holderType: 'NaturalPerson',
      identifierType: 'SSIN',
      notAfter: jan!.notAfter.toISOString(),
      renewalPeriodStart: addMonths(jan!.notAfter, -3).toISOString(),
      contactEmail: 'jan.cli@example.be',
      renewed: false,
      reminders: [],
      pendingMessages: 0,
    });
    expect([365, 366, 367]).toContain(expiring[0]!.daysLeft);
    const none = await admin(['reminders:expiring', '--days', '30']);
    expectSucceeded(none);
    expect(none.stdout.trim()).toBe('0 certificate(s)');

    // Languages, audited.
    const language = await admin(['reminders:language', '--email', 'Jan.Cli@example.be', '--language', 'nl']);
    expectSucceeded(language);
    expect(language.stdout.trim()).toBe('jan.cli@example.be: nl');
    expect(json<unknown[]>(await admin(['reminders:languages', '--json']))).toEqual([
      { email: 'jan.cli@example.be', language: 'nl', updatedAt: expect.any(String), updatedBy: OPERATOR },
    ]);
    expect((await admin(['reminders:language', '--email', 'jan.cli@example.be', '--language', 'de'])).code).toBe(2);

    // A preview of the run when the window opens: who would get what; nothing is written.
    const preview = json<Array<Record<string, unknown>>>(await admin(['reminders:run', '--dry-run', '--at', windowOpens.toISOString(), '--json']));
    expect(preview).toEqual([
      expect.objectContaining({
        serial: jan!.serialHex,
        windowDays: 90,
        dueAt: windowOpens.toISOString(),
        renewed: false,
        recipients: [{ email: 'jan.cli@example.be', role: 'contact', language: 'nl' }],
      }),
      expect.objectContaining({ serial: ria!.serialHex, recipients: [{ email: 'ria.cli@example.be', role: 'contact', language: 'all' }] }),
    ]);
    expect(json<unknown[]>(await admin(['reminders:outbox', '--all', '--json']))).toEqual([]);

    // Usage and configuration errors.
    const noChannel = await admin(['reminders:run']);
    expect(noChannel.code).toBe(1);
    expect(noChannel.stderr).toContain('no reminder channel is configured: set SMTP_URL and/or REMINDER_WEBHOOK_URL');
    expect((await admin(['reminders:run', '--at', '2030-01-01'])).code).toBe(2);
    expect((await admin(['reminders:retry'])).code).toBe(2);

    // When the window opens the SMTP server is unreachable: the reminders wait in the outbox.
    const closedPort = await freePort();
    await withServices(windowOpens, { SMTP_URL: `smtp://127.0.0.1:${closedPort}` }, async (services) => {
      expect((await services.reminders.runOnce()).delivery).toMatchObject({ sent: 0, retried: 2 });
    });
    const waiting = json<Array<Record<string, unknown>>>(await admin(['reminders:outbox', '--json']));
    expect(waiting).toHaveLength(2);
    for (const message of waiting) {
      expect(message).toMatchObject({ channel: 'email', status: 'pending', attempts: 1, lastError: expect.stringContaining('ECONNREFUSED') });
    }
    // Their next attempt is after the (fixed, later) time of that run: a run now sends nothing yet.
    const early = json<{ delivery: { sent: number } }>(await admin(['reminders:run', '--json'], { SMTP_URL: smtp.url }));
    expect(early.delivery.sent).toBe(0);
    // The operator repaired the server: make them due now.
    const retried = await admin(['reminders:retry', '--all']);
    expectSucceeded(retried);
    expect(retried.stdout.trim()).toMatch(/^2 message\(s\) due now: #\d+, #\d+$/);

    // The worker loop (what `npm run worker` runs) sends them, then stops cleanly on SIGTERM.
    const worker = spawn(process.execPath, ['--import', 'tsx', 'src/cli/admin.ts', 'reminders:run', '--loop', '--interval', '1', '--json'], {
      cwd: projectRoot(),
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
        SMTP_URL: smtp.url,
        REMINDER_FROM: 'PKI <pki@ehealth.test>',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    worker.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    worker.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => worker.once('exit', (code) => resolve(code)));
    try {
      const mails = await smtp.waitFor(2, 60_000);
      const byRecipient = new Map(mails.map((m) => [m.rcptTos[0], m]));
      expect([...byRecipient.keys()].sort()).toEqual(['jan.cli@example.be', 'ria.cli@example.be']);
      expect(byRecipient.get('jan.cli@example.be')!.subject).toMatch(/^\[acceptatie\] Uw eHealth-certificaat vervalt op /);
      expect(byRecipient.get('ria.cli@example.be')!.subject.split(' / ')).toHaveLength(3);
      expect(byRecipient.get('ria.cli@example.be')!.from).toBe('PKI <pki@ehealth.test>');
      // Let it run again, then stop it.
      const runs = () => stdout.split('\n').filter((l) => l.trim() !== '').length;
      const deadline = Date.now() + 20_000;
      while (runs() < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      worker.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    const summaries = stdout
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as { delivery: { sent: number } });
    expect(summaries.reduce((n, s) => n + s.delivery.sent, 0)).toBe(2);
    for (const line of stderr.split('\n').filter((l) => l.trim() !== '')) expect((JSON.parse(line) as { level: number }).level).toBeLessThan(50);
    expect(await smtp.take()).toEqual([]);

    const sent = json<Array<Record<string, unknown>>>(await admin(['reminders:outbox', '--status', 'sent', '--json']));
    expect(sent.map((m) => [m.recipient, m.attempts])).toEqual(
      expect.arrayContaining([
        ['jan.cli@example.be', 2],
        ['ria.cli@example.be', 2],
      ]),
    );
    const audit = json<Array<{ action: string; actor: string }>>(await admin(['audit:list', '--action', 'reminders.*', '--json']));
    expect(audit.map((r) => [r.action, r.actor])).toEqual([
      ['reminders.contact-language.changed', OPERATOR],
      ['reminders.outbox.retried', OPERATOR],
    ]);
  }, 240_000);
});
