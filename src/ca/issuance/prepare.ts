import { createHash, type KeyObject } from 'node:crypto';
import { dnEqualsUnordered, formatDn as formatDnString, parseDn } from '../../identifiers/dn.js';
import type { KeySigner } from '../keys/key-signer.js';
import { decodeLintCertificate, lintCertificateFor } from '../lints/lint-certificate.js';
import { DEFAULT_LINTS, runLints, type LintOutcome } from '../lints/registry.js';
import type { Lint, LintContext, LintIssuer } from '../lints/types.js';
import { keyPolicyViolation } from '../profiles/key-policy.js';
import { subjectDnProblems } from '../profiles/subject-rule.js';
import type { Environment } from '../../domain/environment.js';
import type { CertificateProfile } from '../profiles/types.js';
import { addMonths } from '../../domain/clock.js';
import { truncateToSeconds } from '../profiles/validity.js';
import { signerHashOf, type SignatureAlgorithm } from '../x509/algorithms.js';
import { splitCertificate } from '../../x509/certificate.js';
import { assembleCertificate, publicKeyObject, verifySignature } from '../x509/certificate.js';
import { checkCsrSignature, parseCsr, type ParsedCsr } from '../x509/csr.js';
import {
  EXTENDED_KEY_USAGE_OIDS,
  authorityInfoAccessExtension,
  authorityKeyIdentifierExtension,
  basicConstraintsExtension,
  certificatePoliciesExtension,
  crlDistributionPointsExtension,
  extendedKeyUsageExtension,
  keyUsageExtension,
  ocspNoCheckExtension,
  subjectAltNameExtension,
  subjectKeyIdentifierExtension,
} from '../x509/extensions.js';
import { encodeNameDer, type DnAttribute, type DnSequence } from '../x509/name.js';
import { describePublicKey, publicKeyIdentifier } from '../x509/public-key.js';
import { encodeExtensionDer, encodeTbsCertificateFromParts } from '../x509/tbs-certificate.js';
import { CaError } from './errors.js';
import { resolveIssuer, type IssuerInput, type ResolvedIssuer, type SelfSignedIssuerInput } from './issuer.js';
import { randomSerial } from './serial.js';

export interface CommonPrepareInput {
  readonly profile: CertificateProfile;
  readonly environment: Environment;
  readonly now: Date;
  /** Overrides the profile's months for this environment (configuration). */
  readonly validityMonths?: number;
  /** A lifetime in days instead of months (short-lived service certificates: OCSP responders). */
  readonly validityDays?: number;
  /** Lints to run before signing; DEFAULT_LINTS when omitted. */
  readonly lints?: readonly Lint[];
}

export interface PrepareFromCsrInput extends CommonPrepareInput {
  readonly csrDer: Buffer;
  /** The DN agreed in the contract (Contract/DN), e.g. `CN=SSIN\=…,OU=…,C=BE`; compared semantically, in any RDN order. */
  readonly expectedSubjectDn: string;
  readonly issuer: IssuerInput;
}

export interface PrepareFromTemplateInput extends CommonPrepareInput {
  /** Subject in encoded (DER) order, e.g. C first. */
  readonly subject: DnSequence;
  /** DER SPKI of the subject key; omitted for a self-signed certificate (the signer's key). */
  readonly subjectPublicKeySpki?: Buffer;
  /** TLS server names (subjectAltName): required by, and only allowed for, a profile with serverNames. */
  readonly serverNames?: { readonly dns: readonly string[]; readonly ip: readonly string[] };
  readonly issuer: IssuerInput | SelfSignedIssuerInput;
}

/**
 * A linted, not yet signed certificate. The caller records `serialHex` (unique in the database) and then calls
 * `issue()` exactly once. Only objects returned by the prepare functions are accepted by `issue()`.
 */
export interface PreparedCertificate {
  readonly profileName: string;
  readonly serialHex: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly subjectKeyIdentifierHex: string;
  /** RFC 2253 string (CN first), Java style escaping, as in Contract/DN. */
  readonly subjectDn: string;
  /**
   * SHA-256 (lower-case hex) of the DER TBSCertificate that `issue()` will sign: the linted bytes. Callers record it
   * with the serial before signing, so that every use of the CA key leaves a trace of what it signed.
   */
  readonly tbsSha256Hex: string;
  /** The certificate the lints judged, with a placeholder signature that verifies under no key: for audit only. */
  readonly lintCertificateDer: Buffer;
  readonly lintOutcomes: readonly LintOutcome[];
}

export interface IssuedCertificate {
  readonly der: Buffer;
  readonly profileName: string;
  readonly serialHex: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly subjectKeyIdentifierHex: string;
  readonly subjectDn: string;
  /** SHA-256 (lower-case hex) of the TBSCertificate of `der`, as signed: equal to the prepared `tbsSha256Hex`. */
  readonly tbsSha256Hex: string;
}

interface PendingIssuance {
  consumed: boolean;
  readonly tbsDer: Buffer;
  readonly lintedTbs: Buffer;
  readonly signer: KeySigner;
  readonly algorithm: SignatureAlgorithm;
  readonly verifyKey: KeyObject;
}

const pending = new WeakMap<PreparedCertificate, PendingIssuance>();

// ---------------------------------------------------------------------------------------------------------------

export async function prepareFromCsr(input: PrepareFromCsrInput): Promise<PreparedCertificate> {
  checkCommonInput(input);
  const issuer = resolveIssuer(input.issuer, input.now);

  let csr: ParsedCsr;
  try {
    csr = parseCsr(input.csrDer);
  } catch (cause) {
    throw new CaError('BAD_CSR', 'the CSR is not a DER PKCS#10 request', { cause });
  }
  const pop = checkCsrSignature(csr);
  if (pop === 'unsupported-algorithm')
    throw new CaError('UNSUPPORTED_SIGNATURE_ALGORITHM', 'the CSR signature algorithm is not accepted (use SHA-256 or stronger)');
  if (pop !== 'valid') throw new CaError('BAD_CSR_SIGNATURE', 'the CSR signature does not verify with its public key');

  checkKeyPolicy(csr.spkiDer, input.profile);

  let expected;
  try {
    expected = parseDn(input.expectedSubjectDn);
  } catch (cause) {
    throw new CaError('INVALID_INPUT', 'the expected subject DN cannot be parsed', { cause });
  }
  const csrAttributes = csr.subject.map((a) => ({ type: a.type ?? a.oid, value: a.value, rdn: a.rdnIndex }));
  if (!dnEqualsUnordered(expected, csrAttributes)) {
    throw new CaError('DN_MISMATCH', `the CSR subject ${dnString(csr.subject)} is not the expected ${input.expectedSubjectDn}`);
  }
  // Re-encode the subject (CSR order kept) with our string types rather than copying the client's bytes.
  const subject: DnAttribute[] = [];
  for (const a of csr.subject) {
    if (!a.type || a.rdnSize !== 1) throw new CaError('SUBJECT_NOT_ALLOWED', `subject attribute ${a.type ?? a.oid} is not allowed`);
    subject.push({ type: a.type, value: a.value });
  }
  return prepareChecked(input, issuer, subject, Buffer.from(csr.spkiDer));
}

export async function prepareFromTemplate(input: PrepareFromTemplateInput): Promise<PreparedCertificate> {
  checkCommonInput(input);
  const issuer = resolveIssuer(input.issuer, input.now);
  const spkiDer = input.subjectPublicKeySpki ?? (issuer.facts ? undefined : issuer.signer.publicKeySpki);
  if (!spkiDer) throw new CaError('INVALID_INPUT', 'subjectPublicKeySpki is required unless the certificate is self-signed');
  if (!issuer.facts && !spkiDer.equals(issuer.signer.publicKeySpki)) {
    throw new CaError('ISSUER_KEY_MISMATCH', 'a self-signed certificate must certify its signer key');
  }
  checkKeyPolicy(spkiDer, input.profile);
  return prepareChecked(input, issuer, input.subject, spkiDer, input.serverNames);
}

/** Signs a prepared certificate with the real key, once. */
export async function issue(prepared: PreparedCertificate): Promise<IssuedCertificate> {
  const state = pending.get(prepared);
  if (!state) throw new CaError('INVALID_INPUT', 'issue() takes a certificate returned by prepareFromCsr/prepareFromTemplate');
  if (state.consumed) throw new CaError('ALREADY_ISSUED', `certificate ${prepared.serialHex} was already issued`);
  state.consumed = true;

  let signature: Buffer;
  try {
    signature = await state.signer.sign(state.tbsDer, signerHashOf(state.algorithm));
  } catch (cause) {
    throw new CaError('SIGNING_FAILED', `signing with ${state.signer.description} failed`, { cause });
  }
  const der = assembleCertificate(state.tbsDer, state.algorithm, signature);
  const parts = splitCertificate(der);
  if (!parts.tbs.equals(state.lintedTbs)) throw new CaError('TBS_MISMATCH', 'the signed TBSCertificate differs from the linted one');
  // A faulty signer (HSM glitch, wrong key) must not produce a certificate nobody can verify.
  if (!verifySignature(parts.tbs, parts.signature, state.algorithm, state.verifyKey)) {
    throw new CaError('SIGNING_FAILED', `the signature by ${state.signer.description} does not verify with the issuer key`);
  }
  return Object.freeze({
    der,
    profileName: prepared.profileName,
    serialHex: prepared.serialHex,
    notBefore: prepared.notBefore,
    notAfter: prepared.notAfter,
    subjectKeyIdentifierHex: prepared.subjectKeyIdentifierHex,
    subjectDn: prepared.subjectDn,
    tbsSha256Hex: sha256Hex(parts.tbs),
  });
}

/** SHA-256 of a DER TBSCertificate, lower-case hex: what callers record before signing. */
function sha256Hex(tbsDer: Uint8Array): string {
  return createHash('sha256').update(tbsDer).digest('hex');
}

// ---------------------------------------------------------------------------------------------------------------

function checkCommonInput(input: CommonPrepareInput): void {
  if (!(input.now instanceof Date) || Number.isNaN(input.now.getTime())) throw new CaError('INVALID_INPUT', 'now must be a valid Date');
  if (input.environment !== 'acceptance' && input.environment !== 'production')
    throw new CaError('INVALID_INPUT', 'environment must be acceptance or production');
  if (input.validityMonths !== undefined && (!Number.isSafeInteger(input.validityMonths) || input.validityMonths < 1 || input.validityMonths > 600)) {
    throw new CaError('INVALID_INPUT', 'validityMonths must be an integer in 1..600');
  }
  if (input.validityDays !== undefined && (!Number.isSafeInteger(input.validityDays) || input.validityDays < 1 || input.validityDays > 3660)) {
    throw new CaError('INVALID_INPUT', 'validityDays must be an integer in 1..3660');
  }
}

function checkKeyPolicy(spkiDer: Buffer, profile: CertificateProfile): void {
  let key;
  try {
    key = describePublicKey(spkiDer);
  } catch (cause) {
    throw new CaError('UNSUPPORTED_KEY', 'the public key cannot be decoded', { cause });
  }
  const violation = keyPolicyViolation(key, profile.allowedKeys);
  if (violation) throw new CaError(violation.code, violation.reason);
}

function dnString(attributes: readonly { type?: string | undefined; oid?: string; value: string }[]): string {
  return formatDnString([...attributes].reverse().map((a) => ({ type: a.type ?? a.oid ?? '?', value: a.value })));
}

async function prepareChecked(
  input: CommonPrepareInput,
  issuer: ResolvedIssuer,
  subject: DnSequence,
  spkiDer: Buffer,
  serverNames?: PrepareFromTemplateInput['serverNames'],
): Promise<PreparedCertificate> {
  const { profile } = input;
  const names = serverNames && serverNames.dns.length + serverNames.ip.length > 0 ? serverNames : undefined;
  if (profile.serverNames && !names) throw new CaError('INVALID_INPUT', `profile ${profile.name} needs the server's names (subjectAltName)`);
  if (!profile.serverNames && names) throw new CaError('INVALID_INPUT', `profile ${profile.name} issues no subjectAltName`);
  const problems = subjectDnProblems(
    subject.map((a) => ({ type: a.type, oid: a.type, value: a.value })),
    profile.subject,
  );
  if (problems.length) throw new CaError('SUBJECT_NOT_ALLOWED', `subject does not fit profile ${profile.name}: ${problems.join('; ')}`);
  if (profile.crlDistributionPoint && !issuer.crlUrl) throw new CaError('INVALID_INPUT', `profile ${profile.name} needs the issuer's crlUrl`);
  if (profile.authorityInfoAccess && !issuer.caIssuersUrl) throw new CaError('INVALID_INPUT', `profile ${profile.name} needs the issuer's caIssuersUrl`);

  let subjectDer: Buffer;
  try {
    subjectDer = encodeNameDer(subject);
  } catch (cause) {
    throw new CaError('SUBJECT_NOT_ALLOWED', cause instanceof Error ? cause.message : 'subject cannot be encoded', { cause });
  }

  // Validity: start at "now" (whole seconds), backdate a little, then keep within the issuer's own validity.
  const validityMonths = input.validityMonths ?? profile.validity.months[input.environment];
  const start = truncateToSeconds(input.now);
  let notBefore = new Date(start.getTime() - profile.validity.backdateSeconds * 1000);
  let notAfter = input.validityDays === undefined ? addMonths(start, validityMonths) : new Date(start.getTime() + input.validityDays * 86_400_000);
  if (issuer.facts) {
    if (notBefore < issuer.facts.notBefore) notBefore = issuer.facts.notBefore;
    if (notAfter > issuer.facts.notAfter) notAfter = issuer.facts.notAfter;
    if (notAfter <= notBefore) throw new CaError('ISSUER_EXPIRED', 'the issuer certificate expires before the certificate could start');
  }

  const serial = randomSerial();
  const ski = publicKeyIdentifier(spkiDer);
  const issuerSki = issuer.facts?.subjectKeyIdentifier ?? ski;
  const tbsDer = encodeTbsCertificateFromParts({
    serialNumber: serial,
    signatureAlgorithmDer: issuer.algorithm.der,
    // Copied from the issuer certificate, so the names chain byte for byte (RFC 5280 §7.1).
    issuerDer: issuer.facts?.subjectDer ?? subjectDer,
    notBefore,
    notAfter,
    subjectDer,
    spkiDer,
    extensionDers: [
      ...profileExtensionDers(profile),
      encodeExtensionDer(subjectKeyIdentifierExtension(ski)),
      ...issuerExtensionDers(issuer, issuerSki, profile),
      ...(names ? [encodeExtensionDer(subjectAltNameExtension(names))] : []),
    ],
  });

  // Lint before sign: the same TBS bytes, under a placeholder signature.
  const lintCertificateDer = lintCertificateFor(tbsDer, issuer.algorithm);
  const lintIssuer: LintIssuer = issuer.facts
    ? { ...issuer.facts, keyAlgorithm: issuer.signer.keyAlgorithm }
    : { subjectDer, subjectKeyIdentifier: ski, notBefore, notAfter, keyAlgorithm: issuer.signer.keyAlgorithm };
  const context: LintContext = {
    profile,
    issuer: lintIssuer,
    selfSigned: !issuer.facts,
    validityMonths,
    ...(input.validityDays === undefined ? {} : { validityDays: input.validityDays }),
    backdateSeconds: profile.validity.backdateSeconds,
  };
  let outcomes: LintOutcome[];
  try {
    outcomes = runLints(decodeLintCertificate(lintCertificateDer), context, input.lints ?? DEFAULT_LINTS);
  } catch (cause) {
    throw new CaError('LINT_FAILED', 'the certificate to be signed cannot be decoded for linting', {
      cause,
      lintFailures: [{ name: 'decode', detail: String(cause) }],
    });
  }
  const failures = outcomes.filter((o) => o.status === 'fail').map((o) => ({ name: o.name, detail: o.detail ?? '' }));
  if (failures.length) {
    throw new CaError('LINT_FAILED', `lint ${failures[0]!.name} refused the certificate: ${failures[0]!.detail}`, { lintFailures: failures });
  }

  const prepared: PreparedCertificate = Object.freeze({
    profileName: profile.name,
    serialHex: serial.toString('hex'),
    notBefore,
    notAfter,
    subjectKeyIdentifierHex: ski.toString('hex'),
    subjectDn: dnString(subject),
    tbsSha256Hex: sha256Hex(tbsDer),
    lintCertificateDer,
    lintOutcomes: Object.freeze(outcomes),
  });
  pending.set(prepared, {
    consumed: false,
    tbsDer,
    lintedTbs: Buffer.from(splitCertificate(lintCertificateDer).tbs),
    signer: issuer.signer,
    algorithm: issuer.algorithm,
    verifyKey: issuer.facts?.publicKey ?? publicKeyObject(issuer.signer.publicKeySpki),
  });
  return prepared;
}

// Extensions that only depend on the profile, or on the issuer, are encoded once and reused (hot path).
const profileExtensionCache = new WeakMap<CertificateProfile, readonly Buffer[]>();

function profileExtensionDers(profile: CertificateProfile): readonly Buffer[] {
  let cached = profileExtensionCache.get(profile);
  if (!cached) {
    const bc = profile.basicConstraints;
    cached = [
      basicConstraintsExtension(bc.ca, bc.ca ? bc.pathLenConstraint : undefined, bc.critical),
      keyUsageExtension(profile.keyUsage, true),
      ...(profile.extendedKeyUsage.length ? [extendedKeyUsageExtension(profile.extendedKeyUsage.map((n) => EXTENDED_KEY_USAGE_OIDS[n]))] : []),
      ...(profile.certificatePolicies.length ? [certificatePoliciesExtension(profile.certificatePolicies)] : []),
      ...(profile.ocspNoCheck ? [ocspNoCheckExtension()] : []),
    ].map(encodeExtensionDer);
    profileExtensionCache.set(profile, cached);
  }
  return cached;
}

const issuerExtensionCache = new WeakMap<object, Map<string, readonly Buffer[]>>();

function issuerExtensionDers(issuer: ResolvedIssuer, issuerSki: Buffer, profile: CertificateProfile): readonly Buffer[] {
  const build = (): Buffer[] =>
    [
      authorityKeyIdentifierExtension(issuerSki),
      ...(profile.crlDistributionPoint ? [crlDistributionPointsExtension([issuer.crlUrl!])] : []),
      ...(profile.authorityInfoAccess
        ? [authorityInfoAccessExtension({ caIssuers: [issuer.caIssuersUrl!], ...(issuer.ocspUrl ? { ocsp: [issuer.ocspUrl] } : {}) })]
        : []),
    ].map(encodeExtensionDer);
  if (!issuer.facts) return build(); // self-signed: the AKI is the certificate's own key
  let byKey = issuerExtensionCache.get(issuer.facts);
  if (!byKey) issuerExtensionCache.set(issuer.facts, (byKey = new Map()));
  const key = `${profile.crlDistributionPoint ? issuer.crlUrl : ''}\n${profile.authorityInfoAccess ? `${issuer.caIssuersUrl}\n${issuer.ocspUrl ?? ''}` : ''}`;
  let cached = byKey.get(key);
  if (!cached) byKey.set(key, (cached = build()));
  return cached;
}
