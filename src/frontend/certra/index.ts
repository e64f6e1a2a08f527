import type { FastifyInstance } from 'fastify';
import { createCertRaDependencies, type CertRaDependencies, type CertRaPolicy } from '../../services/certra/index.js';
import type { PlatformContext } from '../../services/platform-context.js';
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
import { createHandlerContext } from './operation.js';
import { revokeOperation } from './revoke.js';
import { submitCsrForForeignerOperation } from './submit-csr-for-foreigner.js';

export { FOREIGNER_VALIDATION_PATH } from './foreigner-validation-page.js';

export interface CertRaServiceOptions {
  /** Overrides of the default policy (tests; configuration). */
  readonly policy?: Partial<CertRaPolicy>;
}

function dependenciesFor(context: PlatformContext, options: CertRaServiceOptions): CertRaDependencies {
  return createCertRaDependencies(context, options.policy ? { policy: options.policy } : {});
}

/** The base URL clients reach us on, for the foreigner validation URL. */
function publicBaseUrl(context: PlatformContext): string {
  return context.config.publicUrl ?? context.config.caPublicationUrl;
}

/** The CertRa SOAP endpoint: one handler per operation. */
export function createCertRaSoapService(context: PlatformContext, options: CertRaServiceOptions = {}): SoapService {
  const handlers = createHandlerContext(context, dependenciesFor(context, options));
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
      submitCsrForForeignerOperation(handlers, publicBaseUrl(context)),
    ],
  };
}

/** Plain HTTP routes of CertRA (the foreigner validation page behind ValidationUrl). */
export async function certRaRoutes(app: FastifyInstance, context: PlatformContext, options: CertRaServiceOptions = {}): Promise<void> {
  await foreignerValidationRoutes(app, dependenciesFor(context, options));
}
