import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { PlatformServices } from '../../composition.js';
import type { ContactData } from '../../domain/certra.js';
import { addMonths } from '../../domain/clock.js';
import { certificateRegistry, type IssuedCertificateRow } from '../../storage/certificate-registry.js';
import { openPostgres } from '../../storage/database.js';
import { expiryReminderStore } from '../../storage/expiry-reminders.js';
import type { Person } from '../../../test/support/certra-client.js';
import { testCbe, testSsin } from '../../../test/support/etk-client.js';
import { freePort } from '../../../test/support/issued-certificates.js';
import { actorOf, mintCitizen, openSiblingServices, openTestServices, requestCertificate, type TestServices } from '../../../test/support/services.js';
import { eidSignatureSigner } from '../../../test/support/signers.js';
import { TestSmtpServer, type ReceivedMail } from '../../../test/support/smtp-server.js';
import { startTestPlatform } from '../../../test/support/platform.js';
import {
  generateRevocationContract,
  registerCertificateManager,
  registerLegalRepresentative,
  registerTestCase,
  revokeCertificate,
  withdrawMandate,
  type Actor,
} from '../certra/index.js';
import { TemplateError } from './templates.js';
import { WEBHOOK_HEADERS, webhookSignature } from './channels.js';

/**
 * Expiry reminders on the services as the composition root builds them, with certificates issued through CertRA
 * (contract, eID-signed request, test case), the clock moved to each window, and a real SMTP server on a loopback port
 * (Python's aiosmtpd). On the suite's engine: PGlite, or PostgreSQL with TEST_DATABASE_URL.
 */

const DAY = 86_400_000;
const OFFICER = 'officer.reminders';
const SENDER = 'eHealth certificates <certificates@ehealth.test>';

let smtp: TestSmtpServer;
const opened: TestServices[] = [];
const siblings: PlatformServices[] = [];
let sequence = 0;

beforeAll(async () => {
  smtp = await TestSmtpServer.start();
});
afterAll(async () => {
  await smtp?.down();
});
beforeEach(async () => {
  if (!smtp.running) await smtp.up();
  await smtp.take();
});
afterEach(async () => {
  for (const s of siblings.splice(0)) await s.close();
  for (const t of opened.splice(0)) await t.close();
});

/** The services with e-mail reminders on this file's SMTP server (not scheduled: the tests run them). */
async function openServices(env: Record<string, string> = {}): Promise<TestServices> {
  const t = await openTestServices({ SMTP_URL: smtp.url, REMINDER_FROM: SENDER, REMINDER_INTERVAL_SECONDS: '0', ...env });
  opened.push(t);
  return t;
}

async function sibling(t: TestServices, env: Record<string, string> = {}, options: Parameters<typeof openSiblingServices>[2] = {}): Promise<PlatformServices> {
  const services = await openSiblingServices(t, { SMTP_URL: smtp.url, REMINDER_FROM: SENDER, REMINDER_INTERVAL_SECONDS: '0', ...env }, options);
  siblings.push(services);
  return services;
}

const contact = (local: string, general?: string): ContactData => ({
  emailPrivate: `${local}@example.be`,
  phonePrivate: '+32 2 555 01 01',
  ...(general ? { emailGeneral: `${general}@example.be` } : {}),
});

async function citizen(t: TestServices, givenName: string, surname: string): Promise<Person> {
  return mintCitizen(t, testSsin(++sequence), givenName, surname);
}

/** A person's own certificate, issued at once (an acceptance test case backs the request). */
async function personCertificate(t: TestServices, person: Person, contactData: ContactData): Promise<IssuedCertificateRow> {
  const deps = t.services.certRa;
  await registerTestCase(deps, { identifier: { type: 'SSIN', value: person.ssin }, responsibleSsin: person.ssin, description: 'reminders' }, OFFICER).catch(
    () => undefined,
  );
  const { outcome } = await requestCertificate(deps, person, actorOf(person), { contactData });
  expect(outcome.automaticallyValidated).toBe(true);
  return registryRow(t, outcome.publicKeyIdentifier);
}

async function registryRow(t: TestServices, publicKeyIdentifier: string): Promise<IssuedCertificateRow> {
  const rows = await certificateRegistry.findBySubjectKeyId(t.database.db, publicKeyIdentifier);
  expect(rows).toHaveLength(1);
  return rows[0]!;
}

interface Organisation {
  readonly identifier: { type: string; value: string };
  readonly name: string;
  readonly representative: Person;
  readonly actor: Actor;
}

async function organisation(t: TestServices, name: string): Promise<Organisation> {
  const deps = t.services.certRa;
  const representative = await citizen(t, 'Lucas', 'Lambert');
  const identifier = { type: 'CBE', value: testCbe(++sequence) };
  await registerLegalRepresentative(deps, { organisation: identifier, organisationName: name, holderSsin: representative.ssin, evidence: 'statutes' }, OFFICER);
  await registerTestCase(deps, { identifier, responsibleSsin: representative.ssin, description: 'reminders' }, OFFICER);
  return { identifier, name, representative, actor: { ids: [identifier], firstNames: [], name } };
}

async function organisationCertificate(t: TestServices, org: Organisation, contactData: ContactData, applicationId?: string): Promise<IssuedCertificateRow> {
  const { outcome } = await requestCertificate(t.services.certRa, org.representative, org.actor, { contactData, ...(applicationId ? { applicationId } : {}) });
  expect(outcome.automaticallyValidated).toBe(true);
  return registryRow(t, outcome.publicKeyIdentifier);
}

/** When window `days` opens for a certificate: notAfter − days, never before the three-month renewal period. */
const windowOpens = (notAfter: Date, days: number) => new Date(Math.max(notAfter.getTime() - days * DAY, addMonths(notAfter, -3).getTime()));

/** The mails of a run, by recipient (each recipient must appear once). */
function byRecipient(mails: readonly ReceivedMail[]): Map<string, ReceivedMail> {
  const map = new Map<string, ReceivedMail>();
  for (const mail of mails) {
    expect(mail.rcptTos).toHaveLength(1);
    const to = mail.rcptTos[0]!;
    expect(map.has(to)).toBe(false);
    map.set(to, mail);
  }
  return map;
}

const serialsIn = (mail: ReceivedMail) => [...mail.text.matchAll(/(?:serial number|numéro de série|serienummer) ([0-9a-f]+)/g)].map((m) => m[1]!).sort();

async function windowsRecorded(t: TestServices, certificateId: bigint): Promise<Array<{ window_days: number; outcome: string }>> {
  return (
    await t.database.db.query<{ window_days: number; outcome: string }>(
      'SELECT window_days, outcome FROM expiry_reminders WHERE issued_certificate_id = $1 ORDER BY window_days DESC',
      [certificateId],
    )
  ).map((r) => ({ window_days: Number(r.window_days), outcome: r.outcome }));
}

async function metric(services: PlatformServices, name: string): Promise<string> {
  return (await services.metricsRegistry.metrics())
    .split('\n')
    .filter((line) => line.startsWith(name))
    .join('\n');
}

describe('expiry reminders: who gets which mail, at which window', () => {
  it('T-90, T-30, T-7, T-1: the contact addresses and the active certificate managers, one mail per recipient, in their language', async () => {
    const t = await openServices();
    const deps = t.services.certRa;
    const reminders = t.services.reminders;

    const jan = await citizen(t, 'Jan', 'Peeters');
    const janCertificate = await personCertificate(t, jan, contact('jan.peeters'));
    await reminders.setContactLanguage('Jan.Peeters@example.be', 'nl', OFFICER);

    const clinic = await organisation(t, 'Clinique Test');
    const eva = await citizen(t, 'Eva', 'Dubois');
    const tom = await citizen(t, 'Tom', 'Janssens');
    const zoe = await citizen(t, 'Zoe', 'Martin');
    await registerCertificateManager(
      deps,
      {
        organisation: clinic.identifier,
        holderSsin: eva.ssin,
        designatedBySsin: clinic.representative.ssin,
        evidence: 'procuration 1',
        contactEmail: 'eva.dubois@clinic.example.be',
      },
      OFFICER,
    );
    await reminders.setContactLanguage('eva.dubois@clinic.example.be', 'fr', OFFICER);
    // Tom has no address on his mandate: the one of his latest request (his own certificate) is used.
    await registerCertificateManager(
      deps,
      { organisation: clinic.identifier, holderSsin: tom.ssin, designatedBySsin: clinic.representative.ssin, evidence: 'p2' },
      OFFICER,
    );
    const tomCertificate = await personCertificate(t, tom, contact('tom.home'));
    await reminders.setContactLanguage('tom.home@example.be', 'en', OFFICER);
    // A withdrawn manager hears nothing.
    const zoeMandate = await registerCertificateManager(
      deps,
      {
        organisation: clinic.identifier,
        holderSsin: zoe.ssin,
        designatedBySsin: clinic.representative.ssin,
        evidence: 'p3',
        contactEmail: 'zoe@clinic.example.be',
      },
      OFFICER,
    );
    await withdrawMandate(deps, zoeMandate.id, 'left', OFFICER);
    const clinicCertificate = await organisationCertificate(t, clinic, contact('lucas.lambert', 'info.clinic'));
    const clinicApplication = await organisationCertificate(t, clinic, contact('lucas.lambert', 'info.clinic'), 'BILLING');

    const notAfter = janCertificate.notAfter;
    for (const c of [tomCertificate, clinicCertificate, clinicApplication]) expect(c.notAfter).toEqual(notAfter);
    const clinicSerials = [clinicCertificate.serialHex, clinicApplication.serialHex].sort();

    // Nothing before the renewal window opens.
    t.clock.set(new Date(windowOpens(notAfter, 90).getTime() - 1000));
    expect((await reminders.runOnce()).plan).toMatchObject({ planned: true, examined: 0 });
    expect(await smtp.take()).toEqual([]);

    const expectRound = async (window: number) => {
      const summary = await reminders.runOnce();
      expect(summary.plan).toMatchObject({ planned: true, examined: 4, alreadyRenewed: 0, reminded: 4, messagesQueued: 5, atCapacity: false });
      expect(summary.delivery).toMatchObject({ sent: 5, retried: 0, failed: 0, cancelled: 0 });
      const mails = byRecipient(await smtp.take());
      expect([...mails.keys()].sort()).toEqual(
        ['eva.dubois@clinic.example.be', 'info.clinic@example.be', 'jan.peeters@example.be', 'lucas.lambert@example.be', 'tom.home@example.be'].sort(),
      );
      for (const mail of mails.values()) {
        expect(mail.from).toBe(SENDER);
        expect(mail.mailFrom).toBe('certificates@ehealth.test');
        expect(mail.messageId).toMatch(/^<reminder-\d+@ehealth\.test>$/);
        expect(mail.headers['auto-submitted']).toBe('auto-generated');
      }
      // Jan reads Dutch: his certificate, the ETK notice.
      const janMail = mails.get('jan.peeters@example.be')!;
      expect(janMail.subject).toMatch(/^\[acceptatie\] Uw eHealth-certificaat vervalt op \d{1,2} \w+ \d{4}$/);
      expect(serialsIn(janMail)).toEqual([janCertificate.serialHex]);
      expect(janMail.text).toContain('JAN PEETERS (SSIN ');
      expect(janMail.text).toContain('nieuwe ETK');
      expect(janMail.text).toContain('Bewaar de private sleutel van de oude ETK');
      expect(janMail.text).not.toContain('Bonjour');
      // Eva (certificate manager, French): both certificates of the clinic in one mail.
      const evaMail = mails.get('eva.dubois@clinic.example.be')!;
      expect(evaMail.subject).toMatch(/^\[acceptation\] 2 certificats eHealth expirent, le premier le /);
      expect(serialsIn(evaMail)).toEqual(clinicSerials);
      expect(evaMail.text).toContain('application BILLING');
      expect(evaMail.text).toContain("Conservez la clé privée de l'ancien ETK");
      // Tom (English): his own certificate as contact, and the clinic's as its manager, in one mail.
      const tomMail = mails.get('tom.home@example.be')!;
      expect(tomMail.subject).toMatch(/^\[acceptance\] 3 eHealth certificates expire, the first on /);
      expect(serialsIn(tomMail)).toEqual([tomCertificate.serialHex, ...clinicSerials].sort());
      expect(tomMail.text).toContain('Keep the private key of the old ETK');
      // The clinic's contacts have no recorded language: the three languages in one mail.
      for (const address of ['lucas.lambert@example.be', 'info.clinic@example.be']) {
        const mail = mails.get(address)!;
        expect(mail.subject.split(' / ')).toHaveLength(3);
        expect(mail.text).toContain('Bonjour');
        expect(mail.text).toContain('Goedendag');
        expect(mail.text).toContain('Hello');
        expect(serialsIn(mail)).toEqual([...clinicSerials, ...clinicSerials, ...clinicSerials].sort());
      }
      expect(janMail.text).toContain('nu te vernieuwen');
      expect(janMail.text).toMatch(new RegExp(`nog ${window} dag\\(en\\)`));
      // The same window once only.
      expect((await reminders.runOnce()).plan).toMatchObject({ examined: 0 });
      expect(await smtp.take()).toEqual([]);
    };

    t.clock.set(windowOpens(notAfter, 90));
    await expectRound(90);
    t.clock.set(new Date(windowOpens(notAfter, 30).getTime() - 60_000));
    expect((await reminders.runOnce()).plan).toMatchObject({ examined: 0 });
    t.clock.set(new Date(windowOpens(notAfter, 30).getTime() + 3_600_000));
    await expectRound(30);
    // Nothing ran during the T-7 window: at T-1 the T-1 reminder goes, the missed T-7 never does.
    t.clock.set(new Date(windowOpens(notAfter, 1).getTime() + 60_000));
    await expectRound(1);
    expect(await windowsRecorded(t, janCertificate.id)).toEqual([
      { window_days: 90, outcome: 'queued' },
      { window_days: 30, outcome: 'queued' },
      { window_days: 1, outcome: 'queued' },
    ]);
    // Expired: no more reminders.
    t.clock.set(new Date(notAfter.getTime() + 1000));
    expect((await reminders.runOnce()).plan).toMatchObject({ examined: 0 });
    expect(await smtp.take()).toEqual([]);

    expect(await metric(t.services, 'ehealth_reminder_messages_total')).toContain('ehealth_reminder_messages_total{channel="email",outcome="sent"} 15');
    expect(await metric(t.services, 'ehealth_reminder_certificates_examined_total')).toContain('ehealth_reminder_certificates_examined_total 12');
    expect(await metric(t.services, 'ehealth_reminder_certificates_per_recipient_count')).toContain(' 15');
    // One observation per certificate in each mail: 1 + 2 + 2 + 2 + 3 for the T-90 round.
    expect(await metric(t.services, 'ehealth_reminder_send_delay_seconds_count{window="90"}')).toBe(
      'ehealth_reminder_send_delay_seconds_count{window="90"} 10',
    );
    expect(await metric(t.services, 'ehealth_reminder_outbox_pending{channel="email"}')).toBe('ehealth_reminder_outbox_pending{channel="email"} 0');
  });

  it('no T-90 before the renewal period opens: a certificate whose last three months are 89 days long is reminded when renewal becomes possible', async () => {
    const t = await openServices();
    // Issued on 1 May: its three months before 1 May (next year, not a leap year) start on 1 February, 89 days before the end.
    let year = t.clock.now().getUTCFullYear() + 1;
    while (new Date(Date.UTC(year + 1, 1, 29)).getUTCMonth() === 1) year++;
    t.clock.set(new Date(Date.UTC(year, 4, 1, 10, 0, 0)));
    const ann = await citizen(t, 'Ann', 'Claes');
    const certificate = await personCertificate(t, ann, contact('ann.claes'));
    const renewalStart = addMonths(certificate.notAfter, -3);
    expect((certificate.notAfter.getTime() - renewalStart.getTime()) / DAY).toBe(89);
    t.clock.set(new Date(certificate.notAfter.getTime() - 90 * DAY));
    expect((await t.services.reminders.runOnce()).plan.examined).toBe(0);
    t.clock.set(renewalStart);
    expect((await t.services.reminders.runOnce()).delivery.sent).toBe(1);
    const [mail] = await smtp.take();
    expect(mail!.text).toContain('can be renewed now');
    expect(await windowsRecorded(t, certificate.id)).toEqual([{ window_days: 90, outcome: 'queued' }]);
  });

  it('renewed and revoked certificates are not reminded; a renewal after planning cancels the waiting mail', async () => {
    const t = await openServices();
    const deps = t.services.certRa;
    const reminders = t.services.reminders;
    const renewing = await citizen(t, 'Rita', 'Renard');
    const renewingCertificate = await personCertificate(t, renewing, contact('rita'));
    const revoking = await citizen(t, 'Victor', 'Vermeulen');
    const revokingCertificate = await personCertificate(t, revoking, contact('victor'));
    const late = await citizen(t, 'Lena', 'Laat');
    const lateCertificate = await personCertificate(t, late, contact('lena'));
    const plain = await citizen(t, 'Paul', 'Plain');
    await personCertificate(t, plain, contact('paul'));
    const notAfter = renewingCertificate.notAfter;

    t.clock.set(windowOpens(notAfter, 90));
    // Rita renews at once (a new request during the renewal period replaces her certificate).
    const renewal = await requestCertificate(deps, renewing, actorOf(renewing), { contactData: contact('rita') });
    expect(renewal.outcome.replacesPublicKeyIdentifier).toBeDefined();
    const renewalRow = await registryRow(t, renewal.outcome.publicKeyIdentifier);
    // Victor's certificate is revoked.
    const revokedPki = (
      await t.database.db.query<{ pki: string }>('SELECT public_key_identifier AS pki FROM certra_requests WHERE issued_certificate_id = $1', [
        revokingCertificate.id,
      ])
    )[0]!.pki;
    const revocation = await generateRevocationContract(deps, { publicKeyIdentifier: revokedPki, signer: actorOf(revoking), reason: 'cessationOfOperation' });
    await revokeCertificate(deps, {
      signer: eidSignatureSigner(revoking.identity),
      publicKeyIdentifier: revokedPki,
      contract: revocation,
      signedRequest: '<r/>',
    });

    // The SMTP server is down during the run: Lena's and Paul's mails wait in the outbox.
    await smtp.down();
    const first = await reminders.runOnce();
    expect(first.plan).toMatchObject({ examined: 3, alreadyRenewed: 1, reminded: 2, messagesQueued: 2 });
    expect(first.delivery).toMatchObject({ sent: 0, retried: 2, unreachable: ['email'] });
    expect(await windowsRecorded(t, renewingCertificate.id)).toEqual([{ window_days: 90, outcome: 'renewed' }]);
    const [renewedRecord] = await t.database.db.query<{ renewed_by_certificate_id: bigint }>(
      'SELECT renewed_by_certificate_id FROM expiry_reminders WHERE issued_certificate_id = $1',
      [renewingCertificate.id],
    );
    expect(renewedRecord!.renewed_by_certificate_id).toBe(renewalRow.id);
    expect(await windowsRecorded(t, revokingCertificate.id)).toEqual([]);

    // Lena renews while her mail waits: it is cancelled, not sent.
    await requestCertificate(deps, late, actorOf(late), { contactData: contact('lena') });
    await smtp.up();
    t.clock.advance(3_600_000);
    const second = await reminders.runOnce();
    expect(second.delivery).toMatchObject({ sent: 1, cancelled: 1, retried: 0 });
    expect((await smtp.take()).map((m) => m.rcptTos[0])).toEqual(['paul@example.be']);
    const outbox = await reminders.outbox({ limit: 10 });
    expect(outbox.map((m) => [m.recipient, m.status])).toEqual(
      expect.arrayContaining([
        ['lena@example.be', 'cancelled'],
        ['paul@example.be', 'sent'],
      ]),
    );
    expect(outbox.find((m) => m.recipient === 'lena@example.be')!.lastError).toBe('certificates renewed before delivery');
    expect(await windowsRecorded(t, lateCertificate.id)).toEqual([{ window_days: 90, outcome: 'queued' }]);

    // Later windows: the renewed certificates are never reminded again; the renewals' own windows are a year away.
    t.clock.set(windowOpens(notAfter, 30));
    const third = await reminders.runOnce();
    // Renewed certificates are examined once per window, as Boulder does, and never reminded.
    expect(third.plan).toMatchObject({ examined: 3, alreadyRenewed: 2, reminded: 1 });
    expect((await smtp.take()).map((m) => m.rcptTos[0])).toEqual(['paul@example.be']);
    expect(await metric(t.services, 'ehealth_reminder_certificates_already_renewed_total')).toBe('ehealth_reminder_certificates_already_renewed_total 3');
    // The listing shows who renewed.
    const expiring = await reminders.expiring(40);
    expect(expiring).toHaveLength(3);
    expect(
      expiring
        .filter((c) => c.renewedByCertificateId !== null)
        .map((c) => c.serialHex)
        .sort(),
    ).toEqual([renewingCertificate.serialHex, lateCertificate.serialHex].sort());
    expect(expiring.every((c) => c.reminders.some((r) => r.windowDays === 30))).toBe(true);
  });
});

describe('expiry reminders: several processes, restarts, outages', () => {
  it('a restart in the middle sends nothing twice: what one instance planned or sent, the next one does not send again', async () => {
    const t = await openServices({ REMINDER_BATCH_LIMIT: '2' });
    const people = [];
    for (const name of ['Anna', 'Bert', 'Carl', 'Dora', 'Emma']) {
      const person = await citizen(t, name, 'Restart');
      people.push({ person, certificate: await personCertificate(t, person, contact(name.toLowerCase())) });
    }
    t.clock.set(windowOpens(people[0]!.certificate.notAfter, 90));

    // The first instance plans two (its batch limit) and sends them; it says it is at capacity.
    const first = await t.services.reminders.runOnce();
    expect(first.plan).toMatchObject({ examined: 2, reminded: 2, atCapacity: true });
    expect(first.delivery).toMatchObject({ sent: 2 });
    expect(await metric(t.services, 'ehealth_reminder_at_capacity{stage="plan"}')).toBe('ehealth_reminder_at_capacity{stage="plan"} 1');
    // It plans two more and stops before delivering them (a crash, or a stop between the steps).
    expect(await t.services.reminders.plan()).toMatchObject({ examined: 2, messagesQueued: 2 });
    await t.services.close();

    // The restarted service, on the same database: sends the two planned ones and plans the last.
    const restarted = await sibling(t, { REMINDER_BATCH_LIMIT: '2' });
    const second = await restarted.reminders.runOnce();
    expect(second.plan).toMatchObject({ examined: 1, reminded: 1, atCapacity: false });
    expect(second.delivery).toMatchObject({ sent: 2 });
    expect((await restarted.reminders.runOnce()).delivery).toMatchObject({ sent: 1 });
    expect(await restarted.reminders.runOnce()).toMatchObject({ plan: { examined: 0 }, delivery: { sent: 0 } });
    const mails = byRecipient(await smtp.take());
    expect([...mails.keys()].sort()).toEqual(['anna', 'bert', 'carl', 'dora', 'emma'].map((n) => `${n}@example.be`));

    // A sender that died holding a claim: another one waits for the lease, then sends it (once).
    // Frank's certificate is issued now: its windows open a year after the others'.
    const frankRow = await personCertificate(t, await citizen(t, 'Frank', 'Restart'), contact('frank'));
    t.clock.set(windowOpens(frankRow.notAfter, 90));
    expect(await restarted.reminders.plan()).toMatchObject({ examined: 1, messagesQueued: 1 });
    const now = t.clock.now();
    const claimed = await expiryReminderStore.claimDue(t.database.db, {
      now,
      leaseUntil: new Date(now.getTime() + 600_000),
      claimant: 'dead-process',
      channels: ['email'],
      limit: 10,
    });
    expect(claimed).toHaveLength(1);
    expect((await restarted.reminders.runOnce()).delivery.sent).toBe(0);
    t.clock.advance(600_001);
    expect((await restarted.reminders.runOnce()).delivery.sent).toBe(1);
    expect((await smtp.take()).map((m) => m.rcptTos[0])).toEqual(['frank@example.be']);
    expect((await restarted.reminders.outbox({ statuses: ['sent'], limit: 10 })).find((m) => m.recipient === 'frank@example.be')!.attempts).toBe(2);
  });

  it('two runners at once send each mail once', async () => {
    const t = await openServices({ REMINDER_PARALLEL_SENDS: '1' });
    const names = ['Ada', 'Bob', 'Cas', 'Dirk', 'Els', 'Fien', 'Gust', 'Hugo'];
    let notAfter: Date | undefined;
    for (const name of names) notAfter = (await personCertificate(t, await citizen(t, name, 'Concurrent'), contact(name.toLowerCase()))).notAfter;
    // On PostgreSQL the second runner has its own pool, as another process would.
    const ownDatabase = t.database.url ? openPostgres(t.database.url, { max: 3 }) : undefined;
    const other = await openSiblingServices(
      t,
      { SMTP_URL: smtp.url, REMINDER_FROM: SENDER, REMINDER_INTERVAL_SECONDS: '0', REMINDER_PARALLEL_SENDS: '1' },
      ownDatabase ? { database: ownDatabase } : {},
    );
    try {
      for (const window of [90, 30, 7]) {
        t.clock.set(windowOpens(notAfter!, window));
        const runs = await Promise.all([t.services.reminders.runOnce(), other.reminders.runOnce(), t.services.reminders.runOnce(), other.reminders.runOnce()]);
        // Whatever remains (a runner that lost the planning lock delivered before the planner committed) goes next.
        runs.push(await other.reminders.runOnce());
        expect(runs.reduce((n, r) => n + r.plan.reminded, 0)).toBe(names.length);
        expect(runs.reduce((n, r) => n + r.delivery.sent, 0)).toBe(names.length);
        const mails = byRecipient(await smtp.take());
        expect([...mails.keys()].sort()).toEqual(names.map((n) => `${n.toLowerCase()}@example.be`).sort());
      }
    } finally {
      await other.close();
      await ownDatabase?.close();
    }
  });

  it('SMTP down for an hour, then up: retried with exponential back-off, delivered once, nothing lost', async () => {
    const t = await openServices({ REMINDER_RETRY_BASE_SECONDS: '60', REMINDER_RETRY_MAX_SECONDS: '1800' });
    const reminders = t.services.reminders;
    const first = await personCertificate(t, await citizen(t, 'Olga', 'Outage'), contact('olga'));
    await personCertificate(t, await citizen(t, 'Omer', 'Outage'), contact('omer'));
    t.clock.set(windowOpens(first.notAfter, 90));
    await smtp.down();
    const start = t.clock.now();
    const down = await reminders.runOnce();
    expect(down.delivery).toMatchObject({ sent: 0, retried: 2, unreachable: ['email'] });
    let pending = await reminders.outbox({ statuses: ['pending'], limit: 10 });
    expect(pending).toHaveLength(2);
    for (const message of pending) {
      expect(message.attempts).toBe(1);
      expect(message.nextAttemptAt).toEqual(new Date(start.getTime() + 60_000));
      expect(message.lastError).toMatch(/ECONNREFUSED/);
    }
    // Runs every five minutes for an hour: each attempt waits twice as long as the one before.
    const attemptsAt: number[] = [];
    for (let minute = 5; minute <= 60; minute += 5) {
      t.clock.set(new Date(start.getTime() + minute * 60_000));
      const run = await reminders.runOnce();
      expect(run.delivery.sent).toBe(0);
      if (run.delivery.retried > 0) attemptsAt.push(minute);
    }
    // Attempt 2 at 5 min (due 1), 3 at 10 (due 5+2), 4 at 15 (due 10+4), 5 at 25 (due 15+8), 6 at 45 (due 25+16).
    expect(attemptsAt).toEqual([5, 10, 15, 25, 45]);
    pending = await reminders.outbox({ statuses: ['pending'], limit: 10 });
    expect(pending.map((m) => m.attempts)).toEqual([6, 6]);
    expect(pending[0]!.nextAttemptAt).toEqual(new Date(start.getTime() + (45 + 30) * 60_000));
    expect(await metric(t.services, 'ehealth_reminder_outbox_pending{channel="email"}')).toBe('ehealth_reminder_outbox_pending{channel="email"} 2');
    expect(await metric(t.services, 'ehealth_reminder_errors_total{type="email-connection"}')).toBe(
      'ehealth_reminder_errors_total{type="email-connection"} 12',
    );

    await smtp.up();
    t.clock.set(new Date(start.getTime() + 70 * 60_000));
    expect((await reminders.runOnce()).delivery.sent).toBe(0);
    t.clock.set(new Date(start.getTime() + 75 * 60_000));
    expect((await reminders.runOnce()).delivery).toMatchObject({ sent: 2, retried: 0 });
    expect((await smtp.take()).map((m) => m.rcptTos[0]).sort()).toEqual(['olga@example.be', 'omer@example.be']);
    expect((await reminders.runOnce()).delivery.sent).toBe(0);
    expect(await smtp.take()).toEqual([]);
    expect(await metric(t.services, 'ehealth_reminder_send_delay_seconds_sum{window="90"}')).toBe(
      `ehealth_reminder_send_delay_seconds_sum{window="90"} ${2 * 75 * 60}`,
    );
  });

  it('a recipient the SMTP server refuses (550) fails for good and is not retried; the others are delivered', async () => {
    const t = await openServices();
    const refused = await personCertificate(t, await citizen(t, 'Rene', 'Refused'), contact('reject.rene'));
    await personCertificate(t, await citizen(t, 'Ines', 'Inbox'), contact('ines'));
    t.clock.set(windowOpens(refused.notAfter, 30));
    expect((await t.services.reminders.runOnce()).delivery).toMatchObject({ sent: 1, failed: 1, retried: 0 });
    expect((await smtp.take()).map((m) => m.rcptTos[0])).toEqual(['ines@example.be']);
    const [failed] = await t.services.reminders.outbox({ statuses: ['failed'], limit: 10 });
    expect(failed).toMatchObject({ recipient: 'reject.rene@example.be', attempts: 1 });
    expect(failed!.lastError).toMatch(/^EENVELOPE 550: .*mailbox unavailable/);
    t.clock.advance(DAY);
    expect((await t.services.reminders.runOnce()).delivery).toMatchObject({ sent: 0, failed: 0 });
    expect(await metric(t.services, 'ehealth_reminder_errors_total{type="email-permanent"}')).toBe('ehealth_reminder_errors_total{type="email-permanent"} 1');
  });
});

describe('expiry reminders: templates, webhook, schedule, secrets', () => {
  it("an operator's template directory overrides a language; a broken template holds the mails (and says where) until it is repaired", async () => {
    const templateDir = mkdtempSync(join(tmpdir(), 'reminder-templates-'));
    try {
      writeFileSync(
        join(templateDir, 'expiry.fr.txt'),
        'Subject: Rappel {{count}} - {{earliestExpiry}}\n\nCher client,\n{{#certificates}}\n- {{holder}} {{serial}} expire dans {{daysLeft}} jours\n{{/certificates}}\nConservez votre ancien ETK.\n',
      );
      const t = await openServices({ REMINDER_TEMPLATE_DIR: templateDir, REMINDER_DEFAULT_LANGUAGE: 'fr' });
      expect(Object.values((await t.services.reminders.loadTemplates()).files()).filter((f) => f.startsWith(templateDir))).toHaveLength(1);
      const certificate = await personCertificate(t, await citizen(t, 'Marc', 'Mertens'), contact('marc'));
      writeFileSync(join(templateDir, 'expiry.fr.txt'), 'Subject: Rappel\n\n{{#certificates}}{{serial}} {{unknownValue}}{{/certificates}}\n');
      await expect(t.services.reminders.loadTemplates()).rejects.toThrow(TemplateError);
      await expect(t.services.reminders.loadTemplates()).rejects.toThrow(`${join(templateDir, 'expiry.fr.txt')}, line 3: {{unknownValue}} is not a value`);

      t.clock.set(windowOpens(certificate.notAfter, 7));
      const broken = await t.services.reminders.runOnce();
      expect(broken.plan.messagesQueued).toBe(1);
      expect(broken.delivery).toMatchObject({ sent: 0, retried: 0, unreachable: ['email'] });
      expect(await smtp.take()).toEqual([]);
      expect(await metric(t.services, 'ehealth_reminder_errors_total{type="template"}')).toBe('ehealth_reminder_errors_total{type="template"} 1');

      writeFileSync(
        join(templateDir, 'expiry.fr.txt'),
        'Subject: Rappel {{count}}\n\nCher client,\n{{#certificates}}\n- {{holder}} {{serial}} expire dans {{daysLeft}} jours\n{{/certificates}}\nConservez votre ancien ETK.\n',
      );
      expect((await t.services.reminders.runOnce()).delivery.sent).toBe(1);
      const [mail] = await smtp.take();
      expect(mail!.subject).toBe('Rappel 1');
      expect(mail!.text).toBe(`Cher client,\n- MARC MERTENS ${certificate.serialHex} expire dans 7 jours\nConservez votre ancien ETK.\n`);
    } finally {
      rmSync(templateDir, { recursive: true, force: true });
    }
  });

  it('the webhook: signed JSON (HMAC-SHA256 over timestamp and body), the same retries, the recipients a mail would reach', async () => {
    const secret = 'a-webhook-secret-of-some-length';
    const calls: Array<{ headers: IncomingMessage['headers']; body: string; valid: boolean }> = [];
    const answers = [503, 200];
    const server: Server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      request.on('end', () => {
        const timestamp = Number(request.headers[WEBHOOK_HEADERS.timestamp]);
        const valid = request.headers[WEBHOOK_HEADERS.signature] === webhookSignature(secret, timestamp, body);
        calls.push({ headers: request.headers, body, valid });
        response.writeHead(valid ? (answers.shift() ?? 200) : 401).end();
      });
    });
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    try {
      // Webhook only: no SMTP_URL.
      const t = await openTestServices({
        REMINDER_WEBHOOK_URL: `http://127.0.0.1:${port}/hooks/reminders`,
        REMINDER_WEBHOOK_SECRET: secret,
        REMINDER_INTERVAL_SECONDS: '0',
      });
      opened.push(t);
      const clinic = await organisation(t, 'Hopital Webhook');
      const manager = await citizen(t, 'Mia', 'Manager');
      await registerCertificateManager(
        t.services.certRa,
        {
          organisation: clinic.identifier,
          holderSsin: manager.ssin,
          designatedBySsin: clinic.representative.ssin,
          evidence: 'p',
          contactEmail: 'mia@hospital.example.be',
        },
        OFFICER,
      );
      const certificate = await organisationCertificate(t, clinic, contact('desk', 'general'), 'LAB');
      t.clock.set(windowOpens(certificate.notAfter, 90));
      const first = await t.services.reminders.runOnce();
      expect(first.plan).toMatchObject({ reminded: 1, messagesQueued: 1 });
      expect(first.delivery).toMatchObject({ sent: 0, retried: 1 });
      t.clock.advance(61_000);
      expect((await t.services.reminders.runOnce()).delivery).toMatchObject({ sent: 1 });
      expect((await t.services.reminders.runOnce()).delivery).toMatchObject({ sent: 0 });
      expect(calls).toHaveLength(2);
      expect(calls.every((c) => c.valid)).toBe(true);
      expect(calls[0]!.headers[WEBHOOK_HEADERS.id]).toBe(calls[1]!.headers[WEBHOOK_HEADERS.id]);
      expect(calls[1]!.headers['content-type']).toBe('application/json');
      expect(Number(calls[1]!.headers[WEBHOOK_HEADERS.timestamp])).toBe(Math.floor(t.clock.now().getTime() / 1000));
      const payload = JSON.parse(calls[1]!.body) as Record<string, unknown>;
      expect(payload).toMatchObject({
        type: 'certificate.expiry-reminder',
        id: calls[1]!.headers[WEBHOOK_HEADERS.id],
        environment: 'acceptance',
        window: { days: 90, openedAt: windowOpens(certificate.notAfter, 90).toISOString() },
        certificate: {
          serialNumber: certificate.serialHex,
          subjectDn: certificate.subjectDn,
          holderType: 'Organization',
          identifier: clinic.identifier,
          applicationId: 'LAB',
          notAfter: certificate.notAfter.toISOString(),
          renewalPeriodStart: addMonths(certificate.notAfter, -3).toISOString(),
        },
        recipients: [
          { email: 'desk@example.be', role: 'contact', language: 'all' },
          { email: 'general@example.be', role: 'contact', language: 'all' },
          { email: 'mia@hospital.example.be', role: 'certificate-manager', language: 'all' },
        ],
      });
      expect(String(payload.notice)).toContain('new ETK');
      // A receiver with another secret refuses the call: the reminder waits.
      const forged = webhookSignature('another-secret-entirely', 1, calls[1]!.body);
      expect(forged).not.toBe(calls[1]!.headers[WEBHOOK_HEADERS.signature]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('runs inside the service on its interval, and /metrics shows it; stops cleanly', async () => {
    const platform = await startTestPlatform({ SMTP_URL: smtp.url, REMINDER_FROM: SENDER, REMINDER_INTERVAL_SECONDS: '1' });
    try {
      const t = { services: platform.platform.services, clock: platform.clock, database: platform.database } as unknown as TestServices;
      const certificate = await personCertificate(t, await mintCitizen(t, testSsin(++sequence), 'Sam', 'Scheduled'), contact('sam'));
      platform.clock.set(windowOpens(certificate.notAfter, 30));
      const [mail] = await smtp.waitFor(1);
      expect(mail!.rcptTos).toEqual(['sam@example.be']);
      const metrics = await platform.app.inject({ method: 'GET', url: '/metrics' });
      expect(metrics.body).toContain('ehealth_reminder_messages_total{channel="email",outcome="sent"} 1');
      expect(metrics.body).toContain('ehealth_reminder_last_success_timestamp_seconds');
    } finally {
      await platform.close();
    }
  });

  it('never writes the SMTP password or the webhook secret to the log or the outbox', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const password = 'Sm7p-Pa55word-9';
    const secret = 'webhook-Secret-4242-xyz';
    const closedPort = await freePort();
    const env = {
      SMTP_URL: `smtp://reminders:${password}@127.0.0.1:${closedPort}`,
      REMINDER_WEBHOOK_URL: `http://127.0.0.1:${closedPort}/hook`,
      REMINDER_WEBHOOK_SECRET: secret,
      REMINDER_INTERVAL_SECONDS: '1',
      LOG_LEVEL: 'trace',
    };
    const platform = await startTestPlatform(env, { logger: pino({ level: 'trace' }, sink) });
    try {
      const t = { services: platform.platform.services, clock: platform.clock, database: platform.database } as unknown as TestServices;
      const certificate = await personCertificate(t, await mintCitizen(t, testSsin(++sequence), 'Sara', 'Secret'), contact('sara'));
      platform.clock.set(windowOpens(certificate.notAfter, 7));
      const deadline = Date.now() + 20_000;
      // A message counts its attempt when claimed, and records the failure when the send has failed: wait for both.
      while (
        (await platform.platform.services.reminders.outbox({ statuses: ['pending'], limit: 10 })).filter((m) => m.attempts > 0 && m.lastError !== null).length <
        2
      ) {
        if (Date.now() > deadline) throw new Error('the scheduled run did not try both channels');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const stored = JSON.stringify(await platform.database.db.query('SELECT * FROM reminder_messages'), (_k, v) => (typeof v === 'bigint' ? String(v) : v));
      expect(stored).toContain('ECONNREFUSED');
      expect(stored).not.toContain(password);
      expect(stored).not.toContain(secret);
    } finally {
      await platform.close();
    }
    const log = lines.join('');
    expect(log).toContain('reminder not delivered: retried later');
    expect(log).toContain(`smtp://127.0.0.1:${closedPort}`);
    expect(log).not.toContain(password);
    expect(log).not.toContain(secret);
  });
});
