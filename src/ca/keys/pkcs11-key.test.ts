import { constants, createPublicKey, verify } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Module } from 'graphene-pk11';
import { createSoftHsmToken, findSoftHsmModule, softhsmUtil, type SoftHsmToken } from '../../../test/support/softhsm.js';
import { ecdsaRawToDer, generateTokenKeyPair, openPkcs11KeySigner, type Pkcs11KeySigner } from './pkcs11-key.js';
import { rejectionOf } from '../../../test/support/rejection.js';

function verifies(spki: Buffer, data: Buffer, signature: Buffer, hash = 'sha256'): boolean {
  const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  return verify(hash, data, key.asymmetricKeyType === 'rsa' ? { key, padding: constants.RSA_PKCS1_PADDING } : { key, dsaEncoding: 'der' }, signature);
}

describe('PKCS#11 key signer on SoftHSM', () => {
  let token: SoftHsmToken;
  const env = { CA_PIN: '1234', WRONG_PIN: '9999-not-the-pin' };
  const signers: Pkcs11KeySigner[] = [];
  const open = async (location: Parameters<typeof openPkcs11KeySigner>[0], environment: NodeJS.ProcessEnv = env) => {
    const signer = await openPkcs11KeySigner(location, environment);
    signers.push(signer);
    return signer;
  };

  beforeAll(async () => {
    token = await createSoftHsmToken({ label: 'pkcs11-key-test', pin: '1234' });
    await generateTokenKeyPair(
      { module: token.modulePath, tokenLabel: token.label, pinEnv: 'CA_PIN' },
      { algorithm: 'RSA', keyId: 'a1', keyLabel: 'rsa-ca' },
      env,
    );
    await generateTokenKeyPair(
      { module: token.modulePath, tokenLabel: token.label, pinEnv: 'CA_PIN' },
      { algorithm: 'EC-P256', keyId: 'b2', keyLabel: 'ec-ca' },
      env,
    );
    await generateTokenKeyPair({ module: token.modulePath, tokenLabel: token.label, pinEnv: 'CA_PIN' }, { algorithm: 'EC-P384', keyId: 'c3' }, env);
  });
  afterAll(async () => {
    for (const signer of signers) await signer.close();
    await token?.cleanup();
  });

  it('signs RSA with CKM_SHA256_RSA_PKCS (and SHA-384); the key is sensitive and not extractable', async () => {
    const signer = await open({ module: token.modulePath, tokenLabel: token.label, pinEnv: 'CA_PIN', keyId: 'A1' });
    expect(signer.keyAlgorithm).toBe('RSA');
    expect(signer.keyAttributes).toEqual({ sensitive: true, extractable: false, alwaysSensitive: true, neverExtractable: true });
    const data = Buffer.from('tbs certificate bytes');
    expect(verifies(signer.publicKeySpki, data, await signer.sign(data, 'SHA-256'))).toBe(true);
    expect(verifies(signer.publicKeySpki, data, await signer.sign(data, 'SHA-384'), 'sha384')).toBe(true);
    expect(verifies(signer.publicKeySpki, Buffer.from('tampered'), await signer.sign(data, 'SHA-256'))).toBe(false);
    expect(signer.description).toBe(`pkcs11:token=${token.label};id=a1`);
  });

  it.each([
    ['EC-P256', { keyLabel: 'ec-ca' }],
    ['EC-P384', { keyId: 'c3' }],
  ] as const)('signs %s with CKM_ECDSA over a digest computed outside, DER-encoded', async (algorithm, key) => {
    const signer = await open({ module: token.modulePath, tokenLabel: token.label, pinFile: await pinFile(), ...key });
    expect(signer.keyAlgorithm).toBe(algorithm);
    const data = Buffer.from('crl bytes');
    const signature = await signer.sign(data, algorithm === 'EC-P256' ? 'SHA-256' : 'SHA-384');
    expect(signature[0]).toBe(0x30);
    expect(verifies(signer.publicKeySpki, data, signature, algorithm === 'EC-P256' ? 'sha256' : 'sha384')).toBe(true);
  });

  async function pinFile(): Promise<string> {
    const path = join(token.directory, 'pin');
    await writeFile(path, '1234\n', { mode: 0o600 });
    return path;
  }

  it('finds the token by slot ID as well as by label', async () => {
    const module = Module.load(token.modulePath);
    module.initialize();
    const slot = module.getSlots(0, true);
    const slotId = slot.handle.readBigUInt64LE(0).toString();
    const signer = await open({ module: token.modulePath, slot: slotId, pinEnv: 'CA_PIN', keyId: 'a1' });
    expect(signer.description).toBe(`pkcs11:slot-id=${slotId};id=a1`);
    await expect(openPkcs11KeySigner({ module: token.modulePath, slot: '4242', pinEnv: 'CA_PIN', keyId: 'a1' }, env)).rejects.toThrow(/no slot 4242/);
  });

  it('concurrent sign calls on one session are serialised and all succeed', async () => {
    const signer = await open({ module: token.modulePath, tokenLabel: token.label, pinEnv: 'CA_PIN', keyLabel: 'rsa-ca' });
    const inputs = Array.from({ length: 40 }, (_, index) => Buffer.from(`message ${index}`));
    const signatures = await Promise.all(inputs.map((input, index) => signer.sign(input, index % 2 ? 'SHA-256' : 'SHA-384')));
    for (const [index, signature] of signatures.entries()) {
      expect(verifies(signer.publicKeySpki, inputs[index]!, signature, index % 2 ? 'sha256' : 'sha384')).toBe(true);
    }
  });

  it('reconnects once when the token dropped the session', async () => {
    const signer = await open({ module: token.modulePath, tokenLabel: token.label, pinEnv: 'CA_PIN', keyId: 'b2' });
    const data = Buffer.from('before');
    expect(verifies(signer.publicKeySpki, data, await signer.sign(data, 'SHA-256'))).toBe(true);
    // C_CloseAllSessions is process-wide for the slot: it kills the signer's session behind its back
    const module = Module.load(token.modulePath);
    module.initialize();
    module.getSlots(0, true).closeAll();
    const after = Buffer.from('after');
    expect(verifies(signer.publicKeySpki, after, await signer.sign(after, 'SHA-256'))).toBe(true);
  });

  it('a wrong PIN fails with CKR_PIN_INCORRECT and never shows the PIN', async () => {
    for (const signer of signers.splice(0)) await signer.close(); // no session open: the token itself checks the PIN
    const attempt = openPkcs11KeySigner({ module: token.modulePath, tokenLabel: token.label, pinEnv: 'WRONG_PIN', keyId: 'a1' }, env);
    const error = await rejectionOf(attempt);
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toMatch(/login to token "pkcs11-key-test" failed: CKR_PIN_INCORRECT/);
    expect(`${error.message} ${error.stack}`).not.toContain('9999-not-the-pin');
    expect(`${error.message} ${error.stack}`).not.toContain('1234');
  });

  it('a wrong PIN is refused even while the token is already logged in by another signer', async () => {
    await open({ module: token.modulePath, tokenLabel: token.label, pinEnv: 'CA_PIN', keyId: 'a1' });
    const error = await rejectionOf(openPkcs11KeySigner({ module: token.modulePath, tokenLabel: token.label, pinEnv: 'WRONG_PIN', keyId: 'b2' }, env));
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toMatch(/PIN differs/);
    expect(`${error.message} ${error.stack}`).not.toContain('9999-not-the-pin');
    const second = await open({ module: token.modulePath, tokenLabel: token.label, pinEnv: 'CA_PIN', keyId: 'b2' });
    expect(second.keyAlgorithm).toBe('EC-P256');
  });

  it('reports a missing key, a missing token and a duplicate key id clearly', async () => {
    await expect(openPkcs11KeySigner({ module: token.modulePath, tokenLabel: token.label, pinEnv: 'CA_PIN', keyId: 'ff' }, env)).rejects.toThrow(
      /no private key pkcs11:token=pkcs11-key-test;id=ff/,
    );
    await expect(openPkcs11KeySigner({ module: token.modulePath, tokenLabel: 'absent', pinEnv: 'CA_PIN', keyId: 'a1' }, env)).rejects.toThrow(
      /no token "absent"/,
    );
    await expect(
      generateTokenKeyPair({ module: token.modulePath, tokenLabel: token.label, pinEnv: 'CA_PIN' }, { algorithm: 'RSA', keyId: 'a1' }, env),
    ).rejects.toThrow(/already exists/);
    await expect(openPkcs11KeySigner({ module: '/nonexistent/libpkcs11.so', tokenLabel: 'x', pinEnv: 'CA_PIN', keyId: 'a1' }, env)).rejects.toThrow(
      /cannot load PKCS#11 library/,
    );
  });

  it('a closed signer refuses to sign', async () => {
    const signer = await openPkcs11KeySigner({ module: token.modulePath, tokenLabel: token.label, pinEnv: 'CA_PIN', keyId: 'a1' }, env);
    await signer.close();
    await expect(signer.sign(Buffer.from('x'), 'SHA-256')).rejects.toThrow(/closed/);
  });
});

describe('ecdsaRawToDer', () => {
  it('encodes r||s as SEQUENCE of two positive INTEGERs', () => {
    const raw = Buffer.concat([Buffer.alloc(31, 0).fill(0x80, 0, 1), Buffer.from([1]), Buffer.alloc(32, 0x01)]);
    raw[0] = 0x80;
    const der = ecdsaRawToDer(raw);
    // r has its top bit set → a 0x00 pad byte; s does not
    expect(der.subarray(0, 5).toString('hex')).toBe('3045022100');
    expect(der.length).toBe(2 + 2 + 33 + 2 + 32);
  });
});

describe('SoftHSM test support', () => {
  it('fails loudly (never skips) when SoftHSM is not installed', async () => {
    expect(() => findSoftHsmModule(['/nonexistent/libsofthsm2.so'])).toThrow(
      /SoftHSM2 is required for the PKCS#11 tests but libsofthsm2\.so was not found .*apt-get install softhsm2/,
    );
    await expect(softhsmUtil(['--show-slots'], { PATH: '/nonexistent' })).rejects.toThrow(/softhsm2-util is not on PATH/);
  });
});
