import type { KeyObject } from 'node:crypto';
import { parseCertificate } from '../../x509/certificate.js';
import type { KeySigner } from '../keys/key-signer.js';
import { signatureAlgorithmFor, type SignatureAlgorithm } from '../x509/algorithms.js';
import { keyIdentifierOf } from '../x509/public-key.js';
import { CaError } from './errors.js';

/** An issuing CA: its certificate, its key, and where relying parties find its CRL and certificate. */
export interface IssuerInput {
  readonly certificateDer: Buffer;
  readonly signer: KeySigner;
  /** http URL of the CRL this issuer publishes (required by profiles with a CRL distribution point). */
  readonly crlUrl?: string;
  /** http URL of this issuer's certificate (required by profiles with authorityInfoAccess). */
  readonly caIssuersUrl?: string;
  /** http URL of the OCSP responder answering for this issuer (AIA id-ad-ocsp, next to caIssuers). */
  readonly ocspUrl?: string;
}

/** A root signing its own certificate (template issuance only). */
export interface SelfSignedIssuerInput {
  readonly selfSigned: true;
  readonly signer: KeySigner;
  readonly crlUrl?: string;
  readonly caIssuersUrl?: string;
}

/** Facts about an issuer certificate, decoded once per certificate buffer. */
export interface IssuerCertificateFacts {
  readonly subjectDer: Buffer;
  readonly subjectKeyIdentifier: Buffer;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly spkiDer: Buffer;
  readonly publicKey: KeyObject;
}

export interface ResolvedIssuer {
  readonly facts: IssuerCertificateFacts | undefined;
  readonly signer: KeySigner;
  readonly algorithm: SignatureAlgorithm;
  readonly crlUrl: string | undefined;
  readonly caIssuersUrl: string | undefined;
  readonly ocspUrl: string | undefined;
}

// Keyed by buffer identity: callers keep their issuer certificate buffer for the life of the process.
const factsCache = new WeakMap<Buffer, IssuerCertificateFacts>();

export function isSelfSigned(input: IssuerInput | SelfSignedIssuerInput): input is SelfSignedIssuerInput {
  return 'selfSigned' in input && input.selfSigned === true;
}

export function resolveIssuer(input: IssuerInput | SelfSignedIssuerInput, now: Date): ResolvedIssuer {
  const common = {
    signer: input.signer,
    algorithm: signatureAlgorithmFor(input.signer.keyAlgorithm),
    crlUrl: input.crlUrl,
    caIssuersUrl: input.caIssuersUrl,
    ocspUrl: isSelfSigned(input) ? undefined : input.ocspUrl,
  };
  if (isSelfSigned(input)) return { facts: undefined, ...common };
  const facts = issuerCertificateFacts(input.certificateDer);
  if (!facts.spkiDer.equals(input.signer.publicKeySpki)) {
    throw new CaError('ISSUER_KEY_MISMATCH', `signer ${input.signer.description} does not hold the issuer certificate's key`);
  }
  if (now.getTime() >= facts.notAfter.getTime()) throw new CaError('ISSUER_EXPIRED', `issuer certificate expired at ${facts.notAfter.toISOString()}`);
  if (now.getTime() < facts.notBefore.getTime()) {
    throw new CaError('ISSUER_NOT_YET_VALID', `issuer certificate is valid from ${facts.notBefore.toISOString()}`);
  }
  return { facts, ...common };
}

export function issuerCertificateFacts(certificateDer: Buffer): IssuerCertificateFacts {
  const cached = factsCache.get(certificateDer);
  if (cached) return cached;
  let facts: IssuerCertificateFacts;
  try {
    facts = decodeIssuer(certificateDer);
  } catch (cause) {
    if (cause instanceof CaError) throw cause;
    throw new CaError('ISSUER_INVALID', 'issuer certificate cannot be decoded', { cause });
  }
  factsCache.set(certificateDer, facts);
  return facts;
}

function decodeIssuer(certificateDer: Buffer): IssuerCertificateFacts {
  const cert = parseCertificate(certificateDer);
  if (!cert.basicConstraints?.ca) throw new CaError('ISSUER_INVALID', 'issuer certificate is not a CA (basicConstraints)');
  if (cert.keyUsage && !cert.keyUsage.has('keyCertSign')) throw new CaError('ISSUER_INVALID', 'issuer certificate lacks keyCertSign');
  return {
    subjectDer: cert.subjectDer,
    // RFC 5280 §4.2.1.1: the AKI carries the issuer's SKI; computed (method 1) only if the issuer has none.
    subjectKeyIdentifier: keyIdentifierOf(cert),
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    spkiDer: cert.spkiDer,
    publicKey: cert.publicKey,
  };
}
