import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFile, writeFile, rename, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, basename, join } from 'node:path';
import { createKeyObjectSigner, type KeyAlgorithm, type KeySigner } from './key-signer.js';

/**
 * Private keys at rest as encrypted PKCS#8 PEM (PBES2: PBKDF2-HMAC-SHA256 + AES-256-CBC, as OpenSSL 3 writes it).
 * The passphrase never travels in configuration: it is named by an environment variable or a file path.
 */

export const ENCRYPTED_PKCS8_LABEL = 'ENCRYPTED PRIVATE KEY';

export type PassphraseSource = { passphraseEnv?: string; passphraseFile?: string };

export class KeyFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyFileError';
  }
}

/** Reads the secret named by exactly one of env / file. Trailing newlines of a file are dropped (editors add them). */
export async function resolveSecret(source: { env?: string; file?: string }, what: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (source.env !== undefined && source.file !== undefined) throw new KeyFileError(`${what}: give either an environment variable or a file, not both`);
  if (source.env !== undefined) {
    const value = env[source.env];
    if (value === undefined || value === '') throw new KeyFileError(`${what}: environment variable ${source.env} is not set`);
    return value;
  }
  if (source.file !== undefined) {
    let value: string;
    try {
      value = await readFile(source.file, 'utf8');
    } catch (error) {
      throw new KeyFileError(`${what}: cannot read ${source.file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    value = value.replace(/\r?\n+$/, '');
    if (value === '') throw new KeyFileError(`${what}: ${source.file} is empty`);
    return value;
  }
  throw new KeyFileError(`${what}: no environment variable or file given`);
}

export function generatePrivateKey(algorithm: KeyAlgorithm, rsaModulusBits = 2048): KeyObject {
  switch (algorithm) {
    case 'RSA':
      return generateKeyPairSync('rsa', { modulusLength: rsaModulusBits, publicExponent: 0x10001 }).privateKey;
    case 'EC-P256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    case 'EC-P384':
      return generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
  }
}

export function encryptPrivateKeyPem(privateKey: KeyObject, passphrase: string): string {
  if (privateKey.type !== 'private') throw new KeyFileError('only private keys are written to key files');
  if (passphrase.length === 0) throw new KeyFileError('refusing to write a key file with an empty passphrase');
  return privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase }) as string;
}

/**
 * Decrypts an encrypted PKCS#8 PEM. Unencrypted keys are refused so that a plaintext key never slips into production.
 * The error never echoes the passphrase nor the OpenSSL reason (which could hint at the key), only the source label.
 */
export function decryptPrivateKeyPem(pem: string, passphrase: string, label: string): KeyObject {
  if (!pem.includes(`-----BEGIN ${ENCRYPTED_PKCS8_LABEL}-----`)) {
    throw new KeyFileError(`${label}: not an encrypted PKCS#8 key (expected -----BEGIN ${ENCRYPTED_PKCS8_LABEL}-----)`);
  }
  try {
    return createPrivateKey({ key: pem, format: 'pem', passphrase });
  } catch {
    throw new KeyFileError(`${label}: cannot decrypt the key (wrong passphrase or damaged file)`);
  }
}

/** Writes atomically (temp file + rename) with mode 0600, so a crash never leaves half a key behind. */
export async function writeEncryptedKeyFile(path: string, privateKey: KeyObject, passphrase: string): Promise<void> {
  const pem = encryptPrivateKeyPem(privateKey, passphrase);
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temporary, pem, { mode: 0o600, flag: 'wx' });
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
}

export async function loadEncryptedKeyFile(path: string, source: PassphraseSource, env: NodeJS.ProcessEnv = process.env): Promise<KeyObject> {
  const passphrase = await resolveSecret({ env: source.passphraseEnv, file: source.passphraseFile }, `passphrase for key file ${path}`, env);
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (error) {
    throw new KeyFileError(`key file ${path}: cannot read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return decryptPrivateKeyPem(pem, passphrase, `key file ${path}`);
}

/** The key is decrypted once here and then kept as a KeyObject inside the signer. */
export async function openFileKeySigner(path: string, source: PassphraseSource, env: NodeJS.ProcessEnv = process.env): Promise<KeySigner> {
  const privateKey = await loadEncryptedKeyFile(path, source, env);
  return createKeyObjectSigner(privateKey, `file:${path}`);
}
