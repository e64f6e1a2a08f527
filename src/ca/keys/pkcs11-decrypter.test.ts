import { constants, createPublicKey, publicEncrypt, randomBytes } from 'node:crypto';
import { createSoftHsmToken, type SoftHsmToken } from '../../../test/support/softhsm.js';
import { rejectionOf } from '../../../test/support/rejection.js';
import { generateTokenKeyPair, openPkcs11Decrypter, type Pkcs11Decrypter } from './pkcs11-key.js';

describe('PKCS#11 RSA decrypter on SoftHSM', () => {
  let token: SoftHsmToken;
  const env = { KGSS_PIN: '1234' };
  const decrypters: Pkcs11Decrypter[] = [];
  const location = () => ({ module: token.modulePath, tokenLabel: token.label, pinEnv: 'KGSS_PIN' });

  beforeAll(async () => {
    token = await createSoftHsmToken({ label: 'pkcs11-decrypter-test', pin: '1234' });
    await generateTokenKeyPair(location(), { algorithm: 'RSA', keyId: 'd1', keyLabel: 'kgss-encryption', usage: 'decrypt' }, env);
    await generateTokenKeyPair(location(), { algorithm: 'RSA', keyId: 'd2', keyLabel: 'kgss-kek', usage: 'decrypt', rsaModulusBits: 3072 }, env);
    await generateTokenKeyPair(location(), { algorithm: 'RSA', keyId: 'e1', keyLabel: 'a-signing-key' }, env);
  });
  afterAll(async () => {
    for (const decrypter of decrypters) await decrypter.close();
    await token?.cleanup();
  });

  const open = async (keyLabel: string) => {
    const decrypter = await openPkcs11Decrypter({ ...location(), keyLabel }, env);
    decrypters.push(decrypter);
    return decrypter;
  };

  it('undoes raw RSA (CKM_RSA_X_509) at the modulus length: what a PKCS#1 v1.5 key transport needs', async () => {
    const decrypter = await open('kgss-encryption');
    const publicKey = createPublicKey({ key: decrypter.publicKeySpki, format: 'der', type: 'spki' });
    const secret = randomBytes(16);
    const block = decrypter.rawDecrypt(publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, secret))!;
    expect(block.length).toBe(256);
    expect([block[0], block[1]]).toEqual([0x00, 0x02]);
    expect(block.subarray(256 - 16)).toEqual(secret);
    expect(block[256 - 17]).toBe(0x00);
    // Not a ciphertext of this key: the sender's fault, told apart from a token failure.
    expect(decrypter.rawDecrypt(Buffer.alloc(255, 1))).toBeUndefined();
    expect(decrypter.rawDecrypt(Buffer.alloc(256, 0xff))).toBeUndefined();
  });

  it('decrypts RSA-OAEP with SHA-1 (the key-encryption key)', async () => {
    const decrypter = await open('kgss-kek');
    const publicKey = createPublicKey({ key: decrypter.publicKeySpki, format: 'der', type: 'spki' });
    const dataKey = randomBytes(32);
    const wrapped = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, dataKey);
    expect(decrypter.oaepSha1Decrypt(wrapped)).toEqual(dataKey);
    expect(() => decrypter.oaepSha1Decrypt(Buffer.from(wrapped).fill(1, 0, 4))).toThrow(/RSA-OAEP decryption .* failed/u);
    await decrypter.checkReachable();
  });

  it('refuses a key that may not decrypt, and a missing key', async () => {
    expect((await rejectionOf(openPkcs11Decrypter({ ...location(), keyLabel: 'a-signing-key' }, env))).message).toMatch(/not a decryption key/u);
    expect((await rejectionOf(openPkcs11Decrypter({ ...location(), keyLabel: 'nothing' }, env))).message).toMatch(/no private key/u);
  });
});
