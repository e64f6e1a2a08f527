/** Boulder-style issuance: prepare (check, build, lint the exact TBS under a placeholder signature) → caller records the serial → issue (sign once). */
export { CaError, isCaError, type CaErrorCode, type LintFailure } from './errors.js';
export {
  issue,
  prepareFromCsr,
  prepareFromTemplate,
  type CommonPrepareInput,
  type IssuedCertificate,
  type PrepareFromCsrInput,
  type PrepareFromTemplateInput,
  type PreparedCertificate,
} from './prepare.js';
export { issuerCertificateFacts, type IssuerCertificateFacts, type IssuerInput, type SelfSignedIssuerInput } from './issuer.js';
export { randomSerial } from './serial.js';
export { publicKeyIdentifier } from '../x509/public-key.js';
