import type { TrustResult } from '../../trust/index.js';
import type { ParsedCertificate } from '../../x509/certificate.js';

/** Who signed a verified message: taken from the validated path, never from unverified message content. */
export interface VerifiedSigner {
  /** DER of the certificate whose key verified the SignatureValue. */
  readonly certificate: Buffer;
  /** DER of the validated path above the signer (intermediates, then the anchor). */
  readonly chain: readonly Buffer[];
  /** Subject serialNumber (2.5.4.5): the SSIN for Belgian eID certificates. */
  readonly subjectSerialNumber: string | undefined;
  readonly subjectDn: string;
  readonly info: ParsedCertificate;
  /** The validated path, signer first, anchor last. */
  readonly path: readonly ParsedCertificate[];
}

export function verifiedSigner(trust: Extract<TrustResult, { ok: true }>): VerifiedSigner {
  return {
    certificate: trust.leaf.der,
    chain: trust.path.slice(1).map((c) => c.der),
    subjectSerialNumber: trust.leaf.subjectSerialNumber,
    subjectDn: trust.leaf.subjectDn,
    info: trust.leaf,
    path: trust.path,
  };
}
