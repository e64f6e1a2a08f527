import { constants, createPublicKey, verify } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSoftHsmToken, type SoftHsmToken } from '../../../test/support/softhsm.js';
import { generatePrivateKey, writeEncryptedKeyFile } from './file-key.js';
import { describeKeyReference, keyReferenceUri, openKeySigner, parseKeyReference, validateKeyReference, type KeyReference } from './key-reference.js';
import { generateTokenKeyPair } from './pkcs11-key.js';
import { rejectionOf } from '../../../test/support/rejection.js';

describe('parseKeyReference', () => {
  it('parses JSON for both kinds', () => {
    expect(parseKeyReference('{"kind":"file","path":"/etc/ca/k.pem","passphraseFile":"/run/p"}')).toEqual({
      kind: 'file',
      path: '/etc/ca/k.pem',
      passphraseFile: '/run/p',
    });
    expect(parseKeyReference(' {"kind":"pkcs11","module":"/lib/p11.so","slot":7,"pinEnv":"HSM_PIN","keyId":"0a0b"} ')).toEqual({
      kind: 'pkcs11',
      module: '/lib/p11.so',
      slot: 7,
      pinEnv: 'HSM_PIN',
      keyId: '0a0b',
    });
  });

  it('parses file: URIs', () => {
    expect(parseKeyReference('file:/etc/ca/issuing%20ca.key.pem?passphrase-env=CA_PASS')).toEqual({
      kind: 'file',
      path: '/etc/ca/issuing ca.key.pem',
      passphraseEnv: 'CA_PASS',
    });
    expect(parseKeyReference('file:/k.pem?passphrase-file=/run/secrets/p')).toEqual({ kind: 'file', path: '/k.pem', passphraseFile: '/run/secrets/p' });
  });

  it('parses RFC 7512 pkcs11: URIs (id percent-encoded bytes → hex)', () => {
    expect(
      parseKeyReference('pkcs11:token=eHealth%20CA;id=%01%A2;object=issuing;type=private?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/pin'),
    ).toEqual({
      kind: 'pkcs11',
      module: '/usr/lib/softhsm/libsofthsm2.so',
      tokenLabel: 'eHealth CA',
      keyId: '01a2',
      keyLabel: 'issuing',
      pinFile: '/run/pin',
    });
    expect(parseKeyReference('pkcs11:slot-id=1865911271;object=etk-ra?module-path=/p11.so&pin-env=HSM_PIN')).toEqual({
      kind: 'pkcs11',
      module: '/p11.so',
      slot: '1865911271',
      keyLabel: 'etk-ra',
      pinEnv: 'HSM_PIN',
    });
  });

  it.each([
    ['pkcs11:token=t;id=%01?module-path=/p.so&pin-value=1234', /pin-value is not accepted/],
    ['pkcs11:token=t;id=%01?pin-env=P', /module-path is required/],
    ['pkcs11:token=t?module-path=/p.so&pin-env=P', /keyId and\/or keyLabel/],
    ['pkcs11:token=t;slot-id=1;id=%01?module-path=/p.so&pin-env=P', /exactly one of tokenLabel, slot/],
    ['pkcs11:token=t;id=%01?module-path=/p.so', /exactly one of pinEnv, pinFile/],
    ['pkcs11:token=t;id=%01;manufacturer=x?module-path=/p.so&pin-env=P', /unsupported path attribute manufacturer/],
    ['file:/k.pem', /exactly one of passphraseEnv, passphraseFile/],
    ['file:/k.pem?passphrase=secret', /unsupported attribute passphrase/],
    ['{"kind":"file","path":"/k","passphraseEnv":"P","passphrase":"secret"}', /unknown field\(s\) passphrase/],
    ['{"kind":"pkcs11","module":"/p.so","tokenLabel":"t","pinEnv":"P","keyId":"xyz"}', /keyId must be hex/],
    ['{"kind":"file","path":"/k","passphraseEnv":"not a name"}', /environment variable name/],
    ['{"kind":"hsm"}', /kind must be/],
    ['{not json', /invalid JSON/],
    ['/etc/ca/key.pem', /expected JSON, file:… or pkcs11:…/],
  ])('refuses %s', (text, message) => {
    expect(() => parseKeyReference(text)).toThrow(message);
  });

  it('errors about a refused pin-value never include the value', () => {
    try {
      parseKeyReference('pkcs11:token=t;id=%01?module-path=/p.so&pin-value=s3cr3t-pin');
      throw new Error('expected a failure');
    } catch (error) {
      expect((error as Error).message).not.toContain('s3cr3t-pin');
    }
  });

  it('writes references as URIs that parse back to the same reference', () => {
    const references: KeyReference[] = [
      { kind: 'file', path: '/etc/ehealth ca/issuing.key.pem', passphraseEnv: 'CA_PASS' },
      { kind: 'file', path: 'relative/key%.pem', passphraseFile: '/run/secrets/pass word' },
      {
        kind: 'pkcs11',
        module: '/usr/lib/softhsm/libsofthsm2.so',
        tokenLabel: 'eHealth CA;prod',
        pinEnv: 'HSM_PIN',
        keyId: '01a2ff',
        keyLabel: 'ehealth-issuing',
      },
      { kind: 'pkcs11', module: '/opt/hsm/lib p11.so', slot: '3', pinFile: '/run/secrets/pin', keyLabel: 'a&b=c' },
    ];
    for (const reference of references) {
      const uri = keyReferenceUri(reference);
      expect(uri).not.toMatch(/[\s"{}]/);
      expect(parseKeyReference(uri)).toEqual(reference);
    }
  });

  it('describes references without secrets', () => {
    expect(describeKeyReference(validateKeyReference({ kind: 'pkcs11', module: '/p.so', tokenLabel: 't', pinEnv: 'P', keyId: '01', keyLabel: 'k' }))).toBe(
      'pkcs11:token=t;id=01;object=k (/p.so)',
    );
    expect(describeKeyReference({ kind: 'file', path: '/k.pem', passphraseEnv: 'P' })).toBe('file:/k.pem');
  });
});

describe('openKeySigner', () => {
  let directory: string;
  let token: SoftHsmToken;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'key-ref-'));
    token = await createSoftHsmToken({ label: 'key-ref-test', pin: '4321' });
  });
  afterAll(async () => {
    await token?.cleanup();
    await rm(directory, { recursive: true, force: true });
  });

  const verifies = (spki: Buffer, data: Buffer, signature: Buffer) =>
    verify('sha256', data, { key: createPublicKey({ key: spki, format: 'der', type: 'spki' }), padding: constants.RSA_PKCS1_PADDING }, signature);

  it('opens a file reference parsed from a URI and signs', async () => {
    const path = join(directory, 'ca.key.pem');
    await writeEncryptedKeyFile(path, generatePrivateKey('RSA'), 'file-pass');
    const signer = await openKeySigner(parseKeyReference(`file:${path}?passphrase-env=CA_KEY_PASS`), { CA_KEY_PASS: 'file-pass' });
    const data = Buffer.from('x');
    expect(verifies(signer.publicKeySpki, data, await signer.sign(data, 'SHA-256'))).toBe(true);
    await signer.close();
  });

  it('opens a pkcs11 reference parsed from a URI and signs on the token', async () => {
    const env = { HSM_PIN: '4321' };
    const generated = await generateTokenKeyPair(
      { module: token.modulePath, tokenLabel: token.label, pinEnv: 'HSM_PIN' },
      { algorithm: 'RSA', keyId: '0102', keyLabel: 'issuing' },
      env,
    );
    const signer = await openKeySigner(parseKeyReference(`pkcs11:token=key-ref-test;id=%01%02?module-path=${token.modulePath}&pin-env=HSM_PIN`), env);
    expect(signer.publicKeySpki.equals(generated.publicKeySpki)).toBe(true);
    const data = Buffer.from('y');
    expect(verifies(signer.publicKeySpki, data, await signer.sign(data, 'SHA-256'))).toBe(true);
    await signer.close();
  });

  it('wrong passphrase / wrong PIN: errors name the source, never the secret', async () => {
    const path = join(directory, 'other.key.pem');
    await writeEncryptedKeyFile(path, generatePrivateKey('EC-P256'), 'right-passphrase-xyz');
    const env = { PASS: 'wrong-passphrase-abc', PIN: 'wrong-pin-777' };
    const failures = await Promise.all([
      rejectionOf(openKeySigner({ kind: 'file', path, passphraseEnv: 'PASS' }, env)),
      rejectionOf(openKeySigner({ kind: 'pkcs11', module: token.modulePath, tokenLabel: token.label, pinEnv: 'PIN', keyLabel: 'issuing' }, env)),
    ]);
    expect(failures[0]).toBeInstanceOf(Error);
    expect(failures[1]).toBeInstanceOf(Error);
    expect((failures[0] as Error).message).toMatch(/other\.key\.pem: cannot decrypt/);
    expect((failures[1] as Error).message).toMatch(/CKR_PIN_INCORRECT/);
    for (const failure of failures as Error[]) {
      for (const secret of ['wrong-passphrase-abc', 'right-passphrase-xyz', 'wrong-pin-777', '4321']) {
        expect(`${failure.message}\n${failure.stack}\n${JSON.stringify(failure)}`).not.toContain(secret);
      }
    }
  });
});
