import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { generatePrivateKey, resolveSecret, writeEncryptedKeyFile } from '../keys/file-key.js';
import type { KeyAlgorithm, KeySigner } from '../keys/key-signer.js';
import { describeKeyReference, keyReferenceUri, openKeySigner, type ClosableKeySigner, type KeyReference } from '../keys/key-reference.js';
import { generateTokenKeyPair, privateKeyLabelsOnToken, type Pkcs11TokenLocation } from '../keys/pkcs11-key.js';
import { ETK_RA_SUBJECT, ehealthIssuingCa, etkRaSigner, rootCa, tslSigner } from '../profiles/builtin.js';
import { buildCsrWithSigner, toPem, verifyIssuedBy, type DnSequence } from '../x509/index.js';
import { certificatesFrom, parseCertificate, type ParsedCertificate } from '../../x509/certificate.js';
import { CA_PUBLICATION_PATHS, joinUrl } from './ca-material.js';
import { CaConfigError, loadConfiguredHierarchy, readCaConfigFile } from './configured-hierarchy.js';
import { issueHierarchyCertificate } from './issue-ca-certificate.js';

/**
 * `ca:init`: sets up a production CA (step-ca's `step ca init` is the model). Keys are made in the chosen custody —
 * a PKCS#11 token (never extractable) or encrypted PKCS#8 files under an operator's passphrase — and the certificates
 * the platform needs are issued from them: the root (or a CSR for an external root), the issuing CA, the ETK-RA
 * signer, the OCSP responders' keys, the trusted-list signer, and the audit checkpoint key. The result is a
 * CA_CONFIG_FILE (ca-config.json) loaded by the same code the service runs, and production.env naming the settings.
 *
 * Idempotent and never overwriting: a directory whose configuration loads is reported as initialised and left alone;
 * a directory holding anything else, or a token already holding keys under the labels it would use, is refused.
 * With an external root it runs twice: first the issuing CA's key and CSR (ca-init-pending.json records them), then,
 * given the certificates the external root issued, the rest.
 */

export const CA_CONFIG_FILE_NAME = 'ca-config.json';
export const PENDING_FILE_NAME = 'ca-init-pending.json';
export const ENV_FILE_NAME = 'production.env';

/**
 * What a production start needs or should have beyond the CA, which ca:init cannot know: written commented out into
 * production.env, so that the operator's next step is in the file rather than in the service's first refusal.
 */
const SETTINGS_CA_INIT_CANNOT_KNOW = [
  '# Still to set before the first start (see the README, Configuration):',
  '# EID_SIGNATURE_CA_FILES=/etc/ehealth/eid/citizen-ca.pem,…            required: PEM files of the eID Signature CAs',
  '# EID_AUTHENTICATION_CA_FILES=/etc/ehealth/eid/citizen-ca.pem,…       required: PEM files of the eID Authentication CAs',
  '# DATABASE_URL=postgres://ehealth@db.example.be/ehealth                 without it: the embedded PGlite in DATA_DIR, one process',
  '# PUBLIC_URL=https://certificates.example.be                            the TLS address the served WSDLs name',
  '# ADMIN_TLS_CERT_FILE=/etc/ehealth/admin/tls.cert.pem                   with ADMIN_TLS_KEY_FILE: the officer listener (else ADMIN_PORT=off)',
  '# ADMIN_TLS_KEY_FILE=/etc/ehealth/admin/tls.key.pem',
  '# METRICS_TOKEN=…                                                        /metrics is served to nobody in production without it',
  '# SMTP_URL=smtp://mail.example.be  REMINDER_FROM="eHealth certificates <certificates@example.be>"   expiry reminders',
];
const ISSUING_CSR_FILE = 'issuing.csr.pem';

export type KeyCustodyChoice =
  | { readonly kind: 'file'; readonly passphraseEnv?: string; readonly passphraseFile?: string }
  | ({ readonly kind: 'pkcs11'; readonly labelPrefix: string } & Pkcs11TokenLocation);

export interface CaNames {
  readonly country: string;
  readonly organization: string;
  readonly organizationalUnit?: string;
  readonly rootCommonName: string;
  readonly issuingCommonName: string;
  readonly tslSignerCommonName: string;
}

export interface CaInitRequest {
  readonly directory: string;
  readonly custody: KeyCustodyChoice;
  /** 'self-signed': the root is made here; 'external': the issuing CA is certified by a root kept elsewhere. */
  readonly root: 'self-signed' | 'external';
  /** Self-signed root only: leave the root key out of the configuration (the root signs nothing while the service runs). */
  readonly offlineRoot?: boolean;
  /** External root, second run: the root's certificate and the issuing CA certificate it issued (files). */
  readonly externalRootCertificate?: string;
  readonly externalIssuingCertificate?: string;
  readonly publicationUrl: string;
  readonly names: CaNames;
  readonly caRsaBits: number;
  readonly now: Date;
  readonly env?: NodeJS.ProcessEnv;
}

export type CaInitOutcome =
  | { readonly state: 'created'; readonly configFile: string; readonly envFile: string; readonly keys: ReadonlyArray<{ role: string; reference: string }> }
  | { readonly state: 'already-initialised'; readonly configFile: string }
  | { readonly state: 'awaiting-root-certificate'; readonly csrFile: string; readonly pendingFile: string };

export class CaInitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CaInitError';
  }
}

/** The keys ca:init makes, by role: the label suffix on a token and the file name otherwise. */
const KEY_ROLES = {
  root: { name: 'root', what: 'root CA' },
  issuing: { name: 'issuing', what: 'issuing CA' },
  etkRa: { name: 'etk-ra', what: 'ETK-RA signer' },
  ocspIssuing: { name: 'ocsp-issuing', what: 'OCSP responder of the issuing CA' },
  ocspRoot: { name: 'ocsp-root', what: 'OCSP responder of the root' },
  tslSigner: { name: 'tsl-signer', what: 'trusted-list signer' },
  audit: { name: 'audit', what: 'audit checkpoint key' },
  kgssAuthentication: { name: 'kgss-authentication', what: 'KGSS authentication key' },
  kgssEncryption: { name: 'kgss-encryption', what: 'KGSS encryption key (its ETK)' },
  kgssKek: { name: 'kgss-kek', what: 'KGSS key-encryption key' },
} as const;
type KeyRole = keyof typeof KEY_ROLES;
const ALL_KEY_ROLES = Object.keys(KEY_ROLES) as KeyRole[];
/** The keys made once the issuing CA exists (with an external root: in the second run). */
const LATER_ROLES: readonly KeyRole[] = ['etkRa', 'ocspIssuing', 'tslSigner', 'audit', 'kgssAuthentication', 'kgssEncryption', 'kgssKek'];

interface CreatedKey {
  readonly reference: KeyReference;
  readonly signer: ClosableKeySigner;
}

/** Makes keys in the chosen custody; references are relative to the directory (file keys) so the directory can move. */
class KeyMaker {
  private readonly opened: ClosableKeySigner[] = [];
  private passphrase: string | undefined;

  constructor(
    private readonly directory: string,
    private readonly custody: KeyCustodyChoice,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  labelOf(role: KeyRole): string {
    return this.custody.kind === 'pkcs11' ? `${this.custody.labelPrefix}${KEY_ROLES[role].name}` : `${KEY_ROLES[role].name}.key.pem`;
  }

  /** Fails before anything is made when the custody cannot take these keys (no passphrase, PIN, token, or labels taken). */
  async checkCanCreate(roles: readonly KeyRole[]): Promise<void> {
    if (this.custody.kind === 'file') {
      const passphrase = await resolveSecret({ env: this.custody.passphraseEnv, file: this.custody.passphraseFile }, 'the key passphrase', this.env);
      if (passphrase.length < 16) throw new CaInitError('the key passphrase must be at least 16 characters');
      this.passphrase = passphrase;
      return;
    }
    const taken = await privateKeyLabelsOnToken(
      this.custody,
      roles.map((role) => this.labelOf(role)),
      this.env,
    );
    if (taken.length > 0) {
      throw new CaInitError(
        `the token already holds private key(s) labelled ${taken.join(', ')} (an earlier or interrupted ca:init?): ` +
          'choose another --key-label-prefix, or delete those keys from the token first',
      );
    }
  }

  /** A decryption key (`usage: 'decrypt'`, RSA) is not opened as a signer: its reference is all the caller needs. */
  async createDecryptionKey(role: KeyRole, rsaBits: number): Promise<KeyReference> {
    return this.make(role, 'RSA', rsaBits, 'decrypt');
  }

  async create(role: KeyRole, algorithm: KeyAlgorithm, rsaBits = 2048): Promise<CreatedKey> {
    const reference = await this.make(role, algorithm, rsaBits, 'sign');
    return { reference, signer: await this.open(reference) };
  }

  private async make(role: KeyRole, algorithm: KeyAlgorithm, rsaBits: number, usage: 'sign' | 'decrypt'): Promise<KeyReference> {
    let reference: KeyReference;
    if (this.custody.kind === 'file') {
      if (this.passphrase === undefined) throw new Error('KeyMaker: checkCanCreate first');
      const file = this.labelOf(role);
      await writeEncryptedKeyFile(join(this.directory, file), generatePrivateKey(algorithm, rsaBits), this.passphrase);
      reference = {
        kind: 'file',
        path: file,
        ...(this.custody.passphraseEnv ? { passphraseEnv: this.custody.passphraseEnv } : { passphraseFile: resolve(this.custody.passphraseFile!) }),
      };
    } else {
      const { labelPrefix: _prefix, kind: _kind, ...token } = this.custody;
      const made = await generateTokenKeyPair(
        token,
        { algorithm, usage, keyId: randomBytes(8).toString('hex'), keyLabel: this.labelOf(role), rsaModulusBits: rsaBits },
        this.env,
      );
      reference = {
        kind: 'pkcs11',
        module: token.module,
        ...(token.tokenLabel !== undefined ? { tokenLabel: token.tokenLabel } : { slot: String(token.slot) }),
        ...(token.pinEnv ? { pinEnv: token.pinEnv } : { pinFile: resolve(token.pinFile!) }),
        keyId: made.keyId,
        keyLabel: this.labelOf(role),
      };
    }
    return reference;
  }

  async open(reference: KeyReference): Promise<ClosableKeySigner> {
    const absolute = reference.kind === 'file' ? { ...reference, path: join(this.directory, reference.path) } : reference;
    const signer = await openKeySigner(absolute, this.env);
    this.opened.push(signer);
    return signer;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.opened.splice(0).map((signer) => signer.close()));
  }
}

function subjectOf(names: CaNames, commonName: string): DnSequence {
  return [
    { type: 'C', value: names.country },
    { type: 'O', value: names.organization },
    ...(names.organizationalUnit ? [{ type: 'OU' as const, value: names.organizationalUnit }] : []),
    { type: 'CN', value: commonName },
  ];
}

const spkiOf = (signer: KeySigner) => signer.publicKeySpki;

async function readCertificate(path: string, what: string): Promise<ParsedCertificate> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new CaInitError(`${what}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    const text = bytes.toString('latin1');
    return parseCertificate(certificatesFrom(text.includes('-----BEGIN CERTIFICATE-----') ? text : bytes)[0]!);
  } catch (error) {
    throw new CaInitError(`${what}: ${path} is not an X.509 certificate (${(error as Error).message})`);
  }
}

async function writePublic(path: string, content: string): Promise<void> {
  await writeFile(path, content, { mode: 0o644, flag: 'wx' });
}

/** What a directory holds, to decide between a fresh set-up, a second run, a finished one, and a refusal. */
async function inspect(directory: string): Promise<{ entries: string[]; configured: boolean; pending: boolean }> {
  let entries: string[] = [];
  try {
    entries = await readdir(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new CaInitError(`cannot read ${directory} (${(error as NodeJS.ErrnoException).code})`);
  }
  return { entries, configured: entries.includes(CA_CONFIG_FILE_NAME), pending: entries.includes(PENDING_FILE_NAME) };
}

interface PendingIssuing {
  readonly version: 1;
  readonly issuingKey: KeyReference;
  readonly csrFile: string;
  readonly publicationUrl: string;
  readonly names: CaNames;
  readonly custody: KeyCustodyChoice;
}

export async function initializeCa(request: CaInitRequest): Promise<CaInitOutcome> {
  const directory = resolve(request.directory);
  const env = request.env ?? process.env;
  const configFile = join(directory, CA_CONFIG_FILE_NAME);
  const state = await inspect(directory);
  if (state.configured) {
    await assertLoads(configFile, env, request.now);
    return { state: 'already-initialised', configFile };
  }
  if (request.root === 'external' && state.pending) return continueWithExternalRoot(request, directory, env);
  if (state.pending)
    throw new CaInitError(`${directory} holds a pending set-up for an external root (${PENDING_FILE_NAME}): run ca:init again with --root external`);
  if (state.entries.length > 0) {
    throw new CaInitError(
      `${directory} is not empty and holds no ${CA_CONFIG_FILE_NAME} (${state.entries.slice(0, 5).join(', ')}…): ca:init writes only into a new or empty directory`,
    );
  }
  if (request.externalRootCertificate || request.externalIssuingCertificate) {
    throw new CaInitError('the root and issuing certificates are given on the second run of an external-root set-up, after the first made the CSR');
  }
  const keys = new KeyMaker(directory, request.custody, env);
  // Checked before anything is made: a refused set-up leaves no trace.
  await keys.checkCanCreate(request.root === 'external' ? ['issuing', ...LATER_ROLES] : [...ALL_KEY_ROLES]);
  await mkdir(directory, { recursive: true, mode: 0o700 });
  try {
    if (request.root === 'external') {
      const issuingKey = await keys.create('issuing', 'RSA', request.caRsaBits);
      const csr = await buildCsrWithSigner(subjectOf(request.names, request.names.issuingCommonName), issuingKey.signer);
      const csrFile = join(directory, ISSUING_CSR_FILE);
      await writePublic(csrFile, toPem(csr, 'CERTIFICATE REQUEST'));
      const pending: PendingIssuing = {
        version: 1,
        issuingKey: issuingKey.reference,
        csrFile: ISSUING_CSR_FILE,
        publicationUrl: request.publicationUrl,
        names: request.names,
        custody: request.custody,
      };
      await writeFile(join(directory, PENDING_FILE_NAME), `${JSON.stringify(pending, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
      return { state: 'awaiting-root-certificate', csrFile, pendingFile: join(directory, PENDING_FILE_NAME) };
    }
    const notBefore = new Date(request.now.getTime() - 5 * 60 * 1000);
    const rootKey = await keys.create('root', 'RSA', request.caRsaBits);
    const rootDer = await issueHierarchyCertificate({
      profile: rootCa,
      environment: 'production',
      subject: subjectOf(request.names, request.names.rootCommonName),
      subjectPublicKeySpki: spkiOf(rootKey.signer),
      issuer: undefined,
      signer: rootKey.signer,
      notBefore,
    });
    const root = parseCertificate(rootDer);
    await writePublic(join(directory, 'root.cert.pem'), toPem(rootDer));
    const issuingKey = await keys.create('issuing', 'RSA', request.caRsaBits);
    const issuingDer = await issueHierarchyCertificate({
      profile: ehealthIssuingCa,
      environment: 'production',
      subject: subjectOf(request.names, request.names.issuingCommonName),
      subjectPublicKeySpki: spkiOf(issuingKey.signer),
      issuer: root,
      signer: rootKey.signer,
      notBefore,
      crlUrl: joinUrl(request.publicationUrl, CA_PUBLICATION_PATHS.root.crl),
      caIssuersUrl: joinUrl(request.publicationUrl, CA_PUBLICATION_PATHS.root.certificate),
    });
    await writePublic(join(directory, 'issuing.cert.pem'), toPem(issuingDer));
    const ocspRoot = request.offlineRoot ? undefined : await keys.create('ocspRoot', 'RSA');
    return await finish(request, directory, keys, {
      root: { certificate: 'root.cert.pem', ...(request.offlineRoot ? {} : { key: rootKey.reference }) },
      issuing: { certificate: 'issuing.cert.pem', key: issuingKey.reference, signer: issuingKey.signer, fields: parseCertificate(issuingDer) },
      ocspRoot: ocspRoot?.reference,
      extraKeys: [
        { role: KEY_ROLES.root.what + (request.offlineRoot ? ' (offline: not in the configuration)' : ''), reference: describeKeyReference(rootKey.reference) },
        { role: KEY_ROLES.issuing.what, reference: describeKeyReference(issuingKey.reference) },
        ...(ocspRoot ? [{ role: KEY_ROLES.ocspRoot.what, reference: describeKeyReference(ocspRoot.reference) }] : []),
      ],
    });
  } finally {
    await keys.closeAll();
  }
}

/** Second run with an external root: checks the certificates it issued against the pending key, then the rest. */
async function continueWithExternalRoot(request: CaInitRequest, directory: string, env: NodeJS.ProcessEnv): Promise<CaInitOutcome> {
  const pendingFile = join(directory, PENDING_FILE_NAME);
  const pending = JSON.parse(await readFile(pendingFile, 'utf8')) as PendingIssuing;
  if (!request.externalRootCertificate || !request.externalIssuingCertificate) {
    return { state: 'awaiting-root-certificate', csrFile: join(directory, pending.csrFile), pendingFile };
  }
  const root = await readCertificate(request.externalRootCertificate, 'root certificate');
  const issuing = await readCertificate(request.externalIssuingCertificate, 'issuing CA certificate');
  if (!verifyIssuedBy(root, root)) throw new CaInitError('the root certificate is not self-signed');
  if (!verifyIssuedBy(issuing, root)) throw new CaInitError('the issuing CA certificate is not issued by the root certificate given');
  if (!issuing.basicConstraints?.ca || !issuing.keyUsage?.has('keyCertSign') || !issuing.keyUsage.has('cRLSign')) {
    throw new CaInitError('the issuing CA certificate must be a CA certificate with keyUsage keyCertSign and cRLSign');
  }
  const keys = new KeyMaker(directory, pending.custody, env);
  try {
    const issuingSigner = await keys.open(pending.issuingKey);
    if (!issuingSigner.publicKeySpki.equals(issuing.spkiDer)) {
      throw new CaInitError(`the issuing CA certificate does not certify the key of ${pending.csrFile} (public keys differ)`);
    }
    await keys.checkCanCreate(LATER_ROLES);
    await writePublic(join(directory, 'root.cert.pem'), toPem(root.der));
    await writePublic(join(directory, 'issuing.cert.pem'), toPem(issuing.der));
    const outcome = await finish({ ...request, publicationUrl: pending.publicationUrl, names: pending.names }, directory, keys, {
      root: { certificate: 'root.cert.pem' },
      issuing: { certificate: 'issuing.cert.pem', key: pending.issuingKey, signer: issuingSigner, fields: issuing },
      ocspRoot: undefined,
      extraKeys: [{ role: KEY_ROLES.issuing.what, reference: describeKeyReference(pending.issuingKey) }],
    });
    await rm(pendingFile);
    return outcome;
  } finally {
    await keys.closeAll();
  }
}

interface Hierarchy {
  readonly root: { certificate: string; key?: KeyReference };
  readonly issuing: { certificate: string; key: KeyReference; signer: KeySigner; fields: ParsedCertificate };
  readonly ocspRoot: KeyReference | undefined;
  readonly extraKeys: ReadonlyArray<{ role: string; reference: string }>;
}

/** What every set-up ends with: the signers under the issuing CA, the audit key, then the configuration, last. */
async function finish(request: CaInitRequest, directory: string, keys: KeyMaker, hierarchy: Hierarchy): Promise<CaInitOutcome> {
  // A little in the past for relying parties whose clocks lag, but never before the issuing CA (just certified by an external root).
  const notBefore = new Date(Math.max(request.now.getTime() - 5 * 60 * 1000, hierarchy.issuing.fields.notBefore.getTime()));
  const underIssuing = {
    issuer: hierarchy.issuing.fields,
    signer: hierarchy.issuing.signer,
    environment: 'production' as const,
    notBefore,
    crlUrl: joinUrl(request.publicationUrl, CA_PUBLICATION_PATHS.issuing.crl),
    caIssuersUrl: joinUrl(request.publicationUrl, CA_PUBLICATION_PATHS.issuing.certificate),
  };
  const etkRaKey = await keys.create('etkRa', 'RSA');
  const etkRaDer = await issueHierarchyCertificate({
    ...underIssuing,
    profile: etkRaSigner,
    subject: ETK_RA_SUBJECT,
    subjectPublicKeySpki: spkiOf(etkRaKey.signer),
  });
  await writePublic(join(directory, 'etk-ra.cert.pem'), toPem(etkRaDer));
  const tslKey = await keys.create('tslSigner', 'RSA');
  const tslDer = await issueHierarchyCertificate({
    ...underIssuing,
    profile: tslSigner,
    subject: subjectOf(request.names, request.names.tslSignerCommonName),
    subjectPublicKeySpki: spkiOf(tslKey.signer),
  });
  await writePublic(join(directory, 'tsl-signer.cert.pem'), toPem(tslDer));
  const ocspIssuing = await keys.create('ocspIssuing', 'RSA');
  const audit = await keys.create('audit', 'EC-P256');
  // The KGSS's keys: its certificate and ETK are made by the service at start (under this issuing CA and ETK-RA).
  const kgss = {
    authentication: (await keys.create('kgssAuthentication', 'RSA')).reference,
    encryption: await keys.createDecryptionKey('kgssEncryption', 2048),
    kek: await keys.createDecryptionKey('kgssKek', 3072),
  };

  const config = {
    publicationUrl: request.publicationUrl,
    root: hierarchy.root,
    issuing: { certificate: hierarchy.issuing.certificate, key: hierarchy.issuing.key },
    etkRa: { certificate: 'etk-ra.cert.pem', key: etkRaKey.reference },
    ocspResponders: { issuing: ocspIssuing.reference, ...(hierarchy.ocspRoot ? { root: hierarchy.ocspRoot } : {}) },
    tslSigner: { certificate: 'tsl-signer.cert.pem', key: tslKey.reference },
  };
  const configFile = join(directory, CA_CONFIG_FILE_NAME);
  // The audit key is a setting of its own (AUDIT_KEY); file paths in it are absolute, since it is not read from here.
  const absolute = (reference: KeyReference): KeyReference => (reference.kind === 'file' ? { ...reference, path: join(directory, reference.path) } : reference);
  const auditReference = absolute(audit.reference);
  const envFile = join(directory, ENV_FILE_NAME);
  const secretNames = [
    request.custody.kind === 'file' ? request.custody.passphraseEnv : request.custody.kind === 'pkcs11' ? request.custody.pinEnv : undefined,
  ].filter((name): name is string => Boolean(name));
  await writeFile(
    envFile,
    [
      '# Written by ca:init: the settings of a production platform using this CA. No secret is written here:',
      ...secretNames.map(
        (name) => `# ${name} must be set in the service's environment (the ${request.custody.kind === 'file' ? 'key passphrase' : 'token PIN'}).`,
      ),
      'ENVIRONMENT=production',
      `CA_CONFIG_FILE=${configFile}`,
      `CA_PUBLICATION_URL=${request.publicationUrl}`,
      `AUDIT_KEY=${keyReferenceUri(auditReference)}`,
      `KGSS_AUTHENTICATION_KEY=${keyReferenceUri(absolute(kgss.authentication))}`,
      `KGSS_ENCRYPTION_KEY=${keyReferenceUri(absolute(kgss.encryption))}`,
      `KGSS_KEK=${keyReferenceUri(absolute(kgss.kek))}`,
      '',
      ...SETTINGS_CA_INIT_CANNOT_KNOW,
      '',
    ].join('\n'),
    { mode: 0o600, flag: 'wx' },
  );
  // Written last: its presence marks a complete set-up.
  await writeFile(configFile, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await assertLoads(configFile, request.env ?? process.env, request.now);
  } catch (error) {
    await rm(configFile, { force: true });
    throw error;
  }
  return {
    state: 'created',
    configFile,
    envFile,
    keys: [
      ...hierarchy.extraKeys,
      { role: KEY_ROLES.etkRa.what, reference: describeKeyReference(etkRaKey.reference) },
      { role: KEY_ROLES.tslSigner.what, reference: describeKeyReference(tslKey.reference) },
      { role: KEY_ROLES.ocspIssuing.what, reference: describeKeyReference(ocspIssuing.reference) },
      { role: KEY_ROLES.audit.what, reference: describeKeyReference(auditReference) },
      { role: KEY_ROLES.kgssAuthentication.what, reference: describeKeyReference(absolute(kgss.authentication)) },
      { role: KEY_ROLES.kgssEncryption.what, reference: describeKeyReference(absolute(kgss.encryption)) },
      { role: KEY_ROLES.kgssKek.what, reference: describeKeyReference(absolute(kgss.kek)) },
    ],
  };
}

/** The configuration loads with the service's own loader: keys open, match their certificates, chains hold. */
async function assertLoads(configFile: string, env: NodeJS.ProcessEnv, now: Date): Promise<void> {
  try {
    const material = await loadConfiguredHierarchy(await readCaConfigFile(configFile), { env, now });
    await material.close();
  } catch (error) {
    const reason = error instanceof CaConfigError ? error.message : (error as Error).message;
    throw new CaInitError(`${configFile} does not load: ${reason}`);
  }
}
