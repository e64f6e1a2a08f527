import { createDecipheriv, createPublicKey, randomBytes } from 'node:crypto';
import { parseEtk } from '../../src/ca/etk/index.js';
import { keyReferenceUri } from '../../src/ca/keys/key-reference.js';
import { generateTokenKeyPair, openPkcs11Decrypter } from '../../src/ca/keys/pkcs11-key.js';
import { parseCertificate } from '../../src/x509/certificate.js';
import { getEtk, mintHolder, register, testSsin } from '../support/etk-client.js';
import { getKey, getNewKey, openAnswer, type KgssParty } from '../support/kgss-client.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { createSoftHsmToken, type SoftHsmToken } from '../support/softhsm.js';

/**
 * KGSS with its keys on a PKCS#11 token (SoftHSM): KGSS_AUTHENTICATION_KEY, KGSS_ENCRYPTION_KEY and KGSS_KEK name keys
 * that sign, open sealed requests (raw RSA on the token) and unwrap the data keys (RSA-OAEP on the token) without
 * leaving it. The whole GetNewKey / GetKey exchange runs over SOAP.
 */
describe('KGSS with its keys on a PKCS#11 token', () => {
  let token: SoftHsmToken;
  let t: TestPlatform;
  const spkis: Record<'authentication' | 'encryption' | 'kek', Buffer> = {} as never;
  let references: Record<'authentication' | 'encryption' | 'kek', string>;

  beforeAll(async () => {
    token = await createSoftHsmToken({ label: 'KGSS HSM', pin: '4321' });
    process.env.KGSS_HSM_PIN = '4321';
    const location = { module: token.modulePath, tokenLabel: token.label, pinEnv: 'KGSS_HSM_PIN' };
    const make = async (name: 'authentication' | 'encryption' | 'kek', keyId: string, usage: 'sign' | 'decrypt', rsaModulusBits: number) => {
      const made = await generateTokenKeyPair(location, { algorithm: 'RSA', keyId, keyLabel: `kgss-${name}`, usage, rsaModulusBits });
      spkis[name] = made.publicKeySpki;
      return keyReferenceUri({ kind: 'pkcs11', ...location, keyLabel: `kgss-${name}` });
    };
    references = {
      authentication: await make('authentication', 'a1', 'sign', 2048),
      encryption: await make('encryption', 'a2', 'decrypt', 2048),
      kek: await make('kek', 'a3', 'decrypt', 3072),
    };
    t = await startTestPlatform({ KGSS_AUTHENTICATION_KEY: references.authentication, KGSS_ENCRYPTION_KEY: references.encryption, KGSS_KEK: references.kek });
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await token?.cleanup();
  });

  async function party(n: number, name: string): Promise<KgssParty> {
    const holder = await mintHolder(t, { type: 'SSIN', id: testSsin(n), name });
    const registration = await register(t, holder);
    return { holder, etk: registration.etk, encryptionKey: registration.encryptionKey };
  }

  it("publishes an ETK for the token's keys, and /health checks them on the token", async () => {
    const lookup = await getEtk(t, [{ type: 'CBE', value: '0809394427', applicationId: 'KGSS' }]);
    expect(lookup.code).toBe('200');
    const etk = parseEtk(lookup.etk!);
    expect(parseCertificate(etk.encryptionCertificate).spkiDer).toEqual(spkis.encryption);
    expect(parseCertificate(etk.authenticationCertificate).spkiDer).toEqual(spkis.authentication);
    // The ETK's encryption certificate is signed by the authentication key on the token.
    expect(etk.verify([t.platform.services.ca.root.cert], { now: t.clock.now() }).valid).toBe(true);

    const health = await t.app.inject({ method: 'GET', url: '/health' });
    expect(health.json().keys).toMatchObject({
      'KGSS authentication': { custody: 'pkcs11', status: 'ok' },
      'KGSS encryption (its ETK)': { custody: 'pkcs11', status: 'ok' },
      'KGSS key-encryption key': { custody: 'pkcs11', status: 'ok' },
    });
  });

  it('GetNewKey and GetKey work with the keys on the token; the stored data key opens only there', async () => {
    const kgssEtk = (await getEtk(t, [{ type: 'CBE', value: '0809394427', applicationId: 'KGSS' }])).etk!;
    const creator = await party(721, 'Hsm Creator');
    const reader = await party(722, 'Hsm Reader');
    const allowed = [{ namespace: 'urn:be:fgov:identification-namespace', name: 'urn:be:fgov:person:ssin', values: [reader.holder.dn.id] }];
    const created = await getNewKey(t, creator, kgssEtk, allowed);
    expect({ code: created.code, errors: created.errors }).toEqual({ code: '200', errors: [] });
    const content = openAnswer(created, { party: creator }, kgssEtk);
    const keyIdentifier = content.value('NewKeyIdentifier')!;
    const key = content.value('NewKey')!;

    const released = await getKey(t, reader, kgssEtk, keyIdentifier);
    expect(released.code).toBe('200');
    expect(openAnswer(released, { party: reader }, kgssEtk).value('Key')).toEqual(key);
    const kek = randomBytes(16);
    expect(openAnswer(await getKey(t, reader, kgssEtk, keyIdentifier, { kek }), { kek }, kgssEtk).value('Key')).toEqual(key);

    // At rest: the key under a data key, the data key under the token's KEK (RSA-3072 OAEP): the token opens it.
    const [row] = await t.database.db.query<{ wrapped_key: Buffer; data_key: Buffer; kek_id: string }>(
      'SELECT k.wrapped_key, d.wrapped_key AS data_key, d.kek_id FROM kgss_keys k JOIN kgss_data_keys d ON d.id = k.data_key_id WHERE k.key_identifier = $1',
      [keyIdentifier],
    );
    expect(row!.data_key.length).toBe(384);
    expect(Buffer.concat([row!.wrapped_key, row!.data_key]).includes(key)).toBe(false);
    expect(createPublicKey({ key: spkis.kek, format: 'der', type: 'spki' }).asymmetricKeyDetails?.modulusLength).toBe(3072);
    const onToken = await openPkcs11Decrypter({ module: token.modulePath, tokenLabel: token.label, pinEnv: 'KGSS_HSM_PIN', keyLabel: 'kgss-kek' });
    try {
      const dataKey = onToken.oaepSha1Decrypt(row!.data_key);
      const unwrapper = createDecipheriv('id-aes256-wrap', dataKey, Buffer.from('a6a6a6a6a6a6a6a6', 'hex'));
      expect(Buffer.concat([unwrapper.update(row!.wrapped_key), unwrapper.final()])).toEqual(key);
    } finally {
      await onToken.close();
    }
  }, 60_000);
});
