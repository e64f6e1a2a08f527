import type { SoapService } from '../../soap/service.js';
import type { EtkRaFrontEndDependencies } from './dependencies.js';
import { activateEtk, completeEtkRegistration, startEtkRegistration } from './operations.js';

export type { EtkRaFrontEndDependencies } from './dependencies.js';

/** The EtkRa v2 SOAP endpoint: one handler per operation. No WS-Security: requests carry an enveloped signature. */
export function createEtkRaSoapService(frontEnd: EtkRaFrontEndDependencies): SoapService {
  return {
    path: '/EtkRa/v2',
    wsdlFile: 'etkra-v2.wsdl',
    operations: [startEtkRegistration(frontEnd), completeEtkRegistration(frontEnd), activateEtk(frontEnd)],
  };
}
