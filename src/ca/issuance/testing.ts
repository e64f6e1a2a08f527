import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createKeyObjectSigner, type KeySigner } from '../keys/key-signer.js';
import { ehealthIssuingCa, rootCa } from '../profiles/builtin.js';
import type { CertificateProfile } from '../profiles/types.js';
import type { DnSequence } from '../x509/name.js';
import type { IssuerInput } from './issuer.js';
import { issue, prepareFromTemplate } from './prepare.js';

/**
 * An in-memory CA hierarchy for tests and benchmarks (never for a running service: the keys are not protected).
 */

export type TestKeyKind = 'RSA-2048' | 'RSA-3072' | 'RSA-1024' | 'RSA-2048-e3' | 'P-256' | 'P-384' | 'P-521';

export function generateTestKey(kind: TestKeyKind): KeyObject {
  switch (kind) {
    case 'RSA-2048':
      return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    case 'RSA-3072':
      return generateKeyPairSync('rsa', { modulusLength: 3072 }).privateKey;
    case 'RSA-1024':
      return generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    case 'RSA-2048-e3':
      return generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 3 }).privateKey;
    default:
      return generateKeyPairSync('ec', { namedCurve: kind }).privateKey;
  }
}

const keyCache = new Map<string, KeyObject>();

/** The same key for the same (kind, slot) within a process: key generation dominates test time otherwise. */
export function sharedTestKey(kind: TestKeyKind, slot = 0): KeyObject {
  const id = `${kind}#${slot}`;
  let key = keyCache.get(id);
  if (!key) keyCache.set(id, (key = generateTestKey(kind)));
  return key;
}

export const spkiOf = (privateKey: KeyObject): Buffer => createPublicKey(privateKey).export({ type: 'spki', format: 'der' });

export interface TestCa {
  readonly certificateDer: Buffer;
  readonly signer: KeySigner;
  readonly privateKey: KeyObject;
  /** Ready to pass as `issuer` to the prepare functions. */
  readonly issuer: IssuerInput;
}

export interface TestHierarchyOptions {
  readonly now: Date;
  readonly rootKey?: KeyObject;
  readonly issuingKey?: KeyObject;
  readonly issuingProfile?: CertificateProfile;
  readonly issuingSubject?: DnSequence;
  /** Issuing CA lifetime; shorter values let tests exercise clamping. */
  readonly issuingValidityMonths?: number;
  readonly baseUrl?: string;
}

export async function createTestHierarchy(options: TestHierarchyOptions): Promise<{ root: TestCa; issuing: TestCa }> {
  const base = options.baseUrl ?? 'http://pki.example.test';
  const rootKey = options.rootKey ?? sharedTestKey('RSA-2048', 100);
  const rootSigner = createKeyObjectSigner(rootKey, 'test root');
  const rootCert = await issue(
    await prepareFromTemplate({
      profile: rootCa,
      environment: 'acceptance',
      now: options.now,
      subject: [
        { type: 'C', value: 'BE' },
        { type: 'O', value: 'Test Platform' },
        { type: 'CN', value: 'Test Root CA' },
      ],
      issuer: { selfSigned: true, signer: rootSigner },
    }),
  );
  const root: TestCa = {
    certificateDer: rootCert.der,
    signer: rootSigner,
    privateKey: rootKey,
    issuer: { certificateDer: rootCert.der, signer: rootSigner, crlUrl: `${base}/crl/root.crl`, caIssuersUrl: `${base}/certs/root.cer` },
  };

  const issuingKey = options.issuingKey ?? sharedTestKey('RSA-2048', 101);
  const issuingSigner = createKeyObjectSigner(issuingKey, 'test issuing CA');
  const issuingCert = await issue(
    await prepareFromTemplate({
      profile: options.issuingProfile ?? ehealthIssuingCa,
      environment: 'acceptance',
      now: options.now,
      ...(options.issuingValidityMonths === undefined ? {} : { validityMonths: options.issuingValidityMonths }),
      subject: options.issuingSubject ?? [
        { type: 'C', value: 'BE' },
        { type: 'O', value: 'Federal Government' },
        { type: 'OU', value: 'eHealth-platform Belgium' },
        { type: 'CN', value: 'Test eH CA' },
      ],
      subjectPublicKeySpki: spkiOf(issuingKey),
      issuer: root.issuer,
    }),
  );
  const issuing: TestCa = {
    certificateDer: issuingCert.der,
    signer: issuingSigner,
    privateKey: issuingKey,
    issuer: { certificateDer: issuingCert.der, signer: issuingSigner, crlUrl: `${base}/crl/issuing.crl`, caIssuersUrl: `${base}/certs/issuing.cer` },
  };
  return { root, issuing };
}

/** Sample subjects in encoded (DER) order, shared by the CA test suites. */
export const SAMPLE_PERSON_SUBJECT: DnSequence = [
  { type: 'C', value: 'BE' },
  { type: 'O', value: 'Federal Government' },
  { type: 'OU', value: 'SSIN=85073003328' },
  { type: 'OU', value: 'JAN TEST' },
  { type: 'OU', value: 'eHealth-platform Belgium' },
  { type: 'CN', value: 'SSIN=85073003328' },
];

export function sampleOrganisationSubject(applicationId?: string): DnSequence {
  return [
    { type: 'C', value: 'BE' },
    { type: 'O', value: 'Federal Government' },
    ...(applicationId ? [{ type: 'OU' as const, value: applicationId }] : []),
    { type: 'OU', value: 'NIHII-HOSPITAL=71089815' },
    { type: 'OU', value: 'TEST HOSPITAL' },
    { type: 'OU', value: 'eHealth-platform Belgium' },
    { type: 'CN', value: applicationId ? `NIHII-HOSPITAL=71089815, ${applicationId}` : 'NIHII-HOSPITAL=71089815' },
  ];
}

export function sampleCitizenSubject(usage: 'Signature' | 'Authentication'): DnSequence {
  return [
    { type: 'C', value: 'BE' },
    { type: 'CN', value: `Jan Peeters (${usage})` },
    { type: 'SN', value: 'Peeters' },
    { type: 'GIVENNAME', value: 'Jan Marie' },
    { type: 'SERIALNUMBER', value: '85073003328' },
  ];
}
