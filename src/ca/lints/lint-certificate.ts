import { decodeCertificate, type DecodedCertificate } from '../../x509/certificate.js';
import type { SignatureAlgorithm } from '../x509/algorithms.js';
import { assembleCertificate } from '../x509/certificate.js';
import { describePublicKey, type PublicKeyDescription } from '../x509/public-key.js';

/**
 * A certificate as the lints see it: the shared reader's structural decoding (raw encodings included: both signature
 * algorithms, time encodings, unique identifiers, every extension with its criticality encoding), plus the CA's
 * description of the subject key.
 */
export interface LintCertificate extends DecodedCertificate {
  /** Undefined when the SPKI cannot be decoded. */
  readonly publicKey: PublicKeyDescription | undefined;
}

/** Structural errors (bad DER, missing fields) throw DerError; everything else is left to the lints. */
export function decodeLintCertificate(der: Buffer): LintCertificate {
  const decoded = decodeCertificate(der);
  let publicKey: PublicKeyDescription | undefined;
  try {
    publicKey = describePublicKey(decoded.spkiDer);
  } catch {
    publicKey = undefined;
  }
  return { ...decoded, publicKey };
}

/**
 * The certificate the lints judge before the CA signs (Boulder's lint-before-sign): the exact TBS bytes to be signed,
 * with zeros the size of an RSA-2048 signature for a signature. No lint reads the signature value, so a placeholder
 * judges exactly what a real signature would, costs no private-key operation (a throwaway key's signature cost a
 * second RSA signature per issuance), and verifies under no key: the lint certificate can never pass for an issued one.
 */
export function lintCertificateFor(tbsDer: Buffer, algorithm: SignatureAlgorithm): Buffer {
  return assembleCertificate(tbsDer, algorithm, LINT_SIGNATURE_PLACEHOLDER);
}

const LINT_SIGNATURE_PLACEHOLDER = Buffer.alloc(256);
