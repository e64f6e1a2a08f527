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
