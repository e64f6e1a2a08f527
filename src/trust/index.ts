export { TrustStore } from './trust-store.js';
export type {
  RevocationChecker,
  RevocationStatus,
  TrustFailure,
  TrustFailureReason,
  TrustResult,
  TrustStoreOptions,
  TrustValidationOptions,
} from './trust-store.js';
export { CertificateParseError, KEY_USAGE_BITS, OID_SUBJECT_SERIAL_NUMBER, certificatesFrom, parseCertificate } from './certificate.js';
export type { CertificateInfo, KeyUsageName, NameAttribute } from './certificate.js';
