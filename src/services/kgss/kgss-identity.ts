import { constants, createHash, createPublicKey, privateDecrypt, publicEncrypt, randomBytes, type KeyObject } from 'node:crypto';
import { access, mkdir, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { SealingSender } from '../../ca/etee/sealed-message.js';
import { buildEncryptionCertificate, buildEtk, parseEtk } from '../../ca/etk/index.js';
import type { CaMaterial } from '../../ca/hierarchy/index.js';
import { generatePrivateKey, loadEncryptedKeyFile, writeEncryptedKeyFile } from '../../ca/keys/file-key.js';
import { openKeySigner, type KeyReference } from '../../ca/keys/key-reference.js';
import { createKeyObjectSigner, type KeySigner } from '../../ca/keys/key-signer.js';
import { openPkcs11Decrypter, type Pkcs11Decrypter } from '../../ca/keys/pkcs11-key.js';
import type { DecryptionKey } from '../../ca/etee/sealed-message.js';
import { ehealthOrganisation } from '../../ca/profiles/index.js';
import type { DnSequence } from '../../ca/x509/index.js';
import type { Clock } from '../../domain/clock.js';
import type { Environment } from '../../domain/environment.js';
import { ehealthDnAttributes } from '../../identifiers/index.js';
import type { Database } from '../../storage/database.js';
import { etkRepository } from '../../storage/etk-repository.js';
import { parseCertificate } from '../../x509/certificate.js';
import type { CertificateIssuer } from '../certificate-issuer.js';

/**
 * The KGSS's own identity: an eHealth organisation certificate for CBE 0809394427 / application KGSS (what every
 * client looks up by default, ../shared/docs/etee-facts.md), the ETK published for it in our ETKDepot, and the
 * key-encryption key (KEK) the stored keys are encrypted under.
 *
 * The three keys (authentication, encryption, KEK: RSA) are either encrypted PKCS#8 files in a key directory, created
 * on first start in a private directory renamed into place (processes starting together end up with the same keys),
 * or key references (KGSS_AUTHENTICATION_KEY, KGSS_ENCRYPTION_KEY, KGSS_KEK): files or keys on a PKCS#11 token, where
 * they sign and decrypt without leaving it.
 * The certificates live in this database: the authentication certificate is issued by our issuing CA and the ETK
 * published at start when the directory holds none for these keys, so a new database gets them too.
 */

export const KGSS_HOLDER = { type: 'CBE', value: '0809394427', applicationId: 'KGSS' } as const;
/** The organisation the real KGSS certificate names: the eHealth platform (CBE 0809394427). */
const KGSS_NAME = 'eHealth-platform Belgium';
/** An ETK is renewed when it expires within this many days. */
const RENEW_BEFORE_DAYS = 30;

export interface KeyEncryptionKey {
  /** Lower-case hex SHA-256 of the KEK's public key: which KEK a stored key is under. */
  readonly id: string;
  wrap(key: Buffer): Buffer;
  unwrap(wrapped: Buffer): Buffer;
}

export interface KgssIdentity {
  /** What the KGSS seals its answers with: its authentication certificate, chain and key. */
  readonly sender: SealingSender;
  /** Its ETK's encryption certificate and key: requests sealed to the KGSS open with it. */
  readonly decryption: DecryptionKey;
  readonly keyEncryption: KeyEncryptionKey;
  readonly etk: Buffer;
  /** Each key, and for a key on a token whether it answers (logged out, HSM gone): for /health. */
  readonly keys: ReadonlyArray<{ readonly name: string; readonly signer: { checkReachable?(): Promise<void> } }>;
  close(): Promise<void>;
}

export type KgssKeySource =
  /** Directory of authentication.key.pem, encryption.key.pem, kek.key.pem (created when absent), under `passphrase`. */
  | { readonly kind: 'directory'; readonly directory: string; readonly passphrase: string }
  /** Existing keys: files or PKCS#11 (ca:init --kgss creates them on a token). */
  | { readonly kind: 'references'; readonly authentication: KeyReference; readonly encryption: KeyReference; readonly kek: KeyReference };

/** The opened keys, whatever their custody. */
interface KgssKeys {
  readonly authentication: KeySigner;
  readonly encryptionSpki: Buffer;
  readonly decrypt: (certificate: Buffer) => DecryptionKey;
  readonly keyEncryption: KeyEncryptionKey;
  readonly keys: KgssIdentity['keys'];
  close(): Promise<void>;
}

export interface KgssIdentityDependencies {
  readonly db: Database;
  readonly clock: Clock;
  readonly ca: CaMaterial;
  readonly issuer: CertificateIssuer;
  readonly environment: Environment;
}

const KEY_FILES = { authentication: 'authentication.key.pem', encryption: 'encryption.key.pem', kek: 'kek.key.pem' } as const;
/** How /health names them. */
const KEY_NAMES = { authentication: 'KGSS authentication', encryption: 'KGSS encryption (its ETK)', kek: 'KGSS key-encryption key' } as const;

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

async function loadOrCreateKeys(source: { directory: string; passphrase: string }): Promise<Record<keyof typeof KEY_FILES, KeyObject>> {
  if (!(await exists(join(source.directory, KEY_FILES.kek)))) {
    const parent = join(source.directory, '..');
    await mkdir(parent, { recursive: true });
    const temporary = await mkdtemp(join(parent, '.kgss-'));
    try {
      for (const file of Object.values(KEY_FILES))
        await writeEncryptedKeyFile(join(temporary, file), generatePrivateKey('RSA', file === KEY_FILES.kek ? 3072 : 2048), source.passphrase);
      try {
        await rename(temporary, source.directory);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
      }
    } finally {
      await rm(temporary, { recursive: true, force: true });
    }
  }
  const env = { KGSS_KEY_PASSPHRASE_INTERNAL: source.passphrase };
  const load = (file: string) => loadEncryptedKeyFile(join(source.directory, file), { passphraseEnv: 'KGSS_KEY_PASSPHRASE_INTERNAL' }, env);
  return { authentication: await load(KEY_FILES.authentication), encryption: await load(KEY_FILES.encryption), kek: await load(KEY_FILES.kek) };
}

/** Keys in memory (files): the signer, node's RSA, and the KEK with RSA-OAEP SHA-256. */
function keysInMemory(keys: Record<keyof typeof KEY_FILES, KeyObject>): KgssKeys {
  return {
    authentication: createKeyObjectSigner(keys.authentication, 'KGSS authentication key'),
    encryptionSpki: spki(keys.encryption),
    decrypt: (certificate) => ({ certificate, privateKey: keys.encryption }),
    keyEncryption: keyEncryptionKey(keys.kek),
    keys: Object.values(KEY_NAMES).map((name) => ({ name, signer: {} })),
    close: async () => undefined,
  };
}

/** Opens the keys a source names (creating a directory's on first start). */
async function openKgssKeys(source: KgssKeySource): Promise<KgssKeys> {
  if (source.kind === 'directory') return keysInMemory(await loadOrCreateKeys(source));
  const opened: Array<{ close(): Promise<void> }> = [];
  try {
    const authentication = await openKeySigner(source.authentication);
    opened.push(authentication);
    const decrypterOf = async (reference: KeyReference) => {
      if (reference.kind === 'file') return loadEncryptedKeyFile(reference.path, reference);
      const decrypter = await openPkcs11Decrypter(reference);
      opened.push(decrypter);
      return decrypter;
    };
    const encryption = await decrypterOf(source.encryption);
    const kek = await decrypterOf(source.kek);
    const health = (key: KeyObject | Pkcs11Decrypter) => ('checkReachable' in key ? { checkReachable: () => key.checkReachable() } : {});
    return {
      authentication,
      encryptionSpki: 'publicKeySpki' in encryption ? encryption.publicKeySpki : spki(encryption),
      decrypt: (certificate) =>
        'rawDecrypt' in encryption ? { certificate, rawDecrypt: (block) => encryption.rawDecrypt(block) } : { certificate, privateKey: encryption },
      keyEncryption: 'oaepSha1Decrypt' in kek ? keyEncryptionKeyOnToken(kek) : keyEncryptionKey(kek),
      keys: [
        { name: KEY_NAMES.authentication, signer: authentication },
        { name: KEY_NAMES.encryption, signer: health(encryption) },
        { name: KEY_NAMES.kek, signer: health(kek) },
      ],
      close: async () => {
        for (const key of opened.reverse()) await key.close();
      },
    };
  } catch (error) {
    for (const key of opened.reverse()) await key.close().catch(() => undefined);
    throw error;
  }
}

/** The KEK's identifier: SHA-256 of its public key, whatever its custody. */
const kekId = (publicKeySpki: Buffer) => createHash('sha256').update(publicKeySpki).digest('hex');

/**
 * A KEK on a PKCS#11 token: wrapped with its public key here, unwrapped on the token, RSA-OAEP with SHA-1 (the OAEP
 * every token implements; see Pkcs11Decrypter).
 */
function keyEncryptionKeyOnToken(decrypter: Pkcs11Decrypter): KeyEncryptionKey {
  const publicKey = createPublicKey({ key: decrypter.publicKeySpki, format: 'der', type: 'spki' });
  const oaep = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' };
  return {
    id: kekId(decrypter.publicKeySpki),
    wrap: (key) => publicEncrypt({ key: publicKey, ...oaep }, key),
    unwrap: (wrapped) => decrypter.oaepSha1Decrypt(wrapped),
  };
}

/** RSA-OAEP (SHA-256) under the KEK: the stored form of a KGSS key. */
export function keyEncryptionKey(privateKey: KeyObject): KeyEncryptionKey {
  const publicKey = createPublicKey(privateKey);
  const id = kekId(publicKey.export({ type: 'spki', format: 'der' }));
  const oaep = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' };
  return {
    id,
    wrap: (key) => publicEncrypt({ key: publicKey, ...oaep }, key),
    unwrap: (wrapped) => privateDecrypt({ key: privateKey, ...oaep }, wrapped),
  };
}

const spki = (key: KeyObject) => createPublicKey(key).export({ type: 'spki', format: 'der' });

export async function loadKgssIdentity(source: KgssKeySource, deps: KgssIdentityDependencies): Promise<KgssIdentity> {
  const keys = await openKgssKeys(source);
  try {
    return await identityWith(keys, deps);
  } catch (error) {
    await keys.close().catch(() => undefined);
    throw error;
  }
}

async function identityWith(keys: KgssKeys, deps: KgssIdentityDependencies): Promise<KgssIdentity> {
  const authenticationSpki = keys.authentication.publicKeySpki;
  const encryptionSpki = keys.encryptionSpki;
  const now = deps.clock.now();
  const holder = { type: KGSS_HOLDER.type, value: KGSS_HOLDER.value, applicationId: KGSS_HOLDER.applicationId };
  const etk = await deps.db.transaction(async (tx) => {
    await etkRepository.lockHolder(tx, holder);
    const current = await etkRepository.findActiveForHolder(tx, holder);
    if (current && current.notAfter.getTime() > now.getTime() + RENEW_BEFORE_DAYS * 86_400_000) {
      const parsed = parseEtk(current.etkDer);
      const sameKeys =
        parseCertificate(parsed.encryptionCertificate).spkiDer.equals(encryptionSpki) &&
        parseCertificate(parsed.authenticationCertificate).spkiDer.equals(authenticationSpki);
      if (sameKeys) return current.etkDer;
    }
    const subject: DnSequence = [
      ...ehealthDnAttributes({ type: KGSS_HOLDER.type, id: KGSS_HOLDER.value, name: KGSS_NAME, applicationId: KGSS_HOLDER.applicationId }),
    ]
      .reverse()
      .map((a) => ({ type: a.type as DnSequence[number]['type'], value: a.value }));
    const issued = await deps.issuer.issueFromTemplate(
      tx,
      { subject, subjectPublicKeySpki: authenticationSpki, profile: ehealthOrganisation, environment: deps.environment, now },
      'kgss',
    );
    const encryptionCertificate = await buildEncryptionCertificate({
      authenticationCertificate: issued.der,
      authenticationSigner: keys.authentication,
      encryptionPublicKeySpki: encryptionSpki,
      serialNumber: randomBytes(16),
    });
    const encryption = parseCertificate(encryptionCertificate);
    const etkDer = await buildEtk(
      { encryptionCertificate, authenticationCertificate: issued.der, authenticationChain: deps.ca.issuingChain },
      { certificate: deps.ca.etkRa.cert, signer: deps.ca.etkRa.signer },
    );
    if (current) await etkRepository.supersede(tx, current.id, now);
    await etkRepository.insert(tx, {
      issuedCertificateId: issued.id,
      holder,
      encryptionSerialHex: encryption.serialNumberHex,
      publicKeySpki: encryption.spkiDer,
      etkDer,
      notBefore: encryption.notBefore,
      notAfter: encryption.notAfter,
      status: 'ACTIVE',
      registeredAt: now,
    });
    await etkRepository.notifyDirectoryChanged(tx, holder.type, holder.value);
    return etkDer;
  });
  const parsed = parseEtk(etk);
  return {
    sender: { certificate: parsed.authenticationCertificate, chain: deps.ca.issuingChain, signer: keys.authentication },
    decryption: keys.decrypt(parsed.encryptionCertificate),
    keyEncryption: keys.keyEncryption,
    etk,
    keys: keys.keys,
    close: () => keys.close(),
  };
}

/** The development key source: DATA_DIR/ca/kgss under the development hierarchy's passphrase. */
export async function developmentKgssKeySource(dataDir: string): Promise<KgssKeySource> {
  const caDir = join(dataDir, 'ca');
  return { kind: 'directory', directory: join(caDir, 'kgss'), passphrase: (await readFile(join(caDir, 'passphrase'), 'utf8')).trim() };
}
