import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import {
  describeKeyReference,
  openKeySigner,
  parseKeyReference,
  validateKeyReference,
  type ClosableKeySigner,
  type KeyReference,
} from '../keys/key-reference.js';
import { certificatesFrom, type KeyUsageName, type ParsedCertificate } from '../../x509/certificate.js';
import { OID } from '../../x509/oids.js';
import { signatureAlgorithmFor, signerHashOf, verifyIssuedBy, verifySignature } from '../x509/index.js';
import {
  CA_PUBLICATION_PATHS,
  caCertificate,
  DEFAULT_PUBLICATION_URL,
  joinUrl,
  type CaCertificate,
  type CaCertificateEntry,
  type CaMaterial,
  type CaRole,
  type CaSigningEntry,
  type IssuingCaEntry,
  type OcspServedCa,
} from './ca-material.js';

/**
 * The CA as configured by an operator (CA_CONFIG_FILE, JSON). Certificates are PEM or DER files; keys are
 * KeyReferences (encrypted PKCS#8 file or PKCS#11 token). Relative paths are relative to the config file.
 *
 * {
 *   "publicationUrl": "http://crl.example.be",        // where CRLs and CA certificates are served (plain http)
 *   "root":      { "certificate": "root.pem" },
 *   "issuing":   { "certificate": "issuing.pem", "key": "pkcs11:token=CA;id=%01?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-env=CA_PIN",
 *                  "intermediates": ["policy-ca.pem"] },
 *   "etkRa":     { "certificate": "etk-ra.pem", "key": { "kind": "file", "path": "etk-ra.key.pem", "passphraseEnv": "ETK_RA_PASS" } },
 *   "citizenCa": { "certificate": "citizen.pem", "key": "…" }                  // optional; acceptance/test only
 * }
 */

export interface CaCertificateConfig {
  readonly certificate: string;
  readonly key?: KeyReference | string;
}

export interface CaHierarchyConfig {
  readonly publicationUrl?: string;
  readonly root: CaCertificateConfig;
  readonly issuing: CaCertificateConfig & { readonly intermediates?: readonly string[] };
  readonly etkRa: CaCertificateConfig;
  readonly citizenCa?: CaCertificateConfig;
  /** Keys of the delegated OCSP responders (their certificates are issued and renewed by the service). */
  readonly ocspResponders?: Readonly<Partial<Record<OcspServedCa, KeyReference | string>>>;
  /** Signer of the trusted lists: its certificate (EKU id-tsl-kp-tslSigning) and key. */
  readonly tslSigner?: CaCertificateConfig;
  /** Set by readCaConfigFile: relative paths resolve against it. */
  readonly baseDir?: string;
}

export class CaConfigError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CaConfigError';
  }
}

function requireObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CaConfigError(`CA config: ${what} must be an object`);
  return value as Record<string, unknown>;
}

function certificateConfig(value: unknown, what: string, keyRequired: boolean): CaCertificateConfig {
  const raw = requireObject(value, what);
  const unknown = Object.keys(raw).filter((key) => !['certificate', 'key', 'intermediates'].includes(key));
  if (unknown.length > 0) throw new CaConfigError(`CA config: ${what} has unknown field(s) ${unknown.join(', ')}`);
  if (typeof raw.certificate !== 'string' || raw.certificate === '') throw new CaConfigError(`CA config: ${what}.certificate must be a file path`);
  if (keyRequired && raw.key === undefined) throw new CaConfigError(`CA config: ${what}.key is required`);
  let key: KeyReference | undefined;
  try {
    if (typeof raw.key === 'string') key = parseKeyReference(raw.key);
    else if (raw.key !== undefined) key = validateKeyReference(raw.key);
  } catch (error) {
    throw new CaConfigError(`CA config: ${what}.key: ${(error as Error).message}`);
  }
  if (raw.intermediates !== undefined && (!Array.isArray(raw.intermediates) || raw.intermediates.some((item) => typeof item !== 'string'))) {
    throw new CaConfigError(`CA config: ${what}.intermediates must be a list of file paths`);
  }
  return { certificate: raw.certificate, ...(key ? { key } : {}), ...(raw.intermediates ? { intermediates: raw.intermediates as string[] } : {}) };
}

function ocspResponderKeysConfig(value: unknown): Partial<Record<OcspServedCa, KeyReference>> {
  const raw = requireObject(value, 'ocspResponders');
  const unknown = Object.keys(raw).filter((key) => key !== 'issuing' && key !== 'root');
  if (unknown.length > 0) throw new CaConfigError(`CA config: ocspResponders has unknown field(s) ${unknown.join(', ')} (issuing, root)`);
  const keys: Partial<Record<OcspServedCa, KeyReference>> = {};
  for (const role of ['issuing', 'root'] as const) {
    const reference = raw[role];
    if (reference === undefined) continue;
    try {
      keys[role] = typeof reference === 'string' ? parseKeyReference(reference) : validateKeyReference(reference);
    } catch (error) {
      throw new CaConfigError(`CA config: ocspResponders.${role}: ${(error as Error).message}`);
    }
  }
  return keys;
}

/** Validates the shape of a parsed CA config (no file access). */
export function parseCaHierarchyConfig(input: unknown, baseDir?: string): CaHierarchyConfig {
  const raw = requireObject(input, 'the document');
  const unknown = Object.keys(raw).filter((key) => !['publicationUrl', 'root', 'issuing', 'etkRa', 'citizenCa', 'ocspResponders', 'tslSigner'].includes(key));
  if (unknown.length > 0) throw new CaConfigError(`CA config: unknown field(s) ${unknown.join(', ')}`);
  // RFC 5280 §4.2.1.13 practice (and our lint): CRL and caIssuers URLs are http, since fetching them over TLS
  // would need the very revocation data they serve.
  if (raw.publicationUrl !== undefined && (typeof raw.publicationUrl !== 'string' || !/^http:\/\/[^/]+(\/.*)?$/.test(raw.publicationUrl))) {
    throw new CaConfigError('CA config: publicationUrl must be an absolute http:// URL (CRLs and CA certificates are published over plain http)');
  }
  for (const role of ['root', 'issuing', 'etkRa'] as const) if (raw[role] === undefined) throw new CaConfigError(`CA config: ${role} is required`);
  return {
    ...(raw.publicationUrl ? { publicationUrl: (raw.publicationUrl as string).replace(/\/+$/, '') } : {}),
    root: certificateConfig(raw.root, 'root', false),
    issuing: certificateConfig(raw.issuing, 'issuing', true),
    etkRa: certificateConfig(raw.etkRa, 'etkRa', true),
    ...(raw.citizenCa !== undefined ? { citizenCa: certificateConfig(raw.citizenCa, 'citizenCa', true) } : {}),
    ...(raw.ocspResponders !== undefined ? { ocspResponders: ocspResponderKeysConfig(raw.ocspResponders) } : {}),
    ...(raw.tslSigner !== undefined ? { tslSigner: certificateConfig(raw.tslSigner, 'tslSigner', true) } : {}),
    ...(baseDir ? { baseDir } : {}),
  };
}

export async function readCaConfigFile(path: string): Promise<CaHierarchyConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new CaConfigError(`cannot read CA config ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CaConfigError(`CA config ${path} is not valid JSON`);
  }
  return parseCaHierarchyConfig(parsed, dirname(resolve(path)));
}

/**
 * Refuses to start production without an operator-provided CA: the development hierarchy must never sign anything
 * in production. `environment` is the ENVIRONMENT setting.
 */
export function assertProductionCaConfigured(environment: string | undefined, caConfig: CaHierarchyConfig | undefined): void {
  if ((environment ?? '').toLowerCase() !== 'production') return;
  if (caConfig === undefined) {
    throw new CaConfigError('ENVIRONMENT=production needs CA_CONFIG_FILE: CA certificates and key references; the development CA is not allowed');
  }
  const missing: string[] = [];
  if (!caConfig.root?.certificate) missing.push('root.certificate');
  if (!caConfig.issuing?.certificate) missing.push('issuing.certificate');
  if (!caConfig.issuing?.key) missing.push('issuing.key');
  if (!caConfig.etkRa?.certificate) missing.push('etkRa.certificate');
  if (!caConfig.etkRa?.key) missing.push('etkRa.key');
  if (missing.length > 0) throw new CaConfigError(`ENVIRONMENT=production: the CA config lacks ${missing.join(', ')}`);
}

async function readCertificateFile(path: string, what: string): Promise<CaCertificate> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new CaConfigError(`${what}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    const text = bytes.toString('latin1');
    return caCertificate(certificatesFrom(text.includes('-----BEGIN CERTIFICATE-----') ? text : bytes)[0]!);
  } catch (error) {
    throw new CaConfigError(`${what}: ${path} is not an X.509 certificate (${(error as Error).message})`);
  }
}

/** Proves the key behind the reference is the certificate's key: same SPKI, and a fresh signature that verifies. */
export async function assertSignerMatchesCertificate(signer: ClosableKeySigner, certificate: ParsedCertificate, what: string): Promise<void> {
  if (!signer.publicKeySpki.equals(certificate.spkiDer)) {
    throw new CaConfigError(`${what}: the key ${signer.description} does not belong to the certificate (public keys differ)`);
  }
  const algorithm = signatureAlgorithmFor(signer.keyAlgorithm);
  const probe = randomBytes(32);
  let signature: Buffer;
  try {
    signature = await signer.sign(probe, signerHashOf(algorithm));
  } catch (error) {
    throw new CaConfigError(`${what}: test signature with ${signer.description} failed: ${(error as Error).message}`);
  }
  if (!verifySignature(probe, signature, algorithm, certificate.publicKey)) {
    throw new CaConfigError(`${what}: the private key ${signer.description} does not match the certificate (test signature does not verify)`);
  }
}

function checkValidity(fields: ParsedCertificate, what: string, now: Date): void {
  if (now < fields.notBefore) throw new CaConfigError(`${what}: certificate not valid before ${fields.notBefore.toISOString()}`);
  if (now > fields.notAfter) throw new CaConfigError(`${what}: certificate expired on ${fields.notAfter.toISOString()}`);
}

function checkCa(fields: ParsedCertificate, what: string, usages: KeyUsageName[]): void {
  if (!fields.basicConstraints?.ca) throw new CaConfigError(`${what}: not a CA certificate (basicConstraints cA is not true)`);
  const missing = usages.filter((usage) => !fields.keyUsage?.has(usage));
  if (missing.length > 0) throw new CaConfigError(`${what}: keyUsage lacks ${missing.join(', ')}`);
}

export interface LoadHierarchyOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly now?: Date;
  /** Marks the material as the development hierarchy. */
  readonly development?: boolean;
}

/**
 * Loads CA certificates and opens their keys, validating the hierarchy: root self-signed, issuing CA chained to it,
 * ETK-RA signer issued by the issuing CA with an RSA key and digitalSignature, every key matching its certificate,
 * every certificate currently valid. On failure, nothing stays open.
 */
export async function loadConfiguredHierarchy(config: CaHierarchyConfig, options: LoadHierarchyOptions = {}): Promise<CaMaterial> {
  const env = options.env ?? process.env;
  const now = options.now ?? new Date();
  const base = config.baseDir ?? process.cwd();
  const path = (file: string) => (isAbsolute(file) ? file : resolve(base, file));
  const keyPath = (reference: KeyReference): KeyReference => {
    if (reference.kind === 'file') {
      return { ...reference, path: path(reference.path), ...(reference.passphraseFile ? { passphraseFile: path(reference.passphraseFile) } : {}) };
    }
    return reference.pinFile ? { ...reference, pinFile: path(reference.pinFile) } : reference;
  };
  const publicationUrl = config.publicationUrl ?? DEFAULT_PUBLICATION_URL;

  const opened: ClosableKeySigner[] = [];
  const openKey = async (reference: KeyReference | string, what: string): Promise<ClosableKeySigner> => {
    const parsed = typeof reference === 'string' ? parseKeyReference(reference) : reference;
    try {
      const signer = await openKeySigner(keyPath(parsed), env);
      opened.push(signer);
      return signer;
    } catch (error) {
      throw new CaConfigError(`${what}: cannot open key ${describeKeyReference(parsed)}: ${(error as Error).message}`);
    }
  };

  try {
    const root = await readCertificateFile(path(config.root.certificate), 'root');
    if (!verifyIssuedBy(root, root)) throw new CaConfigError('root: not a self-signed certificate');
    checkCa(root, 'root', ['keyCertSign']);
    checkValidity(root, 'root', now);
    const rootSigner = config.root.key ? await openKey(config.root.key, 'root') : undefined;
    if (rootSigner) await assertSignerMatchesCertificate(rootSigner, root, 'root');

    const issuing = await readCertificateFile(path(config.issuing.certificate), 'issuing');
    checkCa(issuing, 'issuing CA', ['keyCertSign', 'cRLSign']);
    checkValidity(issuing, 'issuing CA', now);
    const intermediates: CaCertificate[] = [];
    for (const file of config.issuing.intermediates ?? []) intermediates.push(await readCertificateFile(path(file), 'intermediate'));
    const chain = [issuing, ...intermediates, root];
    for (let index = 0; index + 1 < chain.length; index += 1) {
      if (!verifyIssuedBy(chain[index]!, chain[index + 1]!)) {
        throw new CaConfigError(`issuing CA chain: certificate ${index} is not issued by certificate ${index + 1} (issuing → intermediates → root)`);
      }
    }
    const issuingSigner = await openKey(config.issuing.key!, 'issuing CA');
    await assertSignerMatchesCertificate(issuingSigner, issuing, 'issuing CA');

    const etkRa = await readCertificateFile(path(config.etkRa.certificate), 'ETK-RA');
    if (!verifyIssuedBy(etkRa, issuing)) throw new CaConfigError('ETK-RA: not issued by the issuing CA');
    if (etkRa.basicConstraints?.ca) throw new CaConfigError('ETK-RA: must not be a CA certificate');
    if (!etkRa.keyUsage?.has('digitalSignature')) throw new CaConfigError('ETK-RA: keyUsage lacks digitalSignature');
    checkValidity(etkRa, 'ETK-RA', now);
    const etkRaSigner = await openKey(config.etkRa.key!, 'ETK-RA');
    if (etkRaSigner.keyAlgorithm !== 'RSA') throw new CaConfigError('ETK-RA: the ETK SignerInfo is rsaEncryption, so the key must be RSA');
    await assertSignerMatchesCertificate(etkRaSigner, etkRa, 'ETK-RA');

    let citizenCa: IssuingCaEntry | undefined;
    if (config.citizenCa) {
      const fields = await readCertificateFile(path(config.citizenCa.certificate), 'citizen CA');
      checkCa(fields, 'citizen CA', ['keyCertSign', 'cRLSign']);
      checkValidity(fields, 'citizen CA', now);
      const signer = await openKey(config.citizenCa.key!, 'citizen CA');
      await assertSignerMatchesCertificate(signer, fields, 'citizen CA');
      citizenCa = {
        cert: fields.der,
        fields,
        signer,
        crlUrl: joinUrl(publicationUrl, CA_PUBLICATION_PATHS.citizenCa.crl),
        certificateUrl: joinUrl(publicationUrl, CA_PUBLICATION_PATHS.citizenCa.certificate),
      };
    }

    const ocspResponderKeys: Partial<Record<OcspServedCa, ClosableKeySigner>> = {};
    for (const role of ['issuing', 'root'] as const) {
      const reference = config.ocspResponders?.[role];
      if (reference === undefined) continue;
      if (role === 'root' && rootSigner === undefined)
        throw new CaConfigError('ocspResponders.root: the root key is offline, so nothing can certify its responder');
      const signer = await openKey(reference, `OCSP responder of the ${role} CA`);
      const caSpki = role === 'root' ? root.spkiDer : issuing.spkiDer;
      if (signer.publicKeySpki.equals(caSpki)) throw new CaConfigError(`ocspResponders.${role}: use a key of its own, not the CA's (delegated responder)`);
      ocspResponderKeys[role] = signer;
    }

    let tslSigner: CaSigningEntry | undefined;
    if (config.tslSigner) {
      const fields = await readCertificateFile(path(config.tslSigner.certificate), 'TSL signer');
      if (fields.basicConstraints?.ca) throw new CaConfigError('TSL signer: must not be a CA certificate');
      if (!fields.extendedKeyUsage?.includes(OID.kpTslSigning)) {
        throw new CaConfigError('TSL signer: extendedKeyUsage lacks id-tsl-kp-tslSigning (0.4.0.2231.3.0), which the connector requires');
      }
      checkValidity(fields, 'TSL signer', now);
      const signer = await openKey(config.tslSigner.key!, 'TSL signer');
      await assertSignerMatchesCertificate(signer, fields, 'TSL signer');
      tslSigner = { cert: fields.der, fields, signer };
    }

    const entries: Record<CaRole, CaCertificateEntry | undefined> = {
      root: { cert: root.der, fields: root },
      issuing: { cert: issuing.der, fields: issuing },
      etkRa: { cert: etkRa.der, fields: etkRa },
      citizenCa,
    };
    const roleOf = (certificate: Buffer): CaRole | undefined => (Object.keys(entries) as CaRole[]).find((role) => entries[role]?.cert.equals(certificate));
    let closed = false;
    const material: CaMaterial = {
      development: options.development ?? false,
      publicationUrl,
      root: {
        cert: root.der,
        fields: root,
        signer: rootSigner,
        crlUrl: joinUrl(publicationUrl, CA_PUBLICATION_PATHS.root.crl),
        certificateUrl: joinUrl(publicationUrl, CA_PUBLICATION_PATHS.root.certificate),
      },
      issuing: {
        cert: issuing.der,
        fields: issuing,
        signer: issuingSigner,
        crlUrl: joinUrl(publicationUrl, CA_PUBLICATION_PATHS.issuing.crl),
        certificateUrl: joinUrl(publicationUrl, CA_PUBLICATION_PATHS.issuing.certificate),
      },
      etkRa: { cert: etkRa.der, fields: etkRa, signer: etkRaSigner } satisfies CaSigningEntry,
      citizenCa,
      ocspResponderKeys,
      tslSigner,
      issuingChain: chain.map((fields) => fields.der),
      crlUrlFor(issuer) {
        const role = typeof issuer === 'string' ? issuer : roleOf(issuer);
        if (role === undefined) throw new CaConfigError('crlUrlFor: not a CA certificate of this hierarchy');
        if (role === 'etkRa') throw new CaConfigError('crlUrlFor: the ETK-RA signer issues no CRL');
        if (role === 'citizenCa' && citizenCa === undefined) throw new CaConfigError('crlUrlFor: no citizen CA configured');
        return joinUrl(publicationUrl, CA_PUBLICATION_PATHS[role].crl);
      },
      roleOf,
      async close() {
        if (closed) return;
        closed = true;
        await Promise.all(opened.map((signer) => signer.close()));
      },
    };
    return material;
  } catch (error) {
    await Promise.allSettled(opened.map((signer) => signer.close()));
    throw error;
  }
}
