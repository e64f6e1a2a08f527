import { randomBytes } from 'node:crypto';
import { parseEtk } from '../../src/ca/etk/index.js';
import { mintCitizenIdentity } from '../../src/ca/hierarchy/index.js';
import { parseCertificate } from '../../src/x509/certificate.js';
import { sharedTestKey, spkiOf } from '../../src/ca/issuance/testing.js';
import { organisationAuthentication } from '../../src/ca/profiles/index.js';
import { buildCsr, encodeNameDer } from '../../src/ca/x509/index.js';
import { buildEhealthDn } from '../../src/identifiers/index.js';
import { NS, STATUS_SUCCESS_V2 } from '../../src/soap/namespaces.js';
import { etkRepository } from '../../src/storage/etk-repository.js';
import { textEl } from '../../src/xml/builder.js';
import { createHierarchy } from '../support/dsig-test-pki.js';
import {
  activate,
  callEtkRa,
  completeRegistration,
  etkRaEnvelope,
  etkRaText,
  freshKey,
  getEtk,
  mintHolder,
  register,
  revokeHolder,
  startRegistration,
  testCbe,
  testSsin,
  toBeRegistered,
  toBeRegisteredVariant,
  type EtkRaResult,
  type Holder,
} from '../support/etk-client.js';
import { etkState } from '../support/etk-state.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

const REQUESTER = 'urn:be:fgov:ehealth:2.0:status:Requester';
const TTL_SECONDS = 120;

let t: TestPlatform;
let next = 0;
/** A holder with a DN nobody else in this file uses. */
const newPerson = (name = 'Jan Test') => mintHolder(t, { type: 'SSIN', id: testSsin(++next), name });

beforeAll(async () => {
  t = await startTestPlatform({ ETKRA_CHALLENGE_TTL_SECONDS: String(TTL_SECONDS) });
});
afterAll(async () => {
  await t.close();
});

function expectRefused(result: EtkRaResult, code: string): void {
  expect(result.httpStatus).toBe(200);
  expect({ status: result.statusCode, message: result.statusMessage?.split(':')[0] }).toEqual({ status: REQUESTER, message: code });
}

async function statusOf(holder: Holder) {
  return etkRepository.statusForCertificate(t.database.db, holder.issued.id, t.clock.now());
}

describe('EtkRA v2: registration of a first ETK', () => {
  it('answers a Challenge of RSA PKCS#1 v1.5 (16-byte serial) followed by SHA-256 of the serial: 288 bytes', async () => {
    const holder = await newPerson();
    expect(await statusOf(holder)).toBe('NOT_REQUESTED');
    const { challenge, serial, result } = await startRegistration(t, holder);
    expect(result.statusCode).toBe(STATUS_SUCCESS_V2);
    expect(challenge).toHaveLength(288);
    expect(serial).toHaveLength(16);
    expect(await statusOf(holder)).toBe('IN_REQUEST');
    // InResponseTo echoes the request's Id (set by the signer, as RaUtils does).
    expect(result.response.getAttribute('InResponseTo')).toMatch(/^_[0-9a-f-]{36}$/);
    expect(result.response.localName).toBe('StartETKRegistrationResponse');
  });

  it('builds the ETK of wire facts §5, publishes it at once (ToBeActivated false) and GetEtk finds it', async () => {
    const holder = await newPerson();
    const registration = await register(t, holder);
    expect(registration.toBeActivated).toBe(false);
    const etk = parseEtk(registration.etk);
    expect(etk.encryptionCertificate).toEqual(registration.encryptionCertificate);
    expect(etk.authenticationCertificate).toEqual(holder.certificate);
    expect(etk.etkRaCertificate).toEqual(t.platform.services.ca.etkRa.cert);
    expect(etk.chain).toEqual(t.platform.services.ca.issuingChain);
    expect(etk.verify([t.platform.services.ca.root.cert], { now: t.clock.now() })).toEqual({ valid: true, problems: [] });
    const authentication = parseCertificate(holder.certificate);
    expect([etk.notBefore, etk.notAfter]).toEqual([authentication.notBefore, authentication.notAfter]);
    expect(await statusOf(holder)).toBe('VALID_ACTIVE');
    const found = await getEtk(t, [{ type: 'SSIN', value: holder.dn.id }]);
    expect({ code: found.code, etk: found.etk }).toEqual({ code: '200', etk: registration.etk });
  });

  it('registers organisations under their type, value and application id', async () => {
    const organisation = await mintHolder(t, { type: 'CBE', id: testCbe(7), name: 'Test Hospital', applicationId: 'MYAPP' });
    const registration = await register(t, organisation);
    expect(registration.toBeActivated).toBe(false);
    const found = await getEtk(t, [{ type: 'CBE', value: testCbe(7), applicationId: 'MYAPP' }]);
    expect(found.etk).toEqual(registration.etk);
  });
});

describe('EtkRA v2: replacement and activateETK', () => {
  it('keeps a replacement ETK waiting (ToBeActivated true) until activateETK signed with the new certificate', async () => {
    const old = await newPerson('Replaced Holder');
    const first = await register(t, old);
    const renewed = await mintHolder(t, old.dn);
    const second = await register(t, renewed);
    expect(second.toBeActivated).toBe(true);
    expect(await statusOf(renewed)).toBe('WAIT_FOR_ACTIVATION');
    expect((await getEtk(t, [{ type: 'SSIN', value: old.dn.id }])).etk).toEqual(first.etk);

    const activation = await activate(t, renewed);
    expect(activation.statusCode).toBe(STATUS_SUCCESS_V2);
    expect(activation.response.localName).toBe('ActivateETKResponse');
    expect((await getEtk(t, [{ type: 'SSIN', value: old.dn.id }])).etk).toEqual(second.etk);
    expect(await statusOf(renewed)).toBe('VALID_ACTIVE');
    // The replaced ETK is no longer published.
    expect(await statusOf(old)).toBe('REVOKED');
    // Activating twice: nothing waits any more.
    expectRefused(await activate(t, renewed), 'NOTHING_TO_ACTIVATE');
  });

  it('refuses activation by another holder, and changes nothing', async () => {
    const owner = await newPerson();
    await register(t, owner);
    const renewed = await mintHolder(t, owner.dn);
    const waiting = await register(t, renewed);
    expect(waiting.toBeActivated).toBe(true);
    const stranger = await newPerson('Someone Else');
    await register(t, stranger);
    const before = await etkState(t.database.db);
    expectRefused(await activate(t, stranger), 'NOTHING_TO_ACTIVATE');
    expect(await etkState(t.database.db)).toEqual(before);
    expect(await statusOf(renewed)).toBe('WAIT_FOR_ACTIVATION');
  });

  it('refuses activation when nothing waits', async () => {
    const holder = await newPerson();
    await register(t, holder);
    const before = await etkState(t.database.db);
    expectRefused(await activate(t, holder), 'NOTHING_TO_ACTIVATE');
    expect(await etkState(t.database.db)).toEqual(before);
  });
});

describe('EtkRA v2: refusals of completeETKRegistration change nothing', () => {
  /** Starts a registration, then sends the ToBeRegistered `build` makes; expects `code` and no change at all. */
  async function expectCompleteRefused(
    code: string,
    build: (ctx: { holder: Holder; encryptionKey: ReturnType<typeof freshKey>; serial: Buffer }) => Promise<Buffer>,
    prepare?: (ctx: { holder: Holder }) => Promise<void>,
  ): Promise<void> {
    const holder = await newPerson();
    const encryptionKey = freshKey();
    const { serial } = await startRegistration(t, holder, encryptionKey);
    await prepare?.({ holder });
    const certificate = await build({ holder, encryptionKey, serial });
    const before = await etkState(t.database.db);
    expectRefused(await completeRegistration(t, holder, certificate), code);
    expect(await etkState(t.database.db)).toEqual(before);
  }

  it('a reused challenge: CHALLENGE_INVALID', async () => {
    const holder = await newPerson();
    const encryptionKey = freshKey();
    const { serial } = await startRegistration(t, holder, encryptionKey);
    const certificate = await toBeRegistered(holder, encryptionKey, serial);
    expect((await completeRegistration(t, holder, certificate)).statusCode).toBe(STATUS_SUCCESS_V2);
    const before = await etkState(t.database.db);
    expectRefused(await completeRegistration(t, holder, certificate), 'CHALLENGE_INVALID');
    expect(await etkState(t.database.db)).toEqual(before);
  });

  it('an expired challenge: CHALLENGE_INVALID', async () => {
    await expectCompleteRefused(
      'CHALLENGE_INVALID',
      ({ holder, encryptionKey, serial }) => toBeRegistered(holder, encryptionKey, serial),
      async () => t.clock.advance((TTL_SECONDS + 1) * 1000),
    );
  });

  it("another holder's challenge serial: CHALLENGE_INVALID", async () => {
    const other = await newPerson();
    const { serial: othersSerial } = await startRegistration(t, other);
    await expectCompleteRefused('CHALLENGE_INVALID', ({ holder, encryptionKey }) => toBeRegistered(holder, encryptionKey, othersSerial));
  });

  it('a wrong serial: CHALLENGE_INVALID', async () => {
    await expectCompleteRefused('CHALLENGE_INVALID', ({ holder, encryptionKey }) =>
      toBeRegistered(holder, encryptionKey, Buffer.concat([Buffer.from([0x42]), randomBytes(15)])),
    );
  });

  it('a serial longer than 16 bytes: CHALLENGE_INVALID', async () => {
    await expectCompleteRefused('CHALLENGE_INVALID', ({ holder, encryptionKey, serial }) =>
      toBeRegisteredVariant(holder, encryptionKey, serial, { serialOctets: Buffer.concat([Buffer.from([0x01]), serial]) }),
    );
  });

  it('a wrong subject DN: ETK_SUBJECT_MISMATCH', async () => {
    const otherDn = encodeNameDer([
      { type: 'C', value: 'BE' },
      { type: 'O', value: 'Federal Government' },
      { type: 'OU', value: `SSIN=${testSsin(999)}` },
      { type: 'OU', value: 'JAN TEST' },
      { type: 'OU', value: 'eHealth-platform Belgium' },
      { type: 'CN', value: `SSIN=${testSsin(999)}` },
    ]);
    await expectCompleteRefused('ETK_SUBJECT_MISMATCH', ({ holder, encryptionKey, serial }) =>
      toBeRegisteredVariant(holder, encryptionKey, serial, { subjectDer: otherDn, issuerDer: otherDn }),
    );
  });

  it('an issuer other than the authentication subject: ETK_SUBJECT_MISMATCH', async () => {
    await expectCompleteRefused('ETK_SUBJECT_MISMATCH', ({ holder, encryptionKey, serial }) =>
      toBeRegisteredVariant(holder, encryptionKey, serial, { issuerDer: parseCertificate(holder.certificate).issuerDer }),
    );
  });

  it.each([
    ['not critical', { usages: ['keyEncipherment', 'dataEncipherment'], critical: false }],
    ['without dataEncipherment', { usages: ['keyEncipherment'], critical: true }],
    ['with digitalSignature too', { usages: ['digitalSignature', 'keyEncipherment', 'dataEncipherment'], critical: true }],
    ['absent', null],
  ] as const)('a keyUsage %s: ETK_KEY_USAGE_INVALID', async (_name, keyUsage) => {
    await expectCompleteRefused('ETK_KEY_USAGE_INVALID', ({ holder, encryptionKey, serial }) =>
      toBeRegisteredVariant(holder, encryptionKey, serial, {
        keyUsage: keyUsage === null ? null : { usages: [...keyUsage.usages], critical: keyUsage.critical },
      }),
    );
  });

  it('validity not copied from the authentication certificate: ETK_VALIDITY_MISMATCH', async () => {
    await expectCompleteRefused('ETK_VALIDITY_MISMATCH', ({ holder, encryptionKey, serial }) =>
      toBeRegisteredVariant(holder, encryptionKey, serial, { notAfter: new Date(parseCertificate(holder.certificate).notAfter.getTime() + 86_400_000) }),
    );
  });

  it('signed by another key than the authentication key: ETK_SIGNATURE_INVALID', async () => {
    await expectCompleteRefused('ETK_SIGNATURE_INVALID', ({ holder, encryptionKey, serial }) =>
      toBeRegisteredVariant(holder, encryptionKey, serial, { signerKey: freshKey() }),
    );
  });

  it('another public key than the announced one: ETK_KEY_MISMATCH', async () => {
    await expectCompleteRefused('ETK_KEY_MISMATCH', ({ holder, encryptionKey, serial }) =>
      toBeRegisteredVariant(holder, encryptionKey, serial, { publicKeySpki: spkiOf(freshKey()) }),
    );
  });

  it('something that is not a certificate: ETK_INVALID', async () => {
    await expectCompleteRefused('ETK_INVALID', async () => Buffer.from('not a certificate'));
  });

  it('a signer certificate revoked after startETKRegistration: UNTRUSTED_SIGNER', async () => {
    await expectCompleteRefused(
      'UNTRUSTED_SIGNER',
      ({ holder, encryptionKey, serial }) => toBeRegistered(holder, encryptionKey, serial),
      async ({ holder }) => {
        await revokeHolder(t, holder);
      },
    );
  });

  it('no ToBeRegistered and no signature (schema-valid): INVALID_SIGNATURE', async () => {
    const before = await etkState(t.database.db);
    const envelope = `<soapenv:Envelope xmlns:soapenv="${NS.soap11}"><soapenv:Body><erp:CompleteETKRegistrationRequest xmlns:erp="${NS.etkraProtocolV2}" IssueInstant="${t.clock.now().toISOString()}"/></soapenv:Body></soapenv:Envelope>`;
    expectRefused(await callEtkRa(t, envelope), 'INVALID_SIGNATURE');
    expect(await etkState(t.database.db)).toEqual(before);
  });
});

describe('EtkRA v2: refusals of startETKRegistration change nothing', () => {
  async function expectStartRefused(
    code: string,
    envelope: (holder: Holder) => Promise<string> | string,
    holderOf: () => Promise<Holder> = () => newPerson(),
  ): Promise<void> {
    const holder = await holderOf();
    const request = await envelope(holder);
    const before = await etkState(t.database.db);
    expectRefused(await callEtkRa(t, request), code);
    expect(await etkState(t.database.db)).toEqual(before);
  }
  const startWith = (spki: Buffer, holder: Pick<Holder, 'key' | 'chain'>, issueInstant = t.clock.now()) =>
    etkRaEnvelope('StartETKRegistrationRequest', holder, [textEl('erp:PublicEncryptionKey', spki.toString('base64'))], { issueInstant });

  it.each([
    ['RSA-1024', () => spkiOf(sharedTestKey('RSA-1024'))],
    ['RSA-3072', () => spkiOf(sharedTestKey('RSA-3072'))],
    ['RSA-2048 with exponent 3', () => spkiOf(sharedTestKey('RSA-2048-e3'))],
    ['EC P-256', () => spkiOf(sharedTestKey('P-256'))],
    ['bytes that are no SubjectPublicKeyInfo', () => Buffer.from('0123456789')],
  ])('a weak or wrong key (%s): WEAK_KEY', async (_name, spki) => {
    await expectStartRefused('WEAK_KEY', (holder) => startWith(spki(), holder));
  });

  it('the authentication key as encryption key: WEAK_KEY', async () => {
    await expectStartRefused('WEAK_KEY', (holder) => startWith(spkiOf(holder.key), holder));
  });

  it('a revoked signer certificate: UNTRUSTED_SIGNER', async () => {
    await expectStartRefused(
      'UNTRUSTED_SIGNER',
      (holder) => startWith(spkiOf(freshKey()), holder),
      async () => {
        const holder = await newPerson();
        await revokeHolder(t, holder);
        return holder;
      },
    );
  });

  it('a certificate of a foreign CA: UNTRUSTED_SIGNER', async () => {
    const foreign = await createHierarchy('rsa-2048');
    await expectStartRefused('UNTRUSTED_SIGNER', () =>
      startWith(spkiOf(freshKey()), { key: foreign.leaf.privateKey, chain: [foreign.leaf.der, foreign.intermediate.der] }),
    );
  });

  it('an eID (citizen) certificate: UNTRUSTED_SIGNER', async () => {
    const citizenCa = t.platform.services.ca.citizenCa!;
    const citizen = await mintCitizenIdentity({ ssin: testSsin(500), givenName: 'Jan', surname: 'Test' }, citizenCa);
    await expectStartRefused('UNTRUSTED_SIGNER', () =>
      startWith(spkiOf(freshKey()), { key: citizen.authentication.privateKey, chain: [citizen.authentication.certificate, ...citizen.chain] }),
    );
  });

  it('a certificate of ours that is not an eHealth holder certificate: NOT_AUTHORIZED', async () => {
    const key = freshKey();
    const dn = { type: 'CBE', id: testCbe(501), name: 'Some Company' };
    const subject = [
      { type: 'C', value: 'BE' },
      { type: 'O', value: 'Federal Government' },
      { type: 'OU', value: `CBE=${testCbe(501)}` },
      { type: 'OU', value: 'SOME COMPANY' },
      { type: 'OU', value: 'eHealth-platform Belgium' },
      { type: 'CN', value: `CBE=${testCbe(501)}` },
    ] as const;
    const context = t.platform.services;
    const issued = await t.database.db.transaction((tx) =>
      context.issuer.issueFromCsr(
        tx,
        {
          csrDer: buildCsr(subject, key),
          expectedSubjectDn: buildEhealthDn(dn),
          profile: organisationAuthentication,
          environment: context.config.environment,
          now: t.clock.now(),
        },
        'test',
      ),
    );
    await expectStartRefused('NOT_AUTHORIZED', () => startWith(spkiOf(freshKey()), { key, chain: [issued.der, ...context.issuer.chainWithoutRoot()] }));
  });

  it('a request altered after signing: INVALID_SIGNATURE', async () => {
    await expectStartRefused('INVALID_SIGNATURE', (holder) =>
      startWith(spkiOf(freshKey()), holder).replace(
        /(<erp:PublicEncryptionKey>)([^<]+)/,
        (_m, open: string) => `${open}${spkiOf(freshKey()).toString('base64')}`,
      ),
    );
  });

  it('a stale IssueInstant: REQUEST_EXPIRED', async () => {
    await expectStartRefused('REQUEST_EXPIRED', (holder) => startWith(spkiOf(freshKey()), holder, new Date(t.clock.now().getTime() - 3_600_000)));
  });
});

describe('EtkRA v2: the signer of activateETK', () => {
  it('refuses a revoked certificate (UNTRUSTED_SIGNER) and keeps the waiting ETK unpublished', async () => {
    const owner = await newPerson();
    const first = await register(t, owner);
    const renewed = await mintHolder(t, owner.dn);
    expect((await register(t, renewed)).toBeActivated).toBe(true);
    await revokeHolder(t, renewed);
    const before = await etkState(t.database.db);
    expectRefused(await activate(t, renewed), 'UNTRUSTED_SIGNER');
    expect(await etkState(t.database.db)).toEqual(before);
    expect((await getEtk(t, [{ type: 'SSIN', value: owner.dn.id }])).etk).toEqual(first.etk);
    expect(await statusOf(renewed)).toBe('REVOKED');
  });
});

describe('EtkRA v2: responses', () => {
  it('carry the ETK and ToBeActivated in CompleteETKRegistrationResponse', async () => {
    const holder = await newPerson();
    const encryptionKey = freshKey();
    const { serial } = await startRegistration(t, holder, encryptionKey);
    const result = await completeRegistration(t, holder, await toBeRegistered(holder, encryptionKey, serial));
    expect(result.response.localName).toBe('CompleteETKRegistrationResponse');
    expect(etkRaText(result, 'ToBeActivated')).toBe('false');
    expect(parseEtk(Buffer.from(etkRaText(result, 'ETK')!, 'base64')).authenticationCertificate).toEqual(holder.certificate);
  });
});
