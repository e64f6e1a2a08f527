import { EtkRegistration } from '../../services/etk-registration.js';
import type { PlatformContext } from '../../services/platform-context.js';
import type { SoapService } from '../../soap/service.js';
import { activateEtk, completeEtkRegistration, startEtkRegistration } from './operations.js';

/** The EtkRa v2 SOAP endpoint: one handler per operation. No WS-Security: requests carry an enveloped signature. */
export function createEtkRaSoapService(context: PlatformContext): SoapService {
  const registration = new EtkRegistration({
    db: context.db,
    clock: context.clock,
    ca: context.ca,
    trust: context.trust.ehealth,
    clockSkewSeconds: context.config.clockSkewSeconds,
    challengeTtlSeconds: context.config.etkChallengeTtlSeconds,
  });
  return {
    path: '/EtkRa/v2',
    wsdlFile: 'etkra-v2.wsdl',
    operations: [
      startEtkRegistration(registration, context.clock),
      completeEtkRegistration(registration, context.clock),
      activateEtk(registration, context.clock),
    ],
  };
}
