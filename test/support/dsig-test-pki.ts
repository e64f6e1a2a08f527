// Test certificates for the trust and XML-signature tests: real keys, a root CA → (intermediate) → leaf.
import 'reflect-metadata';
import { KeyObject, webcrypto } from 'node:crypto';

type CryptoKeyPair = webcrypto.CryptoKeyPair;
type Algorithm = webcrypto.Algorithm;
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as never);

export type TestKeyType = 'rsa-2048' | 'rsa-1024' | 'ec-p256' | 'ec-p384' | 'ec-p521';
export type TestHash = 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512';

export interface TestCredential {
  readonly der: Buffer;
  readonly pem: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly keyType: TestKeyType;
  readonly keys: CryptoKeyPair;
  readonly certificate: x509.X509Certificate;
}

export interface IssueOptions {
  /** Subject, e.g. 'CN=Test Root, O=Test, C=BE' (SERIALNUMBER as 2.5.4.5=...). */
  subject: string;
  /** Issuing credential; absent means self-signed. */
  issuer?: TestCredential;
  keyType?: TestKeyType;
  /** Reuse an existing key pair (e.g. to re-issue the same key with another name). */
  keys?: CryptoKeyPair;
  ca?: boolean;
  pathLength?: number;
  /** Omit basicConstraints entirely. */
  omitBasicConstraints?: boolean;
  keyUsage?: number;
  /** Omit keyUsage entirely. */
  omitKeyUsage?: boolean;
  notBefore?: Date;
  notAfter?: Date;
  hash?: TestHash;
  serialNumber?: string;
  extraExtensions?: x509.Extension[];
  omitKeyIdentifiers?: boolean;
}

const keyCache = new Map<string, CryptoKeyPair[]>();

/** Generates (or reuses, by slot) a key pair; slot lets tests get distinct keys without paying RSA generation twice. */
export async function testKeys(keyType: TestKeyType, slot = 0): Promise<CryptoKeyPair> {
  const list = keyCache.get(keyType) ?? [];
  keyCache.set(keyType, list);
  while (list.length <= slot) list.push(await generateKeys(keyType));
  return list[slot]!;
}

async function generateKeys(keyType: TestKeyType): Promise<CryptoKeyPair> {
  if (keyType.startsWith('rsa')) {
    const modulusLength = keyType === 'rsa-1024' ? 1024 : 2048;
    return (await webcrypto.subtle.generateKey({ name: 'RSASSA-PKCS1-v1_5', modulusLength, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, [
      'sign',
      'verify',
    ])) as CryptoKeyPair;
  }
  const namedCurve = keyType === 'ec-p256' ? 'P-256' : keyType === 'ec-p384' ? 'P-384' : 'P-521';
  return (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve }, true, ['sign', 'verify'])) as CryptoKeyPair;
}

function signingAlgorithm(keys: CryptoKeyPair, hash: TestHash): Algorithm {
  return keys.privateKey.algorithm.name === 'ECDSA' ? ({ name: 'ECDSA', hash } as Algorithm) : ({ name: 'RSASSA-PKCS1-v1_5', hash } as Algorithm);
}

let serialCounter = 1;

export async function issueCertificate(options: IssueOptions): Promise<TestCredential> {
  const keyType = options.keyType ?? options.issuer?.keyType ?? 'rsa-2048';
  const keys = options.keys ?? (await testKeys(keyType, options.issuer ? 1 : 0));
  const ca = options.ca ?? false;
  const signer = options.issuer?.keys ?? keys;
  const extensions: x509.Extension[] = [];
  if (!options.omitBasicConstraints) extensions.push(new x509.BasicConstraintsExtension(ca, options.pathLength, true));
  if (!options.omitKeyUsage) {
    const usage = options.keyUsage ?? (ca ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign : x509.KeyUsageFlags.digitalSignature);
    extensions.push(new x509.KeyUsagesExtension(usage, true));
  }
  if (!options.omitKeyIdentifiers) {
    extensions.push(await x509.SubjectKeyIdentifierExtension.create(keys.publicKey));
    extensions.push(await x509.AuthorityKeyIdentifierExtension.create(signer.publicKey));
  }
  extensions.push(...(options.extraExtensions ?? []));
  const now = Date.now();
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: options.serialNumber ?? (0x1000 + serialCounter++).toString(16),
    subject: options.subject,
    issuer: options.issuer?.certificate.subject ?? options.subject,
    notBefore: options.notBefore ?? new Date(now - 24 * 3600_000),
    notAfter: options.notAfter ?? new Date(now + 365 * 24 * 3600_000),
    signingAlgorithm: signingAlgorithm(signer, options.hash ?? 'SHA-256'),
    publicKey: keys.publicKey,
    signingKey: signer.privateKey,
    extensions,
  });
  const der = Buffer.from(certificate.rawData);
  return {
    der,
    pem: certificate.toString('pem'),
    privateKey: KeyObject.from(keys.privateKey),
    publicKey: KeyObject.from(keys.publicKey),
    keyType,
    keys,
    certificate,
  };
}

export interface TestHierarchy {
  readonly root: TestCredential;
  readonly intermediate: TestCredential;
  /** Issued by the intermediate; subject carries an SSIN in serialNumber. */
  readonly leaf: TestCredential;
}

export const TEST_SSIN = '85073003328';

/** Root CA → intermediate CA → leaf, all with keys of the given type. */
export async function createHierarchy(
  keyType: TestKeyType = 'rsa-2048',
  options: { leafKeyType?: TestKeyType; leafHash?: TestHash } = {},
): Promise<TestHierarchy> {
  const root = await issueCertificate({ subject: `CN=Test Root ${keyType}, O=Test, C=BE`, keyType, keys: await testKeys(keyType, 0), ca: true });
  const intermediate = await issueCertificate({
    subject: `CN=Test Citizen CA ${keyType}, O=Test, C=BE`,
    issuer: root,
    keys: await testKeys(keyType, 1),
    ca: true,
    pathLength: 0,
  });
  const leafKeyType = options.leafKeyType ?? keyType;
  const leaf = await issueCertificate({
    subject: `CN=Alice Test (Signature), 2.5.4.4=Test, 2.5.4.42=Alice, 2.5.4.5=${TEST_SSIN}, C=BE`,
    issuer: intermediate,
    keys: await testKeys(leafKeyType, 2),
    keyType: leafKeyType,
    keyUsage: x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation,
    hash: options.leafHash,
  });
  return { root, intermediate, leaf };
}

export { x509 };
