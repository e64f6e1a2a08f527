import { loadConfig } from '../../config/config.js';
import { addMonths } from '../../domain/clock.js';
import { ServiceError } from '../../domain/errors.js';
import { dnEqualsUnordered, ssinCheckDigits } from '../../identifiers/index.js';
import { certRaRequests } from '../../storage/certra-requests.js';
import { parseCertificate } from '../../x509/certificate.js';
import { openResponseSigningCredential } from '../response-signing-credential.js';
import { CONTACT, csrFor, rsaKey, type Person } from '../../../test/support/certra-client.js';
import { issueCertificate } from '../../../test/support/dsig-test-pki.js';
import { testCbe, testSsin } from '../../../test/support/etk-client.js';
import {
  actorOf,
  certRaState,
  contractFor,
  expectRefusedUnchanged,
  issuedCertificate,
  mintCitizen,
  openTestServices,
  refusalOf,
  requestCertificate,
  submit,
  submitAs,
  type TestServices,
} from '../../../test/support/services.js';
import { eidAuthenticationSigner, eidSignatureSigner, signerFromCertificate } from '../../../test/support/signers.js';
import {
  actorQualities,
  approveRequest,
  certificateChain,
  certificateInfoForAuthenticationCertificate,
  certificateInfoForCitizen,
  createCertRaDependencies,
  generateCertificateContract,
  generateRevocationContract,
  pendingRequests,
  refuseRequest,
  registerCertificateManager,
  registerLegalRepresentative,
  registerTestCase,
  revokeCertificate,
  submitForeignerRequest,
  withdrawMandate,
  type Actor,
  type CertificateInfo,
  type CertRaDependencies,
} from './index.js';

/**
 * CertRA policy on the services alone (issue #12): the functions the SOAP front end and the admin CLI call, built by
 * the composition root, with real keys, eID certificates of the test citizen CA, the development CA and a real
 * database. The signer is the plain AuthenticatedSigner a front end hands over after verifying a signature; no
 * message, XML or HTTP is involved. What travels over SOAP is test/e2e's business.
 */

const OFFICER = 'officer.dupont';
const DAY = 24 * 60 * 60 * 1000;

let t: TestServices;
/** The services as configured by default: acceptance, CERTRA_AUTOMATIC_VALIDATION=on-file. */
let deps: CertRaDependencies;
let sequence = 0;

beforeAll(async () => {
  t = await openTestServices();
  deps = t.services.certRa;
});
afterAll(async () => {
  await t?.close();
});

/** A citizen with an SSIN nobody else in this file has. */
const newCitizen = (givenName = 'Jan', surname = 'Test') => mintCitizen(t, testSsin(++sequence), givenName, surname);
/** A CBE number nobody else in this file uses. */
const newCbe = () => testCbe(++sequence);
const state = () => certRaState(t.database.db);

/** CertRA dependencies as the composition root assembles them from these environment variables, on the same database and CA. */
function dependenciesFor(env: Record<string, string>): CertRaDependencies {
  const { config, clock, db, issuer, crls } = t.services;
  return createCertRaDependencies({ config: loadConfig({ DATA_DIR: config.dataDir, ...env }), clock, db, issuer, crls });
}

function testCase(identifier: { type: string; value: string }, responsible: Person) {
  return registerTestCase(deps, { identifier, responsibleSsin: responsible.ssin, description: 'policy test' }, OFFICER);
}

function legalRepresentative(organisation: { type: string; value: string }, name: string, person: Person) {
  return registerLegalRepresentative(deps, { organisation, organisationName: name, holderSsin: person.ssin, evidence: 'statutes art. 12' }, OFFICER);
}

function organisationActor(organisation: { type: string; value: string }, name: string): Actor {
  return { ids: [organisation], firstNames: [], name };
}

/** What getCertificateInfoForCitizen tells `person` (signed with their eID Authentication key) about one request. */
async function infoOf(person: Person, publicKeyIdentifier: string): Promise<CertificateInfo | undefined> {
  const infos = await certificateInfoForCitizen(deps, eidAuthenticationSigner(person.identity));
  return infos.find((info) => info.publicKeyIdentifier === publicKeyIdentifier);
}

/** A request of `person` for their own SSIN, issued at once (a test case backs it). */
async function issuedFor(person: Person) {
  await testCase({ type: 'SSIN', value: person.ssin }, person);
  const requested = await requestCertificate(deps, person);
  expect(requested.outcome.automaticallyValidated).toBe(true);
  return {
    ...requested,
    publicKeyIdentifier: requested.outcome.publicKeyIdentifier,
    certificate: await issuedCertificate(deps, requested.outcome.publicKeyIdentifier),
  };
}

describe("CertRA: automatic validation of a request for the signer's own SSIN", () => {
  it('acceptance, on-file: without a test case the request waits for an officer', async () => {
    const jan = await newCitizen();
    const { outcome, contract } = await requestCertificate(deps, jan);
    expect(outcome).toEqual({
      publicKeyIdentifier: expect.stringMatching(/^[0-9A-F]{40}$/),
      automaticallyValidated: false,
      replacesPublicKeyIdentifier: undefined,
    });
    expect(await refusalOf(() => certificateChain(deps, outcome.publicKeyIdentifier))).toBe('CERT_NOT_YET_DELIVERED');
    expect((await pendingRequests(deps)).map((r) => r.publicKeyIdentifier)).toContain(outcome.publicKeyIdentifier);
    expect(await infoOf(jan, outcome.publicKeyIdentifier)).toMatchObject({
      entityType: 'NaturalPerson',
      actor: actorOf(jan),
      status: 'IN_PROGRESS',
      etkStatus: 'NOT_REQUESTED',
      automaticallyValidated: false,
      details: undefined,
      revocable: false,
      replaceable: false,
    });
    expect(contract.dn).toContain(`SSIN\\=${jan.ssin}`);
  });

  it('acceptance, on-file: a test case for (SSIN, signer) issues the certificate at once, for 12 months', async () => {
    const jan = await newCitizen();
    const { contract, outcome, certificate, publicKeyIdentifier } = await issuedFor(jan);
    const issued = parseCertificate(certificate);
    expect(dnEqualsUnordered(issued.subjectDn, contract.dn)).toBe(true);
    expect(issued.subjectKeyIdentifier?.toString('hex').toUpperCase()).toBe(outcome.publicKeyIdentifier);
    expect(issued.notAfter).toEqual(addMonths(t.clock.now(), 12));
    expect(await infoOf(jan, publicKeyIdentifier)).toMatchObject({
      status: 'VALID_ACTIVE',
      automaticallyValidated: true,
      details: { dn: issued.subjectDn, notAfter: issued.notAfter },
      revocable: true,
      replaceable: false,
      replacementPeriodStart: addMonths(issued.notAfter, -3),
    });
  });

  it("acceptance, on-file: a test case of someone else, or for an organisation, does not validate a person's request", async () => {
    const jan = await newCitizen();
    const marie = await newCitizen('Marie', 'Dupont');
    await testCase({ type: 'SSIN', value: marie.ssin }, marie);
    await testCase({ type: 'CBE', value: newCbe() }, jan);
    expect((await requestCertificate(deps, jan)).outcome.automaticallyValidated).toBe(false);
  });

  it('production, on-file: the eID proves the SSIN, so the request is issued at once without a test case, for 36 months', async () => {
    const production = dependenciesFor({ ENVIRONMENT: 'production' });
    expect(production.policy).toMatchObject({ environment: 'production', automaticValidation: 'on-file' });
    const jan = await newCitizen();
    const { outcome } = await requestCertificate(production, jan);
    expect(outcome.automaticallyValidated).toBe(true);
    expect(parseCertificate(await issuedCertificate(production, outcome.publicKeyIdentifier)).notAfter).toEqual(addMonths(t.clock.now(), 36));
  });

  it.each([
    ['acceptance, with a test case', { ENVIRONMENT: 'acceptance' }],
    ['production', { ENVIRONMENT: 'production' }],
  ])('manual (%s): every request waits for an officer', async (_name, env) => {
    const manual = dependenciesFor({ ...env, CERTRA_AUTOMATIC_VALIDATION: 'manual' });
    expect(manual.policy.automaticValidation).toBe('manual');
    const jan = await newCitizen();
    await testCase({ type: 'SSIN', value: jan.ssin }, jan);
    const { outcome } = await requestCertificate(manual, jan);
    expect(outcome.automaticallyValidated).toBe(false);
    expect(await refusalOf(() => certificateChain(manual, outcome.publicKeyIdentifier))).toBe('CERT_NOT_YET_DELIVERED');
  });
});

describe('CertRA: who may ask for which certificate', () => {
  it('a person acts only for their own SSIN: NOT_AUTHORIZED for another one, and nothing is written', async () => {
    const jan = await newCitizen();
    const marie = await newCitizen('Marie', 'Dupont');
    await expectRefusedUnchanged(state, 'NOT_AUTHORIZED', () => contractFor(deps, jan, actorOf(marie)));
    await expectRefusedUnchanged(state, 'NOT_AUTHORIZED', () =>
      actorQualities(deps, eidAuthenticationSigner(jan.identity), { type: 'SSIN', value: marie.ssin }),
    );
    expect(await actorQualities(deps, eidAuthenticationSigner(jan.identity), { type: 'SSIN', value: jan.ssin })).toEqual({
      naturalPerson: true,
      organisations: [],
    });
  });

  it('an organisation needs a mandate: NOT_AUTHORIZED without one, and nothing is written', async () => {
    const eva = await newCitizen('Eva', 'Stranger');
    const organisation = { type: 'CBE', value: newCbe() };
    const contract = await contractFor(deps, eva, organisationActor(organisation, 'Hopital Saint-Luc'));
    await expectRefusedUnchanged(state, 'NOT_AUTHORIZED', () => submit(deps, eva, contract));
  });

  it('a legal representative may ask, under the registered name only; a test case of the organisation validates it at once', async () => {
    const lucas = await newCitizen('Lucas', 'Peeters');
    const organisation = { type: 'CBE', value: newCbe() };
    await legalRepresentative(organisation, 'Hopital Saint-Luc', lucas);

    const renamed = await contractFor(deps, lucas, organisationActor(organisation, 'Another Name'));
    await expectRefusedUnchanged(state, 'NOT_AUTHORIZED', () => submit(deps, lucas, renamed));

    const waiting = await requestCertificate(deps, lucas, organisationActor(organisation, 'Hopital Saint-Luc'), { applicationId: 'WAITING' });
    expect(waiting.outcome.automaticallyValidated).toBe(false);
    await testCase(organisation, lucas);
    const issued = await requestCertificate(deps, lucas, organisationActor(organisation, 'Hopital Saint-Luc'));
    expect(issued.outcome.automaticallyValidated).toBe(true);
    expect(await infoOf(lucas, issued.outcome.publicKeyIdentifier)).toMatchObject({
      entityType: 'Organization',
      actor: { ids: [organisation], name: 'HOPITAL SAINT-LUC' },
      status: 'VALID_ACTIVE',
    });
    expect(await actorQualities(deps, eidAuthenticationSigner(lucas.identity), { type: 'SSIN', value: lucas.ssin })).toEqual({
      naturalPerson: true,
      organisations: [{ identifier: organisation, name: 'HOPITAL SAINT-LUC' }],
    });
  });

  it('a certificate manager designated by a legal representative may ask; only a legal representative designates', async () => {
    const lucas = await newCitizen('Lucas', 'Peeters');
    const anna = await newCitizen('Anna', 'Janssens');
    const eva = await newCitizen('Eva', 'Stranger');
    const organisation = { type: 'CBE', value: newCbe() };
    await legalRepresentative(organisation, 'Clinique du Parc', lucas);
    await expectRefusedUnchanged(state, 'NOT_AUTHORIZED', () =>
      registerCertificateManager(deps, { organisation, holderSsin: eva.ssin, designatedBySsin: anna.ssin, evidence: 'form 42' }, OFFICER),
    );
    await registerCertificateManager(deps, { organisation, holderSsin: anna.ssin, designatedBySsin: lucas.ssin, evidence: 'form 42' }, OFFICER);
    const { outcome } = await requestCertificate(deps, anna, organisationActor(organisation, 'Clinique du Parc'));
    expect(await infoOf(anna, outcome.publicKeyIdentifier)).toMatchObject({ entityType: 'Organization', status: 'IN_PROGRESS' });
  });

  it('a withdrawn mandate authorises nothing; withdrawing the legal representative keeps the managers they designated', async () => {
    const lucas = await newCitizen('Lucas', 'Peeters');
    const anna = await newCitizen('Anna', 'Janssens');
    const organisation = { type: 'CBE', value: newCbe() };
    const representative = await legalRepresentative(organisation, 'Clinique du Parc', lucas);
    const manager = await registerCertificateManager(deps, { organisation, holderSsin: anna.ssin, designatedBySsin: lucas.ssin, evidence: 'form 42' }, OFFICER);
    const byLucas = await contractFor(deps, lucas, organisationActor(organisation, 'Clinique du Parc'), 'LUCAS');
    const byAnna = await contractFor(deps, anna, organisationActor(organisation, 'Clinique du Parc'), 'ANNA');

    await withdrawMandate(deps, representative.id, 'left the board', OFFICER);
    await expectRefusedUnchanged(state, 'NOT_AUTHORIZED', () => submit(deps, lucas, byLucas));
    expect((await submit(deps, anna, byAnna)).automaticallyValidated).toBe(false);

    await withdrawMandate(deps, manager.id, 'procuration revoked', OFFICER);
    const again = await contractFor(deps, anna, organisationActor(organisation, 'Clinique du Parc'), 'ANNA2');
    await expectRefusedUnchanged(state, 'NOT_AUTHORIZED', () => submit(deps, anna, again));
  });
});

describe('CertRA: the signer is the person the contract names', () => {
  it("SIGNER_MISMATCH when the eID is of another SSIN, even a namesake's", async () => {
    const marie = await newCitizen('Marie', 'Dupont');
    const namesake = await newCitizen('Marie', 'Dupont');
    const contract = await contractFor(deps, marie);
    await expectRefusedUnchanged(state, 'SIGNER_MISMATCH', () => submit(deps, namesake, contract));
  });

  it('SIGNER_MISMATCH when the Signer has another surname than the eID', async () => {
    const marie = await newCitizen('Marie', 'Dupont');
    const contract = await generateCertificateContract(deps, {
      contactData: CONTACT,
      signer: { ...actorOf(marie), name: 'Durand' },
      holder: actorOf(marie),
      applicationId: undefined,
    });
    await expectRefusedUnchanged(state, 'SIGNER_MISMATCH', () => submit(deps, marie, contract));
  });

  it.each([
    ['a later given name', ['Pieter'], 'SIGNER_MISMATCH'],
    ['more given names than the eID', ['Jan', 'Pieter', 'Karel'], 'SIGNER_MISMATCH'],
    ['the given names out of order', ['Pieter', 'Jan'], 'SIGNER_MISMATCH'],
    ['the leading given name', ['Jan'], undefined],
    ['every given name, other case', ['JAN', 'pieter'], undefined],
  ] as const)('first names must be the leading given names of the eID: %s', async (_name, firstNames, expected) => {
    const jan = await newCitizen('Jan Pieter', 'Van den Bossche');
    const signer = { ...actorOf(jan), firstNames: [...firstNames] };
    const contract = await generateCertificateContract(deps, { contactData: CONTACT, signer, holder: actorOf(jan), applicationId: undefined });
    if (expected) await expectRefusedUnchanged(state, expected, () => submit(deps, jan, contract));
    else expect((await submit(deps, jan, contract)).automaticallyValidated).toBe(false);
  });

  // Known defect (see the issue #12 report): only the Signer element is compared with the eID, while the DN of a personal
  // certificate is built from the holder Actor's names, which nothing compares with the eID or the Signer: Jan Test is
  // issued "OU=SOMEONE ELSE". `failing` while the services accept it; once they refuse it, make this an ordinary test.
  it.failing("a personal certificate is issued only under the signer's own name (known defect: the holder's names are not checked)", async () => {
    const jan = await newCitizen();
    await testCase({ type: 'SSIN', value: jan.ssin }, jan);
    const renamed = { ...actorOf(jan), firstNames: ['Someone'], name: 'Else' };
    expect(await refusalOf(async () => submit(deps, jan, await contractFor(deps, jan, renamed)))).toEqual(expect.any(String));
  });

  it('UNTRUSTED_SIGNER when the signing certificate carries no valid SSIN in its serialNumber', async () => {
    const jan = await newCitizen();
    const { certificate: eHealthCertificate } = await issuedFor(jan);
    const badCheckDigits = `${jan.ssin.slice(0, 9)}${String((Number(jan.ssin.slice(9)) + 1) % 100).padStart(2, '0')}`;
    const forged = await issueCertificate({ subject: `CN=Jan Test (Signature), 2.5.4.4=Test, 2.5.4.42=Jan, 2.5.4.5=${badCheckDigits}, C=BE` });
    const contract = await contractFor(deps, jan);
    for (const signer of [signerFromCertificate('eid-signature', eHealthCertificate), signerFromCertificate('eid-signature', forged.der)]) {
      expect(signer.subjectSerialNumber).not.toBe(jan.ssin);
      await expectRefusedUnchanged(state, 'UNTRUSTED_SIGNER', () => submitAs(deps, signer, contract));
    }
  });
});

describe('CertRA: the contract sent back with generateCertificate', () => {
  it('CONTRACT_INVALID when its text or its DN was altered', async () => {
    const marie = await newCitizen('Marie', 'Dupont');
    const contract = await contractFor(deps, marie);
    const alteredText = { ...contract, texts: contract.texts.map((v) => ({ ...v, text: v.text.replace('12 months', '120 months') })) };
    expect(alteredText.texts).not.toEqual(contract.texts);
    await expectRefusedUnchanged(state, 'CONTRACT_INVALID', () => submit(deps, marie, alteredText));
    const alteredDn = { ...contract, dn: contract.dn.replace('OU=MARIE DUPONT', 'OU=MARIE DURAND') };
    expect(alteredDn.dn).not.toBe(contract.dn);
    await expectRefusedUnchanged(state, 'CONTRACT_INVALID', () => submit(deps, marie, alteredDn));
  });

  it('CONTRACT_INVALID once 24 hours have passed since it was issued', async () => {
    const marie = await newCitizen('Marie', 'Dupont');
    const eva = await newCitizen('Eva', 'Stranger');
    const stale = await contractFor(deps, marie);
    const fresh = await contractFor(deps, eva);
    const issuedAt = t.clock.now();
    try {
      t.clock.set(new Date(issuedAt.getTime() + DAY - 1000));
      expect((await submit(deps, eva, fresh)).automaticallyValidated).toBe(false);
      t.clock.set(new Date(issuedAt.getTime() + DAY + 1000));
      await expectRefusedUnchanged(state, 'CONTRACT_INVALID', () => submit(deps, marie, stale));
    } finally {
      t.clock.set(issuedAt);
    }
  });

  it('CONTRACT_INVALID for a revocation contract presented as a certificate contract', async () => {
    const jan = await newCitizen();
    const { publicKeyIdentifier } = await issuedFor(jan);
    const revocation = await generateRevocationContract(deps, { publicKeyIdentifier, signer: actorOf(jan), reason: 'superseded' });
    await expectRefusedUnchanged(state, 'CONTRACT_INVALID', () => submit(deps, jan, revocation));
  });
});

describe('CertRA: one public key, one waiting request and one valid certificate per DN', () => {
  it('the same request sent again gets the same answer and changes nothing, waiting or issued', async () => {
    const marie = await newCitizen('Marie', 'Dupont');
    const waiting = await requestCertificate(deps, marie);
    let before = await state();
    expect(await submit(deps, marie, waiting.contract, waiting.key)).toEqual(waiting.outcome);
    expect(await state()).toEqual(before);

    const jan = await newCitizen();
    const issued = await issuedFor(jan);
    before = await state();
    expect(await submit(deps, jan, issued.contract, issued.key)).toEqual(issued.outcome);
    expect(await state()).toEqual(before);
    expect(await issuedCertificate(deps, issued.publicKeyIdentifier)).toEqual(issued.certificate);
  });

  it('PUBLIC_KEY_IN_USE for a key already submitted for another DN, or certified by our CA outside CertRA', async () => {
    const jan = await newCitizen();
    const marie = await newCitizen('Marie', 'Dupont');
    const { key } = await requestCertificate(deps, jan);
    const contract = await contractFor(deps, marie);
    await expectRefusedUnchanged(state, 'PUBLIC_KEY_IN_USE', () => submit(deps, marie, contract, key));
    const { clock, db, issuer, config } = t.services;
    const responseSigner = await openResponseSigningCredential({
      keyFile: undefined,
      certificateFile: undefined,
      environment: config.environment,
      db,
      issuer,
      clock,
    });
    await expectRefusedUnchanged(state, 'PUBLIC_KEY_IN_USE', () => submit(deps, marie, contract, responseSigner.key));
  });

  it('REQUEST_PENDING for a second key while a request for the DN waits', async () => {
    const marie = await newCitizen('Marie', 'Dupont');
    await requestCertificate(deps, marie);
    const contract = await contractFor(deps, marie);
    await expectRefusedUnchanged(state, 'REQUEST_PENDING', () => submit(deps, marie, contract));
  });

  it('NOT_REPLACEABLE before the last 3 months of the valid certificate; from then on a new request replaces it, once', async () => {
    const jan = await newCitizen();
    const first = await issuedFor(jan);
    const notAfter = parseCertificate(first.certificate).notAfter;
    const periodStart = addMonths(notAfter, -3);
    const start = t.clock.now();
    try {
      const early = await contractFor(deps, jan);
      const before = await state();
      const refusal = await submit(deps, jan, early).catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(ServiceError);
      expect(refusal).toMatchObject({ code: 'NOT_REPLACEABLE', parameters: [{ name: 'ReplacementPeriodStartDate', value: periodStart.toISOString() }] });
      expect(await state()).toEqual(before);

      t.clock.set(new Date(periodStart.getTime() - 1000));
      const justBefore = await contractFor(deps, jan);
      await expectRefusedUnchanged(state, 'NOT_REPLACEABLE', () => submit(deps, jan, justBefore));
      expect(await infoOf(jan, first.publicKeyIdentifier)).toMatchObject({ status: 'VALID_ACTIVE', replaceable: false });

      t.clock.set(periodStart);
      expect(await infoOf(jan, first.publicKeyIdentifier)).toMatchObject({ status: 'VALID_ACTIVE', replaceable: true, replacementPeriodStart: periodStart });
      const replacement = await requestCertificate(deps, jan);
      expect(replacement.outcome).toMatchObject({ automaticallyValidated: true, replacesPublicKeyIdentifier: first.publicKeyIdentifier });
      expect(await infoOf(jan, first.publicKeyIdentifier)).toMatchObject({ status: 'VALID_ACTIVE', replaceable: false });
      expect(await infoOf(jan, replacement.outcome.publicKeyIdentifier)).toMatchObject({ status: 'VALID_ACTIVE', replaceable: false });

      // The replacement is the DN's newest valid certificate, and its own period has not begun.
      const third = await contractFor(deps, jan);
      await expectRefusedUnchanged(state, 'NOT_REPLACEABLE', () => submit(deps, jan, third));
    } finally {
      t.clock.set(start);
    }
  });
});

describe('CertRA: an officer decides on waiting requests', () => {
  it('approval issues the certificate and records the officer; a decided request cannot be decided again', async () => {
    const marie = await newCitizen('Marie', 'Dupont');
    const { outcome } = await requestCertificate(deps, marie);
    const approved = await approveRequest(deps, { publicKeyIdentifier: outcome.publicKeyIdentifier, officer: OFFICER, note: 'checked at the desk' });
    expect(approved).toMatchObject({ status: 'ISSUED', decidedBy: OFFICER, decisionNote: 'checked at the desk', automaticallyValidated: false });
    const certificate = parseCertificate(await issuedCertificate(deps, outcome.publicKeyIdentifier));
    expect(await infoOf(marie, outcome.publicKeyIdentifier)).toMatchObject({
      status: 'VALID_ACTIVE',
      automaticallyValidated: false,
      details: { dn: certificate.subjectDn },
    });
    await expectRefusedUnchanged(state, 'INVALID_REQUEST', () => approveRequest(deps, { publicKeyIdentifier: outcome.publicKeyIdentifier, officer: OFFICER }));
    await expectRefusedUnchanged(state, 'INVALID_REQUEST', () =>
      refuseRequest(deps, { publicKeyIdentifier: outcome.publicKeyIdentifier, officer: OFFICER, reason: 'too late' }),
    );
    await expectRefusedUnchanged(state, 'CERTIFICATE_NOT_FOUND', () => approveRequest(deps, { publicKeyIdentifier: 'AB'.repeat(20), officer: OFFICER }));
  });

  it('refusal needs a reason, frees the DN, and its key cannot be submitted again', async () => {
    const marie = await newCitizen('Marie', 'Dupont');
    const { outcome, contract, key } = await requestCertificate(deps, marie);
    await expectRefusedUnchanged(state, 'INVALID_REQUEST', () =>
      refuseRequest(deps, { publicKeyIdentifier: outcome.publicKeyIdentifier, officer: OFFICER, reason: '  ' }),
    );
    const refused = await refuseRequest(deps, { publicKeyIdentifier: outcome.publicKeyIdentifier, officer: OFFICER, reason: 'identity not confirmed' });
    expect(refused).toMatchObject({ status: 'REFUSED', decidedBy: OFFICER, decisionNote: 'identity not confirmed', issuedCertificateId: null });
    expect(await refusalOf(() => certificateChain(deps, outcome.publicKeyIdentifier))).toBe('REQUEST_REFUSED');
    expect(await infoOf(marie, outcome.publicKeyIdentifier)).toMatchObject({ status: 'REFUSED', revocable: false });

    await expectRefusedUnchanged(state, 'PUBLIC_KEY_IN_USE', () => submit(deps, marie, contract, key));
    expect((await requestCertificate(deps, marie)).outcome.automaticallyValidated).toBe(false);
  });
});

describe('CertRA: revocation', () => {
  it("revokes the holder's valid certificate at once (and tells the CRL); a second revocation is NOT_REVOCABLE", async () => {
    const jan = await newCitizen();
    const { publicKeyIdentifier, certificate } = await issuedFor(jan);
    let crlInvalidations = 0;
    const counting: CertRaDependencies = { ...deps, afterRevocation: () => crlInvalidations++ };
    const contract = await generateRevocationContract(deps, { publicKeyIdentifier, signer: actorOf(jan), reason: 'keyCompromise' });
    await revokeCertificate(counting, { signer: eidSignatureSigner(jan.identity), publicKeyIdentifier, contract, signedRequest: '<r/>' });
    expect(crlInvalidations).toBe(1);
    expect(await infoOf(jan, publicKeyIdentifier)).toMatchObject({ status: 'REVOKED', revocable: false, replaceable: false });
    expect(await refusalOf(() => certificateInfoForAuthenticationCertificate(deps, signerFromCertificate('ehealth', certificate)))).toBe('UNTRUSTED_SIGNER');

    await expectRefusedUnchanged(state, 'NOT_REVOCABLE', () =>
      generateRevocationContract(deps, { publicKeyIdentifier, signer: actorOf(jan), reason: 'keyCompromise' }),
    );
    await expectRefusedUnchanged(state, 'NOT_REVOCABLE', () =>
      revokeCertificate(counting, { signer: eidSignatureSigner(jan.identity), publicKeyIdentifier, contract, signedRequest: '<r/>' }),
    );
    expect(crlInvalidations).toBe(1);
  });

  it('refuses a revocation by someone without authority (NOT_AUTHORIZED), or with the contract of another certificate (CONTRACT_INVALID)', async () => {
    const jan = await newCitizen();
    const eva = await newCitizen('Eva', 'Stranger');
    const janCertificate = await issuedFor(jan);
    const evaCertificate = await issuedFor(eva);
    const byEva = await generateRevocationContract(deps, {
      publicKeyIdentifier: janCertificate.publicKeyIdentifier,
      signer: actorOf(eva),
      reason: 'superseded',
    });
    await expectRefusedUnchanged(state, 'NOT_AUTHORIZED', () =>
      revokeCertificate(deps, {
        signer: eidSignatureSigner(eva.identity),
        publicKeyIdentifier: janCertificate.publicKeyIdentifier,
        contract: byEva,
        signedRequest: '<r/>',
      }),
    );
    const forEvas = await generateRevocationContract(deps, {
      publicKeyIdentifier: evaCertificate.publicKeyIdentifier,
      signer: actorOf(jan),
      reason: 'superseded',
    });
    await expectRefusedUnchanged(state, 'CONTRACT_INVALID', () =>
      revokeCertificate(deps, {
        signer: eidSignatureSigner(jan.identity),
        publicKeyIdentifier: janCertificate.publicKeyIdentifier,
        contract: forEvas,
        signedRequest: '<r/>',
      }),
    );
    expect(await infoOf(jan, janCertificate.publicKeyIdentifier)).toMatchObject({ status: 'VALID_ACTIVE' });
  });

  it('NOT_REVOCABLE for a request that was never issued', async () => {
    const marie = await newCitizen('Marie', 'Dupont');
    const { outcome } = await requestCertificate(deps, marie);
    await expectRefusedUnchanged(state, 'NOT_REVOCABLE', () =>
      generateRevocationContract(deps, { publicKeyIdentifier: outcome.publicKeyIdentifier, signer: actorOf(marie), reason: 'superseded' }),
    );
  });
});

describe('CertRA: foreigners (no eID) always wait for an officer', () => {
  /** An SSIN BIS number (month + 40) nobody else in this file has. */
  function newBis(): string {
    const base = `854730${String(++sequence % 1000).padStart(3, '0')}`;
    return `${base}${ssinCheckDigits(base, 1900)}`;
  }
  const foreigner = (bis: string): Actor => ({ ids: [{ type: 'SSIN', value: bis }], firstNames: ['John'], name: 'Smith' });
  const foreignerDn = (bis: string) => `CN=SSIN\\=${bis},OU=eHealth-platform Belgium,OU=SMITH JOHN,OU=SSIN\\=${bis},O=Federal Government,C=BE`;

  it('waits even in production with a test case, and is approved only with the identity evidence', async () => {
    const production = dependenciesFor({ ENVIRONMENT: 'production' });
    const bis = newBis();
    await registerTestCase(deps, { identifier: { type: 'SSIN', value: bis }, responsibleSsin: bis, description: 'foreigner' }, OFFICER);
    const submitted = await submitForeignerRequest(production, { person: foreigner(bis), contactData: CONTACT, csrDer: csrFor(foreignerDn(bis), rsaKey()) });
    expect(submitted.expiresAt).toEqual(new Date(t.clock.now().getTime() + 14 * DAY));
    expect(await certRaRequests.findByPublicKeyIdentifier(t.database.db, submitted.publicKeyIdentifier)).toMatchObject({
      status: 'PENDING',
      channel: 'foreigner',
      automaticallyValidated: false,
      validationReference: submitted.validationReference,
    });
    expect(await refusalOf(() => certificateChain(production, submitted.publicKeyIdentifier))).toBe('CERT_NOT_YET_DELIVERED');

    await expectRefusedUnchanged(state, 'INVALID_REQUEST', () =>
      approveRequest(production, { publicKeyIdentifier: submitted.publicKeyIdentifier, officer: OFFICER }),
    );
    const approved = await approveRequest(production, {
      publicKeyIdentifier: submitted.publicKeyIdentifier,
      officer: OFFICER,
      identityEvidence: 'passport P1234567, Brussels office',
    });
    expect(approved).toMatchObject({ status: 'ISSUED', decidedBy: OFFICER, decisionNote: 'identity: passport P1234567, Brussels office' });
    expect(parseCertificate(await issuedCertificate(production, submitted.publicKeyIdentifier)).subjectDn).toContain(`SSIN\\=${bis}`);
  });

  it('lapses after 14 days without a decision', async () => {
    const bis = newBis();
    const submitted = await submitForeignerRequest(deps, { person: foreigner(bis), contactData: CONTACT, csrDer: csrFor(foreignerDn(bis), rsaKey()) });
    const start = t.clock.now();
    try {
      t.clock.set(submitted.expiresAt);
      await expectRefusedUnchanged(state, 'INVALID_REQUEST', () =>
        approveRequest(deps, { publicKeyIdentifier: submitted.publicKeyIdentifier, officer: OFFICER, identityEvidence: 'passport' }),
      );
      expect(await refusalOf(() => certificateChain(deps, submitted.publicKeyIdentifier))).toBe('REQUEST_REFUSED');
    } finally {
      t.clock.set(start);
    }
  });

  it("takes SSIN BIS numbers only: INVALID_IDENTIFIER for a resident's SSIN", async () => {
    const ssin = testSsin(++sequence);
    const person = { ids: [{ type: 'SSIN', value: ssin }], firstNames: ['John'], name: 'Smith' };
    await expectRefusedUnchanged(state, 'INVALID_IDENTIFIER', () =>
      submitForeignerRequest(deps, { person, contactData: CONTACT, csrDer: csrFor(foreignerDn(ssin), rsaKey()) }),
    );
  });
});
