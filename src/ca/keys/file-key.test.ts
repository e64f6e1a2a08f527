import { constants, createPublicKey, verify } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatePrivateKey, loadEncryptedKeyFile, openFileKeySigner, resolveSecret, writeEncryptedKeyFile } from './file-key.js';
import { rejectionOf } from '../../../test/support/rejection.js';

describe('encrypted PKCS#8 key files', () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'file-key-'));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('writes ENCRYPTED PRIVATE KEY PEM with PBES2/AES-256-CBC, mode 0600, and loads it back', async () => {
    const path = join(directory, 'rsa.key.pem');
    const key = generatePrivateKey('RSA');
    await writeEncryptedKeyFile(path, key, 'correct horse');
    const pem = await readFile(path, 'utf8');
    expect(pem).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const { execFileSync } = await import('node:child_process');
    const info = execFileSync('openssl', ['asn1parse', '-in', path], { encoding: 'utf8' });
    expect(info).toContain('PBES2');
    expect(info).toContain('PBKDF2');
    expect(info).toContain('aes-256-cbc');
    const loaded = await loadEncryptedKeyFile(path, { passphraseEnv: 'KEY_PASS' }, { KEY_PASS: 'correct horse' });
    expect(loaded.export({ type: 'pkcs8', format: 'der' }).equals(key.export({ type: 'pkcs8', format: 'der' }))).toBe(true);
  });

  it.each(['RSA', 'EC-P256', 'EC-P384'] as const)('signs with a %s key from a file; the signature verifies with publicKeySpki', async (algorithm) => {
    const path = join(directory, `${algorithm}.key.pem`);
    const passphraseFile = join(directory, `${algorithm}.pass`);
    await writeFile(passphraseFile, 'pass phrase\n');
    await writeEncryptedKeyFile(path, generatePrivateKey(algorithm), 'pass phrase');
    const signer = await openFileKeySigner(path, { passphraseFile });
    expect(signer.keyAlgorithm).toBe(algorithm);
    const data = Buffer.from('to be signed');
    const signature = await signer.sign(data, 'SHA-256');
    const publicKey = createPublicKey({ key: signer.publicKeySpki, format: 'der', type: 'spki' });
    expect(
      verify(
        'sha256',
        data,
        algorithm === 'RSA' ? { key: publicKey, padding: constants.RSA_PKCS1_PADDING } : { key: publicKey, dsaEncoding: 'der' },
        signature,
      ),
    ).toBe(true);
    expect(verify('sha256', Buffer.from('other'), algorithm === 'RSA' ? publicKey : { key: publicKey, dsaEncoding: 'der' }, signature)).toBe(false);
    expect(String(signer)).toBe(`KeySigner(file:${path})`);
    // decrypted once at open: signing keeps working after the file and its passphrase are gone
    await rm(path);
    await rm(passphraseFile);
    await expect(signer.sign(data, 'SHA-256')).resolves.toBeInstanceOf(Buffer);
  });

  it('a wrong passphrase fails without echoing the passphrase', async () => {
    const path = join(directory, 'wrong.key.pem');
    await writeEncryptedKeyFile(path, generatePrivateKey('EC-P256'), 'the-real-secret-42');
    const attempt = openFileKeySigner(path, { passphraseEnv: 'P' }, { P: 'guessed-secret-99' });
    await expect(attempt).rejects.toThrow(/cannot decrypt the key/);
    const error = await rejectionOf(attempt);
    expect(`${error.message} ${error.stack}`).not.toContain('guessed-secret-99');
    expect(`${error.message} ${error.stack}`).not.toContain('the-real-secret-42');
  });

  it('refuses unencrypted keys and missing passphrase sources', async () => {
    const path = join(directory, 'plain.key.pem');
    await writeFile(path, generatePrivateKey('EC-P256').export({ type: 'pkcs8', format: 'pem' }) as string);
    await expect(openFileKeySigner(path, { passphraseEnv: 'P' }, { P: 'x' })).rejects.toThrow(/not an encrypted PKCS#8 key/);
    await expect(openFileKeySigner(path, { passphraseEnv: 'UNSET_VARIABLE' }, {})).rejects.toThrow(/UNSET_VARIABLE is not set/);
    await expect(openFileKeySigner(path, {}, {})).rejects.toThrow(/no environment variable or file/);
    await expect(openFileKeySigner(join(directory, 'absent.pem'), { passphraseEnv: 'P' }, { P: 'x' })).rejects.toThrow(/ENOENT/);
    await expect(writeEncryptedKeyFile(join(directory, 'empty-pass.pem'), generatePrivateKey('EC-P256'), '')).rejects.toThrow(/empty passphrase/);
  });

  it('resolveSecret reads exactly one source and strips the trailing newline of files', async () => {
    const file = join(directory, 'secret');
    await writeFile(file, 's3cret\r\n');
    await expect(resolveSecret({ file }, 'x')).resolves.toBe('s3cret');
    await expect(resolveSecret({ env: 'A' }, 'x', { A: 'value' })).resolves.toBe('value');
    await expect(resolveSecret({ env: 'A', file }, 'x', { A: 'value' })).rejects.toThrow(/not both/);
  });
});
