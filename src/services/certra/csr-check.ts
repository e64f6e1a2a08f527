import { keyPolicyViolation, type CertificateProfile } from '../../ca/profiles/index.js';
import { checkCsrSignature, describePublicKey, parseCsr, publicKeyIdentifier, type ParsedCsr } from '../../ca/x509/index.js';
import { ServiceError } from '../../domain/errors.js';
import { formatKeyId } from '../../domain/key-id.js';
import { dnEqualsUnordered, formatDn } from '../../identifiers/index.js';

export interface CheckedCsr {
  /** Upper-case hex SHA-1 of the subjectPublicKey: the request's handle (PublicKeyIdentifier). */
  readonly publicKeyIdentifier: string;
}

/**
 * The CSR checks of submission time, so that a request refused by the CA never waits in the queue: DER PKCS#10,
 * proof of possession with an accepted algorithm, key policy of the profile, subject semantically equal to the
 * contract DN (any RDN order, any escaping). The CA repeats them, and lints, at issuance. `expectedDnLabel` names the
 * expected DN in the refusal text (a foreigner's request has no contract).
 */
export function checkCsr(csrDer: Buffer, expectedDn: string, profile: CertificateProfile, expectedDnLabel = 'the contract DN'): CheckedCsr {
  let csr: ParsedCsr;
  try {
    csr = parseCsr(csrDer);
  } catch (cause) {
    throw new ServiceError('BAD_CSR', 'the CSR is not a DER PKCS#10 request', { cause });
  }
  const proof = checkCsrSignature(csr);
  if (proof === 'unsupported-algorithm') throw new ServiceError('BAD_CSR', 'the CSR signature algorithm is not accepted (use SHA-256 or stronger)');
  if (proof !== 'valid') throw new ServiceError('BAD_CSR', 'the CSR signature does not verify with its public key');
  let key;
  try {
    key = describePublicKey(csr.spkiDer);
  } catch (cause) {
    throw new ServiceError('WEAK_KEY', 'the CSR public key cannot be decoded', { cause });
  }
  const violation = keyPolicyViolation(key, profile.allowedKeys);
  if (violation) throw new ServiceError('WEAK_KEY', violation.reason);
  const subject = csr.subject.map((a) => ({ type: a.type ?? a.oid, value: a.value, rdn: a.rdnIndex }));
  if (!dnEqualsUnordered(expectedDn, subject)) {
    const shown = formatDn([...subject].reverse().map((a) => ({ type: a.type, value: a.value })));
    throw new ServiceError('DN_MISMATCH', `the CSR subject ${shown.slice(0, 300)} is not ${expectedDnLabel} ${expectedDn}`);
  }
  return { publicKeyIdentifier: formatKeyId(publicKeyIdentifier(csr.spkiDer)) };
}
