import { NS } from '../../src/soap/namespaces.js';
import { childrenNamed, textOf } from '../../src/xml/parse.js';
import { CertRaClient, child, mintPerson, runAdmin, signerOf, type Person } from '../support/certra-client.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { tableCounts } from '../support/test-database.js';

const HOSPITAL = { type: 'NIHII-HOSPITAL', value: '71089815' };

/** Registrations and policy: the manual validation setting, mandate withdrawal, and what the CLI refuses. */
describe('CertRA v2 registrations and validation policy (CERTRA_AUTOMATIC_VALIDATION=manual)', () => {
  let t: TestPlatform;
  let client: CertRaClient;
  let jan: Person;
  let lucas: Person;
  let sofie: Person;

  beforeAll(async () => {
    t = await startTestPlatform({ CERTRA_AUTOMATIC_VALIDATION: 'manual' });
    client = new CertRaClient(t);
    jan = await mintPerson(t, '85073003328', 'Jan', 'Test');
    lucas = await mintPerson(t, '90021518409', 'Lucas', 'Peeters');
    sofie = await mintPerson(t, '77070707325', 'Sofie', 'Janssens');
  });
  afterAll(async () => {
    await t.close();
  });

  it('queues even a request with a test case when every request is to be validated by hand', async () => {
    await runAdmin(t, 'certra:test-case:add', { type: 'SSIN', id: jan.ssin, 'responsible-ssin': jan.ssin });
    const requested = await client.requestCertificate(jan, signerOf(jan));
    expect(requested.response.outcome).toBe('Success');
    expect(textOf(child(requested.response.element, 'AutomaticallyValidated'))).toBe('false');
    expect((await client.getCertificate(requested.publicKeyIdentifier!)).outcome).toBe('CERT_NOT_YET_DELIVERED');
  });

  it('stops a withdrawn certificate manager at once, and audits the withdrawal with the operator', async () => {
    await runAdmin(t, 'certra:mandate:add-legal-representative', {
      'org-type': HOSPITAL.type,
      'org-id': HOSPITAL.value,
      'org-name': 'Hopital Saint-Luc',
      ssin: lucas.ssin,
      evidence: 'statutes',
    });
    const [registered] = await runAdmin(t, 'certra:mandate:add-certificate-manager', {
      'org-type': HOSPITAL.type,
      'org-id': HOSPITAL.value,
      ssin: sofie.ssin,
      'designated-by': lucas.ssin,
      evidence: 'procuration 12',
    });
    const mandateId = /#(\d+)/.exec(registered!)![1]!;
    const organisationsOf = async (person: Person) =>
      childrenNamed((await client.getActorQualities(person)).element, NS.certraProtocolV2, 'OrganizationAuthorization').length;
    expect(await organisationsOf(sofie)).toBe(1);

    await runAdmin(t, 'certra:mandate:withdraw', { id: mandateId, reason: 'left the hospital' }, 'officer.peeters');
    expect(await organisationsOf(sofie)).toBe(0);
    const before = await tableCounts(t.database.db);
    const refused = await client.requestCertificate(sofie, { ids: [HOSPITAL], firstNames: ['Sofie'], name: 'Hopital Saint-Luc' });
    expect(refused.response.outcome).toBe('NOT_AUTHORIZED');
    expect(await tableCounts(t.database.db)).toEqual(before);
    // The legal representative keeps the organisation.
    expect(await organisationsOf(lucas)).toBe(1);
    const [audit] = await t.database.db.query<{ actor: string; subject: string }>(
      "SELECT actor, subject FROM audit_log WHERE action = 'certra.mandate.withdrawn'",
    );
    expect(audit).toEqual({ actor: 'officer.peeters', subject: 'NIHII-HOSPITAL=71089815' });
    const all = await runAdmin(t, 'certra:mandate:list', { ssin: sofie.ssin, all: true });
    expect(all[0]).toContain('WITHDRAWN');
  });

  it.each([
    [
      'a holder SSIN with a wrong check digit',
      { 'org-type': 'NIHII-HOSPITAL', 'org-id': '71089815', 'org-name': 'H', ssin: '85073003329', evidence: 'e' },
      /INVALID_IDENTIFIER/,
    ],
    [
      'an organisation id with a wrong check digit',
      { 'org-type': 'CBE', 'org-id': '0820563482', 'org-name': 'C', ssin: '85073003328', evidence: 'e' },
      /INVALID_IDENTIFIER/,
    ],
    [
      'a type no certificate is issued for',
      { 'org-type': 'NIHII11', 'org-id': '12345625001', 'org-name': 'N', ssin: '85073003328', evidence: 'e' },
      /UNKNOWN_IDENTIFIER_TYPE/,
    ],
    ['a mandate without evidence', { 'org-type': 'CBE', 'org-id': '0820563481', 'org-name': 'C', ssin: '85073003328', evidence: ' ' }, /INVALID_REQUEST/],
    [
      'the same mandate twice',
      { 'org-type': 'NIHII-HOSPITAL', 'org-id': '71089815', 'org-name': 'Hopital Saint-Luc', ssin: '90021518409', evidence: 'again' },
      /already registered/,
    ],
  ])('refuses to register %s, and changes nothing', async (_name, options, message) => {
    const before = await tableCounts(t.database.db);
    await expect(runAdmin(t, 'certra:mandate:add-legal-representative', options)).rejects.toThrow(message);
    expect(await tableCounts(t.database.db)).toEqual(before);
  });
});
