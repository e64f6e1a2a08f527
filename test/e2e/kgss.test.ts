import { execFile } from 'node:child_process';
import { constants, createDecipheriv, createPrivateKey, privateDecrypt, randomBytes, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseEtk } from '../../src/ca/etk/index.js';
import { parseEhealthDn } from '../../src/identifiers/index.js';
import { parseCertificate } from '../../src/x509/certificate.js';
import { mintHolder, register, revokeHolder, testSsin, getEtk, type Holder } from '../support/etk-client.js';
import { readFault, signRequest } from '../support/etk-wss.js';
import {
  callKgss,
  getKey,
  getKeyContent,
  getNewKey,
  getNewKeyContent,
  kgssEnvelope,
  openAnswer,
  readKgssAnswer,
  sealToKgss,
  type KgssParty,
} from '../support/kgss-client.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { createTestSts, holderOfKeyAssertion, signWithAssertion, type TestSts } from '../support/saml-hok.js';
import { tableCounts } from '../support/test-database.js';

const run = promisify(execFile);

/**
 * KGSS v1 end to end over SOAP (issue #14): the KGSS's ETK in ETKDepot; GetNewKey sealed to it; the key encrypting a
 * message for an unknown recipient (a CMS KEKRecipientInfo, made by OpenSSL); GetKey by a reader on the access list
 * (answer to its ETK, or under a one-off key) decrypting that message; NO_KEY_FOUND alike for a stranger and an
 * unknown key; readers authenticated by X.509 (attributes from our registries) or by a SAML holder-of-key assertion
 * of a configured STS (attributes asserted); refusals that store nothing; keys at rest unreadable without the key custody.
 */
describe('KGSS v1', () => {
  let t: TestPlatform;
  let kgssEtk: Buffer;
  let creator: KgssParty;
  let patient: KgssParty;
  let stranger: KgssParty;
  let work: string;
  let sts: TestSts;
  const IDENTIFICATION = 'urn:be:fgov:identification-namespace';
  const CERTIFIED = 'urn:be:fgov:certified-namespace:ehealth';
  const DOCTOR = { namespace: CERTIFIED, name: 'urn:be:fgov:person:ssin:doctor:boolean', values: ['true'] };

  async function party(n: number, name: string): Promise<KgssParty> {
    const holder: Holder = await mintHolder(t, { type: 'SSIN', id: testSsin(n), name });
    const registration = await register(t, holder);
    return { holder, etk: registration.etk, encryptionKey: registration.encryptionKey };
  }

  /** OpenSSL as the sender of a message for an unknown recipient: an EnvelopedData to the KGSS key (KEKRecipientInfo). */
  async function encryptToKey(name: string, text: string, key: Buffer, keyIdentifier: Buffer): Promise<string> {
    writeFileSync(join(work, `${name}.txt`), text);
    const out = join(work, `${name}.cms`);
    await run('openssl', [
      'cms',
      '-encrypt',
      '-binary',
      '-aes128',
      '-in',
      join(work, `${name}.txt`),
      '-outform',
      'DER',
      '-out',
      out,
      '-secretkey',
      key.toString('hex'),
      '-secretkeyid',
      keyIdentifier.toString('hex'),
    ]);
    return out;
  }

  /** OpenSSL as the reader: the message decrypted with the key GetKey released. */
  async function decryptWithKey(file: string, key: Buffer, keyIdentifier: Buffer): Promise<string> {
    const { stdout } = await run('openssl', [
      'cms',
      '-decrypt',
      '-binary',
      '-inform',
      'DER',
      '-in',
      file,
      '-secretkey',
      key.toString('hex'),
      '-secretkeyid',
      keyIdentifier.toString('hex'),
    ]);
    return stdout;
  }

  beforeAll(async () => {
    sts = createTestSts();
    t = await startTestPlatform({ KGSS_STS_CERT_FILES: sts.pemFile });
    work = mkdtempSync(join(tmpdir(), 'kgss-'));
    creator = await party(701, 'Dora Doctor');
    patient = await party(702, 'Paul Patient');
    stranger = await party(703, 'Sam Stranger');
    const lookup = await getEtk(t, [{ type: 'CBE', value: '0809394427', applicationId: 'KGSS' }]);
    expect(lookup.code).toBe('200');
    kgssEtk = lookup.etk!;
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    sts?.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const patientOnly = () => [{ namespace: IDENTIFICATION, name: 'urn:be:fgov:person:ssin', values: [patient.holder.dn.id] }];

  it('publishes its own ETK in ETKDepot under CBE 0809394427 / KGSS, issued by our CA', () => {
    const etk = parseEtk(kgssEtk);
    expect(etk.verify([t.platform.services.ca.root.cert], { now: t.clock.now() }).valid).toBe(true);
    expect(parseEhealthDn(parseCertificate(etk.authenticationCertificate).subjectDn)).toMatchObject({ type: 'CBE', id: '0809394427', applicationId: 'KGSS' });
  });

  it('GetNewKey → a key for an unknown recipient; a reader on the list gets it (ETK or one-off key) and decrypts the message', async () => {
    const created = await getNewKey(t, creator, kgssEtk, patientOnly());
    expect({ code: created.code, errors: created.errors }).toEqual({ code: '200', errors: [] });
    const content = openAnswer(created, { party: creator }, kgssEtk);
    const keyIdentifier = content.value('NewKeyIdentifier')!;
    const key = content.value('NewKey')!;
    expect(key.length).toBe(16);

    // The creator encrypts a message to the key (KEKRecipientInfo, AES key wrap): OpenSSL stands in for the sender.
    const message = await encryptToKey('message', 'Rx: amoxicilline 500 mg', key, keyIdentifier);

    const byEtk = await getKey(t, patient, kgssEtk, keyIdentifier);
    expect({ code: byEtk.code, errors: byEtk.errors }).toEqual({ code: '200', errors: [] });
    const released = openAnswer(byEtk, { party: patient }, kgssEtk).value('Key')!;
    expect(released).toEqual(key);
    expect(await decryptWithKey(message, released, keyIdentifier)).toBe('Rx: amoxicilline 500 mg');

    const kek = randomBytes(16);
    const byKek = await getKey(t, patient, kgssEtk, keyIdentifier, { kek });
    expect(byKek.code).toBe('200');
    expect(openAnswer(byKek, { kek }, kgssEtk).value('Key')).toEqual(key);
  }, 60_000);

  it('a reader not on the list and an unknown key get the same NO_KEY_FOUND', async () => {
    const created = await getNewKey(t, creator, kgssEtk, patientOnly());
    const keyIdentifier = openAnswer(created, { party: creator }, kgssEtk).value('NewKeyIdentifier')!;
    const refused = await getKey(t, stranger, kgssEtk, keyIdentifier);
    const unknown = await getKey(t, patient, kgssEtk, randomBytes(32));
    for (const answer of [refused, unknown]) {
      expect(answer.sealed).toBeUndefined();
      expect({ code: answer.code, message: answer.message }).toEqual({ code: '400', message: 'NO_KEY_FOUND' });
    }
    expect(refused.errors).toEqual(unknown.errors);
    expect(refused.errors).toEqual([{ code: 'NO_KEY_FOUND', message: 'No key with this identifier is available to this reader' }]);
  }, 60_000);

  it('audits who created a key, who got it and who was refused (the refusal says whether the key exists; the answer does not)', async () => {
    const created = await getNewKey(t, creator, kgssEtk, patientOnly());
    const keyIdentifier = openAnswer(created, { party: creator }, kgssEtk).value('NewKeyIdentifier')!;
    expect((await getKey(t, patient, kgssEtk, keyIdentifier)).code).toBe('200');
    expect((await getKey(t, stranger, kgssEtk, keyIdentifier)).code).toBe('400');
    const audit = await t.database.db.query<{ action: string; actor: string; details: Record<string, unknown> }>(
      'SELECT action, actor, details FROM audit_log WHERE subject = $1 ORDER BY id',
      [keyIdentifier.toString('base64')],
    );
    expect(audit).toEqual([
      { action: 'kgss.key.created', actor: creator.holder.dnString, details: { allowedReaders: patientOnly(), excludedReaders: [] } },
      { action: 'kgss.key.released', actor: patient.holder.dnString, details: { authentication: 'x509', known: true } },
      { action: 'kgss.key.refused', actor: stranger.holder.dnString, details: { authentication: 'x509', known: true } },
    ]);
  });

  it('a value-less credential admits any value; an excluded reader is refused', async () => {
    const anySsin = [{ namespace: IDENTIFICATION, name: 'urn:be:fgov:person:ssin', values: [] }];
    const created = await getNewKey(t, creator, kgssEtk, anySsin, [
      { namespace: IDENTIFICATION, name: 'urn:be:fgov:person:ssin', values: [stranger.holder.dn.id] },
    ]);
    const keyIdentifier = openAnswer(created, { party: creator }, kgssEtk).value('NewKeyIdentifier')!;
    expect((await getKey(t, patient, kgssEtk, keyIdentifier)).code).toBe('200');
    expect((await getKey(t, stranger, kgssEtk, keyIdentifier)).message).toBe('NO_KEY_FOUND');
  }, 60_000);

  it('GetKey needs WS-Security, by the same party that sealed the request', async () => {
    const created = await getNewKey(t, creator, kgssEtk, patientOnly());
    const keyIdentifier = openAnswer(created, { party: creator }, kgssEtk).value('NewKeyIdentifier')!;
    const sealed = await sealToKgss(getKeyContent(keyIdentifier, { etk: patient.etk }), patient, kgssEtk, t.clock.now());
    const unsigned = await t.soap('/Kgss/v1', kgssEnvelope('GetKeyRequest', sealed));
    expect(unsigned.status).toBe(500);
    expect(readFault(unsigned.body)).toMatchObject({ faultcode: 'soapenv:Client', code: 'WS_SECURITY_REQUIRED' });
    // Sealed by the patient, signed on the wire by the stranger: the patient's request replayed by someone else.
    const replayed = signRequest(
      kgssEnvelope('GetKeyRequest', sealed),
      { key: stranger.holder.key, certificate: stranger.holder.certificate },
      { now: t.clock.now() },
    );
    const answer = await callKgss(t, replayed);
    expect(answer.errors.map((e) => e.code)).toEqual(['SENDER_NOT_TRUSTED']);
  }, 60_000);

  it('refusals store nothing: altered sealed content, an ETK that is not the creator’s, no allowed reader, a stranger’s certificate', async () => {
    const before = await tableCounts(t.database.db);
    const good = await sealToKgss(getNewKeyContent({ allowed: patientOnly(), etk: creator.etk }), creator, kgssEtk, t.clock.now());
    const altered = Buffer.from(good);
    altered[altered.length - 300]! ^= 0x40;
    const cases: Array<[string, Buffer]> = [
      ['INVALID_SEALED_CONTENT', altered],
      ['INVALID_SEALED_CONTENT', randomBytes(200)],
      ['INVALID_ETK', await sealToKgss(getNewKeyContent({ allowed: patientOnly(), etk: patient.etk }), creator, kgssEtk, t.clock.now())],
      [
        'INVALID_REQUEST',
        await sealToKgss(
          '<GetNewKeyRequestContent xmlns="urn:be:fgov:ehealth:etee:kgss:1_0:protocol"><ETK>AA==</ETK></GetNewKeyRequestContent>',
          creator,
          kgssEtk,
          t.clock.now(),
        ),
      ],
      ['INVALID_REQUEST', await sealToKgss('<!DOCTYPE x [<!ENTITY e "x">]><GetNewKeyRequestContent/>', creator, kgssEtk, t.clock.now())],
    ];
    for (const [code, sealed] of cases) {
      const answer = await callKgss(t, kgssEnvelope('GetNewKeyRequest', sealed));
      expect({ code, got: answer.errors.map((e) => e.code), sealed: answer.sealed }).toEqual({ code, got: [code], sealed: undefined });
    }
    const after = await tableCounts(t.database.db);
    expect(after.kgss_keys).toBe(before.kgss_keys);
  }, 60_000);

  it('a sender revoked after its status was cached is refused at its next request (the revocation NOTIFY flushes the cache)', async () => {
    const sender = await party(704, 'Rita Revoked');
    const request = () => getNewKey(t, sender, kgssEtk, patientOnly());
    expect((await request()).code).toBe('200');
    // White-box: revoke behind the cache's back (no NOTIFY). The cached status still admits the sender...
    await t.database.db.query('UPDATE issued_certificates SET revoked_at = $2 WHERE id = $1', [sender.holder.issued.id, t.clock.now()]);
    expect((await request()).code).toBe('200');
    await t.database.db.query('UPDATE issued_certificates SET revoked_at = NULL WHERE id = $1', [sender.holder.issued.id]);
    // ...until a real revocation, whose NOTIFY reaches the cache when its transaction commits; nothing is stored.
    await revokeHolder(t, sender.holder);
    const before = await tableCounts(t.database.db);
    const refused = await request();
    expect({ code: refused.code, errors: refused.errors.map((e) => e.code) }).toEqual({ code: '400', errors: ['SENDER_NOT_TRUSTED'] });
    expect((await tableCounts(t.database.db)).kgss_keys).toBe(before.kgss_keys);
  });

  it('keys at rest are wrapped under a data key, itself under the key-encryption key: the tables never hold them in clear', async () => {
    const created = await getNewKey(t, creator, kgssEtk, patientOnly());
    const content = openAnswer(created, { party: creator }, kgssEtk);
    const key = content.value('NewKey')!;
    const rows = await t.database.db.query<{ wrapped_key: Buffer; key_identifier: Buffer; data_key_id: bigint; data_key: Buffer; kek_id: string }>(
      'SELECT k.wrapped_key, k.key_identifier, k.data_key_id, d.wrapped_key AS data_key, d.kek_id FROM kgss_keys k JOIN kgss_data_keys d ON d.id = k.data_key_id WHERE k.key_identifier = $1',
      [content.value('NewKeyIdentifier')!],
    );
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row.wrapped_key.length).toBe(24); // AES key wrap of 16 bytes
    expect(row.data_key.length).toBe(384); // an AES-256 data key under RSA-3072 OAEP
    const everything = Buffer.concat([row.wrapped_key, row.key_identifier, row.data_key, Buffer.from(row.kek_id)]);
    expect(everything.includes(key)).toBe(false);
    // The data key opens only with the KGSS key-encryption key, an encrypted PKCS#8 in the key directory.
    const kekFile = readFileSync(join(t.dataDir, 'ca', 'kgss', 'kek.key.pem'), 'utf8');
    expect(kekFile).toContain('BEGIN ENCRYPTED PRIVATE KEY');
    const kek = createPrivateKey({ key: kekFile, passphrase: readFileSync(join(t.dataDir, 'ca', 'passphrase'), 'utf8').trim() });
    const dataKey = privateDecrypt({ key: kek, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, row.data_key);
    const unwrapper = createDecipheriv('id-aes256-wrap', dataKey, Buffer.from('a6a6a6a6a6a6a6a6', 'hex'));
    expect(Buffer.concat([unwrapper.update(row.wrapped_key), unwrapper.final()])).toEqual(key);
  }, 60_000);

  /** GetKey as the connector sends it with an STS token: the sealed content, and the holder's signature naming the assertion. */
  async function getKeyWithAssertion(
    reader: KgssParty,
    keyIdentifier: Buffer,
    attributes: (typeof DOCTOR)[],
    options: { signWith?: { certificate: Buffer; key: KeyObject }; holder?: KgssParty; validSeconds?: number } = {},
  ) {
    const sealed = await sealToKgss(getKeyContent(keyIdentifier, { etk: reader.etk }), reader, kgssEtk, t.clock.now());
    const assertion = holderOfKeyAssertion({
      sts,
      holderCertificate: (options.holder ?? reader).holder.certificate,
      attributes,
      now: t.clock.now(),
      ...(options.signWith ? { signWith: options.signWith } : {}),
      ...(options.validSeconds !== undefined ? { validSeconds: options.validSeconds } : {}),
    });
    const envelope = signWithAssertion(kgssEnvelope('GetKeyRequest', sealed), assertion, reader.holder.key, t.clock.now());
    return t.soap('/Kgss/v1', envelope);
  }

  it('SAML holder-of-key: "doctors only" — a reader the STS asserts is a doctor gets the key and decrypts; others get NO_KEY_FOUND', async () => {
    const created = await getNewKey(t, creator, kgssEtk, [DOCTOR]);
    const content = openAnswer(created, { party: creator }, kgssEtk);
    const keyIdentifier = content.value('NewKeyIdentifier')!;
    const key = content.value('NewKey')!;
    const message = await encryptToKey('doctors', 'for doctors only', key, keyIdentifier);

    const doctorAnswer = await getKeyWithAssertion(patient, keyIdentifier, [
      DOCTOR,
      { namespace: IDENTIFICATION, name: 'urn:be:fgov:person:ssin', values: [patient.holder.dn.id] },
    ]);
    const doctor = readKgssAnswer(doctorAnswer.status, doctorAnswer.body);
    expect({ code: doctor.code, errors: doctor.errors }).toEqual({ code: '200', errors: [] });
    const released = openAnswer(doctor, { party: patient }, kgssEtk).value('Key')!;
    expect(await decryptWithKey(message, released, keyIdentifier)).toBe('for doctors only');

    const nurseAnswer = await getKeyWithAssertion(stranger, keyIdentifier, [
      { namespace: CERTIFIED, name: 'urn:be:fgov:person:ssin:nurse:boolean', values: ['true'] },
    ]);
    const notDoctor = await getKeyWithAssertion(stranger, keyIdentifier, [{ ...DOCTOR, values: ['false'] }]);
    const unknownAnswer = await getKeyWithAssertion(patient, randomBytes(32), [DOCTOR]);
    const refusals = [nurseAnswer, notDoctor, unknownAnswer].map((answer) => readKgssAnswer(answer.status, answer.body));
    for (const refusal of refusals)
      expect({ message: refusal.message, errors: refusal.errors, sealed: refusal.sealed }).toEqual({
        message: 'NO_KEY_FOUND',
        errors: refusals[0]!.errors,
        sealed: undefined,
      });
  }, 60_000);

  it('SAML holder-of-key refusals: another STS, someone else’s assertion, an expired assertion — Client faults', async () => {
    const created = await getNewKey(t, creator, kgssEtk, [DOCTOR]);
    const keyIdentifier = openAnswer(created, { party: creator }, kgssEtk).value('NewKeyIdentifier')!;
    const rogue = createTestSts();
    try {
      const cases = [
        ['UNTRUSTED', await getKeyWithAssertion(patient, keyIdentifier, [DOCTOR], { signWith: { certificate: rogue.certificate, key: rogue.key } })],
        // The assertion confirms the patient's key; the stranger signs the message with their own.
        ['BAD_SIGNATURE_VALUE', await getKeyWithAssertion(stranger, keyIdentifier, [DOCTOR], { holder: patient })],
        ['TIMESTAMP_EXPIRED', await getKeyWithAssertion(patient, keyIdentifier, [DOCTOR], { validSeconds: -600 })],
      ] as const;
      for (const [reason, response] of cases) {
        expect(response.status).toBe(500);
        const fault = readFault(response.body);
        expect({ reason, code: fault.code, message: fault.message.split(':')[0] }).toEqual({ reason, code: 'WS_SECURITY_INVALID', message: reason });
      }
    } finally {
      rogue.cleanup();
    }
  }, 60_000);

  it('serves its WSDL', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/Kgss/v1?wsdl' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('KgssPortType');
  });
});
