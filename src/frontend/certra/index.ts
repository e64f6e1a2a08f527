import type { FastifyInstance } from 'fastify';
import type { SoapService } from '../../soap/service.js';
import { foreignerValidationRoutes } from './foreigner-validation-page.js';
import { generateCertificateOperation } from './generate-certificate.js';
import { generateContractOperation } from './generate-contract.js';
import { generateRevocationContractOperation } from './generate-revocation-contract.js';
import { getActorQualitiesOperation } from './get-actor-qualities.js';
import { getCertificateOperation } from './get-certificate.js';
import { getCertificateInfoForAuthenticationCertificateOperation } from './get-certificate-info-for-authentication-certificate.js';
import { getCertificateInfoForCitizenOperation } from './get-certificate-info-for-citizen.js';
import { getExistingApplicationIdsOperation } from './get-existing-application-ids.js';
import { getGenericOrganizationTypesOperation } from './get-generic-organization-types.js';
import { createHandlerContext, type CertRaFrontEndDependencies } from './operation.js';
import { revokeOperation } from './revoke.js';
import { submitCsrForForeignerOperation } from './submit-csr-for-foreigner.js';

export { FOREIGNER_VALIDATION_PATH } from './foreigner-validation-page.js';
export type { CertRaFrontEndDependencies } from './operation.js';

/** The CertRa SOAP endpoint: one handler per operation. */
export function createCertRaSoapService(frontEnd: CertRaFrontEndDependencies): SoapService {
  const handlers = createHandlerContext(frontEnd);
  return {
    path: '/CertRa/v2',
    wsdlFile: 'certra-v2.wsdl',
    operations: [
      generateContractOperation(handlers),
      generateCertificateOperation(handlers),
      getCertificateOperation(handlers),
      generateRevocationContractOperation(handlers),
      revokeOperation(handlers),
      getActorQualitiesOperation(handlers),
      getGenericOrganizationTypesOperation(handlers),
      getExistingApplicationIdsOperation(handlers),
      getCertificateInfoForCitizenOperation(handlers),
      getCertificateInfoForAuthenticationCertificateOperation(handlers),
      submitCsrForForeignerOperation(handlers, frontEnd.publicBaseUrl),
    ],
  };
}

/** Plain HTTP routes of CertRA (the foreigner validation page behind ValidationUrl). */
export async function certRaRoutes(app: FastifyInstance, frontEnd: CertRaFrontEndDependencies): Promise<void> {
  await foreignerValidationRoutes(app, frontEnd.certRa);
}
