/** CertRA v2: contracts, certificate requests and their lifecycle, mandates. Policy lives here; no XML, no SQL. */
export * from './types.js';
// The domain vocabulary these services speak (defined in domain/), for callers that import the CertRA services alone.
export {
  REVOCATION_REASONS,
  type Actor,
  type CertificateStatus,
  type CertRaEntityType,
  type ContactData,
  type EtkStatus,
  type RevocationReason,
} from '../../domain/certra.js';
export type { Identifier } from '../../domain/identifier.js';
export * from './policy.js';
export * from './dependencies.js';
export { ContractSealer } from './contract-seal.js';
export { generateCertificateContract, generateRevocationContract, type GenerateContractInput, type GenerateRevocationContractInput } from './contracts.js';
export {
  approveRequest,
  approveRequestIn,
  certificateChain,
  foreignerRequestByReference,
  pendingRequests,
  recentRequests,
  refuseRequest,
  submitCertificateRequest,
  submitForeignerRequest,
  type ApprovalInput,
  type CertificateRequestInput,
  type CertificateRequestOutcome,
  type ForeignerRequestInput,
  type ForeignerRequestOutcome,
} from './certificate-requests.js';
export { revokeCertificate, type RevokeInput } from './revocation.js';
export { actorQualities, certificateInfoForAuthenticationCertificate, certificateInfoForCitizen, existingApplicationIds } from './certificate-info.js';
export { organizationTypes, type OrganizationTypeInfo } from './organization-types.js';
export {
  listMandates,
  listTestCases,
  registerCertificateManager,
  registerLegalRepresentative,
  registerTestCase,
  removeTestCase,
  setMandateContactEmail,
  withdrawMandate,
  type RegistrationDeps,
} from './mandates.js';
export { lifecycleState, certificateStatus, hasLapsed } from './lifecycle.js';
