import { constants, createHash, createPublicKey, privateDecrypt, publicEncrypt, randomBytes, type KeyObject } from 'node:crypto';
import { access, mkdir, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { SealingSender } from '../../ca/etee/sealed-message.js';
import { buildEncryptionCertificate, buildEtk, parseEtk } from '../../ca/etk/index.js';
import type { CaMaterial } from '../../ca/hierarchy/index.js';
import { generatePrivateKey, loadEncryptedKeyFile, writeEncryptedKeyFile } from '../../ca/keys/file-key.js';
import { createKeyObjectSigner } from '../../ca/keys/key-signer.js';
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
 * The three keys (authentication, encryption, KEK: RSA) are encrypted PKCS#8 files in the key directory, created on
 * first start in a private directory renamed into place (processes starting together end up with the same keys).
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
  readonly decryption: { readonly certificate: Buffer; readonly privateKey: KeyObject };
  readonly keyEncryption: KeyEncryptionKey;
  readonly etk: Buffer;
}

export interface KgssKeySource {
  /** Directory of authentication.key.pem, encryption.key.pem, kek.key.pem (created when absent). */
  readonly directory: string;
  /** Their passphrase. */
  readonly passphrase: string;
}

export interface KgssIdentityDependencies {
  readonly db: Database;
  readonly clock: Clock;
  readonly ca: CaMaterial;
  readonly issuer: CertificateIssuer;
  readonly environment: Environment;
}

const KEY_FILES = { authentication: 'authentication.key.pem', encryption: 'encryption.key.pem', kek: 'kek.key.pem' } as const;

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

async function loadOrCreateKeys(source: KgssKeySource): Promise<Record<keyof typeof KEY_FILES, KeyObject>> {
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

/** RSA-OAEP (SHA-256) under the KEK: the stored form of a KGSS key. */
export function keyEncryptionKey(privateKey: KeyObject): KeyEncryptionKey {
  const publicKey = createPublicKey(privateKey);
  const id = createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
  const oaep = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' };
  return {
    id,
    wrap: (key) => publicEncrypt({ key: publicKey, ...oaep }, key),
    unwrap: (wrapped) => privateDecrypt({ key: privateKey, ...oaep }, wrapped),
  };
}

const spki = (key: KeyObject) => createPublicKey(key).export({ type: 'spki', format: 'der' });

export async function loadKgssIdentity(source: KgssKeySource, deps: KgssIdentityDependencies): Promise<KgssIdentity> {
  const keys = await loadOrCreateKeys(source);
  const authenticationSpki = spki(keys.authentication);
  const encryptionSpki = spki(keys.encryption);
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
      authenticationSigner: createKeyObjectSigner(keys.authentication, 'KGSS authentication key'),
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
    sender: {
      certificate: parsed.authenticationCertificate,
      chain: deps.ca.issuingChain,
      signer: createKeyObjectSigner(keys.authentication, 'KGSS authentication key'),
    },
    decryption: { certificate: parsed.encryptionCertificate, privateKey: keys.encryption },
    keyEncryption: keyEncryptionKey(keys.kek),
    etk,
  };
}

/** The development key source: DATA_DIR/ca/kgss under the development hierarchy's passphrase. */
export async function developmentKgssKeySource(dataDir: string): Promise<KgssKeySource> {
  const caDir = join(dataDir, 'ca');
  return { directory: join(caDir, 'kgss'), passphrase: (await readFile(join(caDir, 'passphrase'), 'utf8')).trim() };
}
