import { createPublicKey, randomBytes } from 'node:crypto';
import { access, chmod, link, mkdir, mkdtemp, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encryptPrivateKeyPem, generatePrivateKey, writeEncryptedKeyFile } from '../keys/file-key.js';
import { createKeyObjectSigner } from '../keys/key-signer.js';
import { openKeySigner, parseKeyReference } from '../keys/key-reference.js';
import { ETK_RA_SUBJECT, citizenCa as citizenCaProfile, ehealthIssuingCa, etkRaSigner, rootCa, tslSigner } from '../profiles/builtin.js';
import { toPem, type DnSequence } from '../x509/index.js';
import { CA_PUBLICATION_PATHS, DEFAULT_PUBLICATION_URL, joinUrl, type CaLogger, type CaMaterial } from './ca-material.js';
import { parseCertificate } from '../../x509/certificate.js';
import { CaConfigError, loadConfiguredHierarchy, readCaConfigFile } from './configured-hierarchy.js';
import { issueHierarchyCertificate } from './issue-ca-certificate.js';

/**
 * The development CA hierarchy, generated in DATA_DIR/ca on first start when no CA is configured:
 *
 *   eHealth Dev Root CA ── eHealth Dev Issuing CA ── ETK-RA (ETK signer)
 *   Test Citizen CA (self-signed, stands in for the Belgian eID CAs: Signature and Authentication anchor)
 *
 * Keys are encrypted PKCS#8 files whose generated passphrase sits next to them (mode 0600): this is for development
 * only, and every start says so loudly. The directory is described by hierarchy.json, a CA config file like the one
 * production uses, so both paths share one loader and one set of checks.
 */

export const DEV_ROOT_SUBJECT: DnSequence = [
  { type: 'C', value: 'BE' },
  { type: 'O', value: 'eHealth Platform Dev' },
  { type: 'CN', value: 'eHealth Dev Root CA' },
];

export const DEV_ISSUING_SUBJECT: DnSequence = [
  { type: 'C', value: 'BE' },
  { type: 'O', value: 'Federal Government' },
  { type: 'OU', value: 'eHealth-platform Belgium' },
  { type: 'CN', value: 'eHealth Dev Issuing CA' },
];

export const DEV_ETK_RA_SUBJECT: DnSequence = ETK_RA_SUBJECT;

export const DEV_TSL_SIGNER_SUBJECT: DnSequence = [
  { type: 'C', value: 'BE' },
  { type: 'O', value: 'Federal Government' },
  { type: 'OU', value: 'eHealth-platform Belgium' },
  { type: 'CN', value: 'eHealth Dev Trust List Signer' },
];

export const DEV_CITIZEN_CA_SUBJECT: DnSequence = [
  { type: 'C', value: 'BE' },
  { type: 'O', value: 'eHealth Platform Dev' },
  { type: 'CN', value: 'Test Citizen CA' },
];

/** The test citizen CA is self-signed (its own trust anchor, apart from the eHealth hierarchy): no CDP/AIA to itself. */
export const SELF_SIGNED_CITIZEN_CA = { ...citizenCaProfile, crlDistributionPoint: false, authorityInfoAccess: false };

export const DEV_HIERARCHY_FILE = 'hierarchy.json';
const PASSPHRASE_FILE = 'passphrase';

export interface DevHierarchyOptions {
  /** http base URL for CRL distribution points and AIA; the CA certificates keep the one they were created with. */
  readonly publicationUrl?: string;
  readonly now?: Date;
  readonly env?: NodeJS.ProcessEnv;
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/** Generates the four CAs into `directory` (which must exist and be private). */
async function generateDevHierarchy(directory: string, publicationUrl: string, now: Date): Promise<void> {
  const passphrase = randomBytes(32).toString('base64url');
  await writeFile(join(directory, PASSPHRASE_FILE), `${passphrase}\n`, { mode: 0o600 });
  // CA certificates start a few minutes in the past: relying parties' clocks lag.
  const notBefore = new Date(now.getTime() - 5 * 60 * 1000);

  const newKey = () => {
    const privateKey = generatePrivateKey('RSA', 2048);
    return { privateKey, signer: createKeyObjectSigner(privateKey, 'dev key'), spki: createPublicKey(privateKey).export({ type: 'spki', format: 'der' }) };
  };
  const save = async (name: string, certificate: Buffer, key: ReturnType<typeof newKey>) => {
    await writeFile(join(directory, `${name}.cert.pem`), toPem(certificate), { mode: 0o644 });
    await writeEncryptedKeyFile(join(directory, `${name}.key.pem`), key.privateKey, passphrase);
  };

  const rootKey = newKey();
  const root = await issueHierarchyCertificate({
    profile: rootCa,
    subject: DEV_ROOT_SUBJECT,
    subjectPublicKeySpki: rootKey.spki,
    issuer: undefined,
    signer: rootKey.signer,
    notBefore,
  });
  const rootFields = parseCertificate(root);
  await save('root', root, rootKey);

  const issuingKey = newKey();
  const issuing = await issueHierarchyCertificate({
    profile: ehealthIssuingCa,
    subject: DEV_ISSUING_SUBJECT,
    subjectPublicKeySpki: issuingKey.spki,
    issuer: rootFields,
    signer: rootKey.signer,
    notBefore,
    crlUrl: joinUrl(publicationUrl, CA_PUBLICATION_PATHS.root.crl),
    caIssuersUrl: joinUrl(publicationUrl, CA_PUBLICATION_PATHS.root.certificate),
  });
  await save('issuing', issuing, issuingKey);

  const etkRaKey = newKey();
  const etkRa = await issueHierarchyCertificate({
    profile: etkRaSigner,
    subject: DEV_ETK_RA_SUBJECT,
    subjectPublicKeySpki: etkRaKey.spki,
    issuer: parseCertificate(issuing),
    signer: issuingKey.signer,
    notBefore,
    crlUrl: joinUrl(publicationUrl, CA_PUBLICATION_PATHS.issuing.crl),
    caIssuersUrl: joinUrl(publicationUrl, CA_PUBLICATION_PATHS.issuing.certificate),
  });
  await save('etk-ra', etkRa, etkRaKey);

  const citizenKey = newKey();
  const citizen = await issueHierarchyCertificate({
    profile: SELF_SIGNED_CITIZEN_CA,
    subject: DEV_CITIZEN_CA_SUBJECT,
    subjectPublicKeySpki: citizenKey.spki,
    issuer: undefined,
    signer: citizenKey.signer,
    notBefore,
  });
  await save('citizen', citizen, citizenKey);

  const key = (name: string) => ({ kind: 'file', path: `${name}.key.pem`, passphraseFile: PASSPHRASE_FILE });
  const manifest = {
    publicationUrl,
    root: { certificate: 'root.cert.pem', key: key('root') },
    issuing: { certificate: 'issuing.cert.pem', key: key('issuing') },
    etkRa: { certificate: 'etk-ra.cert.pem', key: key('etk-ra') },
    citizenCa: { certificate: 'citizen.cert.pem', key: key('citizen') },
  };
  // Written last: its presence marks a complete hierarchy.
  await writeFile(join(directory, DEV_HIERARCHY_FILE), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
}

/**
 * The development OCSP responder keys (ocsp-issuing.key.pem, ocsp-root.key.pem, under the hierarchy's passphrase),
 * created when missing: hierarchies made before the responder existed get theirs on their next start. A key file is
 * published with link(), which never replaces one, so processes starting together end up with the same key.
 */
async function ensureDevOcspResponderKeys(caDir: string) {
  const keys: Record<'issuing' | 'root', { kind: 'file'; path: string; passphraseFile: string }> = {
    issuing: { kind: 'file', path: join(caDir, 'ocsp-issuing.key.pem'), passphraseFile: join(caDir, PASSPHRASE_FILE) },
    root: { kind: 'file', path: join(caDir, 'ocsp-root.key.pem'), passphraseFile: join(caDir, PASSPHRASE_FILE) },
  };
  for (const key of Object.values(keys)) {
    if (await exists(key.path)) continue;
    const passphrase = (await readFile(key.passphraseFile, 'utf8')).trim();
    const temporary = `${key.path}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(temporary, encryptPrivateKeyPem(generatePrivateKey('RSA', 2048), passphrase), { mode: 0o600, flag: 'wx' });
    try {
      await link(temporary, key.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      await unlink(temporary);
    }
  }
  return keys;
}

/**
 * The development trusted-list signer (DATA_DIR/ca/tsl-signer/: certificate issued by the issuing CA with EKU
 * id-tsl-kp-tslSigning, key under the hierarchy's passphrase), created when missing. It is made in a private directory
 * renamed into place, so processes starting together end up with the same signer.
 */
async function ensureDevTslSigner(caDir: string, manifest: Awaited<ReturnType<typeof readCaConfigFile>>, now: Date) {
  const directory = join(caDir, 'tsl-signer');
  const entry = {
    certificate: join(directory, 'cert.pem'),
    key: { kind: 'file' as const, path: join(directory, 'key.pem'), passphraseFile: join(caDir, PASSPHRASE_FILE) },
  };
  if (await exists(entry.certificate)) return entry;
  const issuingKey = typeof manifest.issuing.key === 'string' ? parseKeyReference(manifest.issuing.key) : manifest.issuing.key!;
  // The manifest's file paths are relative to the hierarchy directory.
  const issuingSigner = await openKeySigner(
    issuingKey.kind === 'file' ? { ...issuingKey, path: join(caDir, issuingKey.path), passphraseFile: join(caDir, PASSPHRASE_FILE) } : issuingKey,
  );
  const temporary = await mkdtemp(join(caDir, '.tsl-'));
  try {
    const key = generatePrivateKey('RSA', 2048);
    const certificate = await issueHierarchyCertificate({
      profile: tslSigner,
      subject: DEV_TSL_SIGNER_SUBJECT,
      subjectPublicKeySpki: createPublicKey(key).export({ type: 'spki', format: 'der' }),
      issuer: parseCertificate(await readCertificateDer(join(caDir, manifest.issuing.certificate))),
      signer: issuingSigner,
      notBefore: new Date(now.getTime() - 5 * 60 * 1000),
    });
    await writeFile(join(temporary, 'cert.pem'), toPem(certificate), { mode: 0o644 });
    const passphrase = (await readFile(join(caDir, PASSPHRASE_FILE), 'utf8')).trim();
    await writeEncryptedKeyFile(join(temporary, 'key.pem'), key, passphrase);
    try {
      await rename(temporary, directory);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
    }
  } finally {
    await rm(temporary, { recursive: true, force: true });
    await issuingSigner.close();
  }
  return entry;
}

async function readCertificateDer(path: string): Promise<Buffer> {
  const pem = await readFile(path, 'utf8');
  return Buffer.from(pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, ''), 'base64');
}

/**
 * Loads DATA_DIR/ca, creating it first if absent. Generation happens in a private temp directory that is renamed
 * into place, so a crash leaves nothing half-written and two processes starting together end up with the same
 * hierarchy (the loser of the rename discards its own and loads the winner's).
 */
export async function loadOrCreateDevHierarchy(dataDir: string, logger?: CaLogger, options: DevHierarchyOptions = {}): Promise<CaMaterial> {
  const caDir = join(dataDir, 'ca');
  const manifest = join(caDir, DEV_HIERARCHY_FILE);
  const now = options.now ?? new Date();
  let created = false;
  if (!(await exists(manifest))) {
    await mkdir(dataDir, { recursive: true });
    const temporary = await mkdtemp(join(dataDir, '.ca-'));
    try {
      await chmod(temporary, 0o700);
      await generateDevHierarchy(temporary, (options.publicationUrl ?? DEFAULT_PUBLICATION_URL).replace(/\/+$/, ''), now);
      try {
        await rename(temporary, caDir); // atomic; replaces an empty directory, fails on a populated one
        created = true;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
      }
    } finally {
      if (!created) await rm(temporary, { recursive: true, force: true });
    }
    if (!(await exists(manifest))) {
      throw new CaConfigError(`${caDir} exists but holds no ${DEV_HIERARCHY_FILE}; remove it to regenerate the development CA, or set CA_CONFIG_FILE`);
    }
  }
  const manifestConfig = await readCaConfigFile(manifest);
  const config = {
    ...manifestConfig,
    ocspResponders: await ensureDevOcspResponderKeys(caDir),
    tslSigner: await ensureDevTslSigner(caDir, manifestConfig, options.now ?? new Date()),
  };
  // The current public URL wins for what is issued from now on; the CA certificates keep the URLs they were made with.
  const publicationUrl = options.publicationUrl?.replace(/\/+$/, '') ?? config.publicationUrl;
  const material = await loadConfiguredHierarchy(
    { ...config, ...(publicationUrl ? { publicationUrl } : {}) },
    { development: true, now, ...(options.env ? { env: options.env } : {}) },
  );
  logger?.warn(
    `DEVELOPMENT CA HIERARCHY ${created ? 'created' : 'loaded'} in ${caDir}: keys are protected by a passphrase stored beside them. ` +
      'Never use it in production; configure CA_CONFIG_FILE with your own CA certificates and keys (file or PKCS#11).',
  );
  return material;
}
