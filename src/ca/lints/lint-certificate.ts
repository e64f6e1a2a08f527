import { decodeCertificate, type DecodedCertificate } from '../../x509/certificate.js';
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
