import type { KeyObject } from 'node:crypto';
import { parseEtk } from '../ca/etk/index.js';
import { sharedTestKey, spkiOf } from '../ca/issuance/testing.js';
import { organisationAuthentication } from '../ca/profiles/index.js';
import { addMonths } from '../domain/clock.js';
import { buildEhealthDn, ehealthDnAttributes } from '../identifiers/index.js';
import { normaliseSerialHex } from '../storage/certificate-registry.js';
import { etkRepository } from '../storage/etk-repository.js';
import type { DnAttributeType } from '../x509/name.js';
import type { Person } from '../../test/support/certra-client.js';
import { issueCertificate } from '../../test/support/dsig-test-pki.js';
import { decryptChallenge, freshKey, testCbe, testSsin, toBeRegistered } from '../../test/support/etk-client.js';
import { etkState } from '../../test/support/etk-state.js';
import {
  actorOf,
  expectRefusedUnchanged,
  issueHolder,
  mintCitizen,
  openTestServices,
  refusalOf,
  type ServiceHolder,
  type TestServices,
} from '../../test/support/services.js';
import { eidAuthenticationSigner, eidSignatureSigner, signerFromCertificate } from '../../test/support/signers.js';
import {
  certificateInfoForCitizen,
  generateRevocationContract,
  registerLegalRepresentative,
  registerTestCase,
  revokeCertificate,
  type CertRaDependencies,
} from './certra/index.js';
import type { EtkRegistration } from './etk-registration.js';

/**
 * EtkRA policy on the service alone (issue #12): EtkRegistration as the composition root builds it, called with the
 * plain AuthenticatedSigner an EtkRA front end hands over, for eHealth certificates issued through the CertRA services,
 * with real encryption keys and the connector's ToBeRegistered certificates. No SOAP, XML or HTTP (test/e2e/etkra.test.ts
 * drives the same rules over the wire, with every malformed ToBeRegistered).
 */

const OFFICER = 'officer.dupont';

let t: TestServices;
let certRa: CertRaDependencies;
let registration: EtkRegistration;
let sequence = 0;

beforeAll(async () => {
  t = await openTestServices();
  certRa = t.services.certRa;
  registration = t.services.etkRegistration;
});
afterAll(async () => {
  await t?.close();
});

const state = () => etkState(t.database.db);

/** A person's eHealth certificate, with the person (their eID reads CertRA's view of it). */
type PersonHolder = ServiceHolder & { readonly person: Person };

/** A person nobody else in this file is, with an eHealth certificate issued at once (a test case backs the request). */
async function newPersonHolder(): Promise<PersonHolder> {
  const person = await mintCitizen(t, testSsin(++sequence), 'Jan', 'Test');
  await registerTestCase(certRa, { identifier: { type: 'SSIN', value: person.ssin }, responsibleSsin: person.ssin, description: 'etk test' }, OFFICER);
  return { ...(await issueHolder(t, certRa, person)), person };
}

/** startETKRegistration for `encryptionKey`, then the serial the connector reads from the challenge. */
async function start(holder: ServiceHolder, encryptionKey: KeyObject): Promise<{ challenge: Buffer; serial: Buffer }> {
  const challenge = await registration.start(await registration.holderOf(holder.signer), spkiOf(encryptionKey));
  return { challenge, serial: decryptChallenge(challenge, encryptionKey) };
}

/** completeETKRegistration with the connector's ToBeRegistered for (encryptionKey, serial). */
async function complete(holder: ServiceHolder, encryptionKey: KeyObject, serial: Buffer) {
  return registration.complete(await registration.holderOf(holder.signer), await toBeRegistered(holder, encryptionKey, serial));
}

/** The whole registration: start, then complete with the challenge's serial. */
async function register(holder: ServiceHolder, encryptionKey: KeyObject = freshKey()) {
  const { serial } = await start(holder, encryptionKey);
  return complete(holder, encryptionKey, serial);
}

/** What GetEtk would serve for the holder's identifier, read through the ETK directory service. */
async function published(holder: ServiceHolder): Promise<Buffer | undefined> {
  const answer = await t.services.etkDirectory.lookup([{ type: holder.dn.type, value: holder.dn.id, applicationId: holder.dn.applicationId ?? undefined }]);
  return answer.kind === 'found' ? answer.etk.der : undefined;
}

/** The ETKStatus CertRA's getCertificateInfoForCitizen reports for the holder's certificate. */
async function etkStatusOf(holder: PersonHolder): Promise<string | undefined> {
  const infos = await certificateInfoForCitizen(certRa, eidAuthenticationSigner(holder.person.identity));
  return infos.find((info) => info.publicKeyIdentifier === holder.issued.subjectKeyIdentifierHex)?.etkStatus;
}

describe('EtkRA: the holder behind a signer', () => {
  it('is the identifier in the DN of an eHealth certificate this platform issued', async () => {
    const holder = await newPersonHolder();
    expect(await registration.holderOf(holder.signer)).toMatchObject({
      issuedCertificateId: holder.issued.id,
      holder: { type: 'SSIN', value: holder.person.ssin, applicationId: undefined },
    });

    const lucas = await mintCitizen(t, testSsin(++sequence), 'Lucas', 'Peeters');
    const organisation = { type: 'CBE', value: testCbe(++sequence) };
    await registerLegalRepresentative(certRa, { organisation, organisationName: 'Test Hospital', holderSsin: lucas.ssin, evidence: 'statutes' }, OFFICER);
    await registerTestCase(certRa, { identifier: organisation, responsibleSsin: lucas.ssin, description: 'etk test' }, OFFICER);
    const application = await issueHolder(t, certRa, lucas, { ids: [organisation], firstNames: [], name: 'Test Hospital' }, { applicationId: 'MYAPP' });
    expect((await registration.holderOf(application.signer)).holder).toEqual({ type: 'CBE', value: organisation.value, applicationId: 'MYAPP' });
  });

  it('UNTRUSTED_SIGNER for a certificate this platform did not issue, even under one of our serial numbers', async () => {
    const holder = await newPersonHolder();
    const citizen = signerFromCertificate('ehealth', holder.person.identity.authentication.certificate, holder.person.identity.chain);
    expect(await refusalOf(() => registration.holderOf(citizen))).toBe('UNTRUSTED_SIGNER');
    const lookalike = await issueCertificate({ subject: `CN=SSIN=${holder.person.ssin}, O=Federal Government, C=BE`, serialNumber: holder.issued.serialHex });
    const forged = signerFromCertificate('ehealth', lookalike.der);
    expect(normaliseSerialHex(forged.serialNumberHex)).toBe(normaliseSerialHex(holder.signer.serialNumberHex));
    expect(await refusalOf(() => registration.holderOf(forged))).toBe('UNTRUSTED_SIGNER');
  });

  it('NOT_AUTHORIZED for a certificate of ours, with an eHealth DN, whose profile is not an eHealth holder profile', async () => {
    const { clock, db, issuer, config } = t.services;
    const dn = { type: 'CBE', id: testCbe(++sequence), name: 'Test Hospital' };
    const subject = [...ehealthDnAttributes(dn)].reverse().map((a) => ({ type: a.type as DnAttributeType, value: a.value }));
    const issued = await db.transaction((tx) =>
      issuer.issueFromTemplate(
        tx,
        { subject, subjectPublicKeySpki: spkiOf(freshKey()), profile: organisationAuthentication, environment: config.environment, now: clock.now() },
        'test',
      ),
    );
    expect(issued.subjectDn).toBe(buildEhealthDn(dn));
    expect(await refusalOf(() => registration.holderOf(signerFromCertificate('ehealth', issued.der)))).toBe('NOT_AUTHORIZED');
  });

  it('leaves revocation to the front end: a revoked certificate still has a holder, but nothing it registers is published', async () => {
    const holder = await newPersonHolder();
    const contract = await generateRevocationContract(certRa, {
      publicKeyIdentifier: holder.issued.subjectKeyIdentifierHex,
      signer: actorOf(holder.person),
      reason: 'keyCompromise',
    });
    await revokeCertificate(certRa, {
      signer: eidSignatureSigner(holder.person.identity),
      publicKeyIdentifier: holder.issued.subjectKeyIdentifierHex,
      contract,
      signedRequest: '<r/>',
    });
    expect((await registration.holderOf(holder.signer)).issuedCertificateId).toBe(holder.issued.id);
    await register(holder);
    expect(await published(holder)).toBeUndefined();
  });
});

describe('EtkRA: registration of a first ETK', () => {
  it('proves possession of the encryption key by a challenge, then publishes the ETK at once', async () => {
    const holder = await newPersonHolder();
    const encryptionKey = freshKey();
    const { challenge, serial } = await start(holder, encryptionKey);
    expect(challenge).toHaveLength(256 + 32);
    expect(serial).toHaveLength(16);
    expect(await etkStatusOf(holder)).toBe('IN_REQUEST');
    expect(await published(holder)).toBeUndefined();

    const toBe = await toBeRegistered(holder, encryptionKey, serial);
    const { etk, toBeActivated } = await registration.complete(await registration.holderOf(holder.signer), toBe);
    expect(toBeActivated).toBe(false);
    const parsed = parseEtk(etk);
    expect(parsed.encryptionCertificate).toEqual(toBe);
    expect(parsed.authenticationCertificate).toEqual(holder.certificate);
    expect(await published(holder)).toEqual(etk);
    expect(await etkStatusOf(holder)).toBe('VALID_ACTIVE');
  });
});

describe('EtkRA: the challenge', () => {
  it('is single use: CHALLENGE_INVALID the second time, and nothing changes', async () => {
    const holder = await newPersonHolder();
    const encryptionKey = freshKey();
    const { serial } = await start(holder, encryptionKey);
    const { etk } = await complete(holder, encryptionKey, serial);
    await expectRefusedUnchanged(state, 'CHALLENGE_INVALID', () => complete(holder, encryptionKey, serial));
    expect(await published(holder)).toEqual(etk);
  });

  it('expires after ETKRA_CHALLENGE_TTL_SECONDS: CHALLENGE_INVALID, and nothing changes', async () => {
    const ttlMs = t.services.config.etkChallengeTtlSeconds * 1000;
    const holder = await newPersonHolder();
    const [inTime, late] = [freshKey(), freshKey()];
    const first = await start(holder, inTime);
    const second = await start(holder, late);
    const startedAt = t.clock.now();
    try {
      t.clock.set(new Date(startedAt.getTime() + ttlMs - 1000));
      expect((await complete(holder, inTime, first.serial)).toBeActivated).toBe(false);
      t.clock.set(new Date(startedAt.getTime() + ttlMs));
      await expectRefusedUnchanged(state, 'CHALLENGE_INVALID', () => complete(holder, late, second.serial));
    } finally {
      t.clock.set(startedAt);
    }
  });

  it("is the signer's own: CHALLENGE_INVALID for another holder's serial", async () => {
    const holder = await newPersonHolder();
    const other = await newPersonHolder();
    const encryptionKey = freshKey();
    const { serial } = await start(other, encryptionKey);
    await start(holder, encryptionKey);
    await expectRefusedUnchanged(state, 'CHALLENGE_INVALID', () => complete(holder, encryptionKey, serial));
  });

  it('binds the announced key: ETK_KEY_MISMATCH for another key, and the challenge stays open for the right one', async () => {
    const holder = await newPersonHolder();
    const encryptionKey = freshKey();
    const { serial } = await start(holder, encryptionKey);
    await expectRefusedUnchanged(state, 'ETK_KEY_MISMATCH', () => complete(holder, freshKey(), serial));
    expect((await complete(holder, encryptionKey, serial)).toBeActivated).toBe(false);
  });

  describe('is only issued for a new RSA-2048 key', () => {
    let holder: ServiceHolder;
    beforeAll(async () => {
      holder = await newPersonHolder();
    });

    it.each([
      ['RSA-1024', () => spkiOf(sharedTestKey('RSA-1024'))],
      ['RSA-3072', () => spkiOf(sharedTestKey('RSA-3072'))],
      ['RSA-2048 with exponent 3', () => spkiOf(sharedTestKey('RSA-2048-e3'))],
      ['EC P-256', () => spkiOf(sharedTestKey('P-256'))],
      ['the authentication key itself', () => spkiOf(holder.key)],
    ])('WEAK_KEY for %s, and nothing changes', async (_name, spki) => {
      const authenticated = await registration.holderOf(holder.signer);
      await expectRefusedUnchanged(state, 'WEAK_KEY', () => registration.start(authenticated, spki()));
    });
  });
});

describe('EtkRA: replacement and activateETK', () => {
  it('keeps the ETK of a new certificate waiting while the previous one is valid, until activateETK publishes it', async () => {
    const first = await newPersonHolder();
    const firstEtk = await register(first);
    expect(firstEtk.toBeActivated).toBe(false);
    await expectRefusedUnchanged(state, 'NOTHING_TO_ACTIVATE', async () => registration.activate(await registration.holderOf(first.signer)));

    const startedAt = t.clock.now();
    try {
      // The renewed certificate of the same person, requested in the replacement period of the first.
      t.clock.set(addMonths(first.issued.notAfter, -3));
      const renewed = { ...(await issueHolder(t, certRa, first.person)), person: first.person };
      const discarded = await register(renewed);
      const waiting = await register(renewed);
      expect([discarded.toBeActivated, waiting.toBeActivated]).toEqual([true, true]);
      expect(await published(first)).toEqual(firstEtk.etk);
      expect(await etkStatusOf(renewed)).toBe('WAIT_FOR_ACTIVATION');
      expect(await etkStatusOf(first)).toBe('VALID_ACTIVE');

      // Only the certificate the ETK waits for may activate it, and only while it is valid.
      await expectRefusedUnchanged(state, 'NOTHING_TO_ACTIVATE', async () => registration.activate(await registration.holderOf(first.signer)));
      const activatedAt = t.clock.now();
      t.clock.set(renewed.issued.notAfter);
      await expectRefusedUnchanged(state, 'NOTHING_TO_ACTIVATE', async () => registration.activate(await registration.holderOf(renewed.signer)));
      t.clock.set(activatedAt);

      await registration.activate(await registration.holderOf(renewed.signer));
      expect(await published(first)).toEqual(waiting.etk);
      expect(await etkStatusOf(renewed)).toBe('VALID_ACTIVE');
      expect(await etkStatusOf(first)).toBe('REVOKED');
      await expectRefusedUnchanged(state, 'NOTHING_TO_ACTIVATE', async () => registration.activate(await registration.holderOf(renewed.signer)));
      expect(await etkRepository.findWaitingForCertificate(t.database.db, renewed.issued.id)).toBeUndefined();
    } finally {
      t.clock.set(startedAt);
    }
  });
});
