import type { PlatformContext } from '../../services/platform-context.js';
import type { SoapService } from '../../soap/service.js';

/** The EtkRa SOAP endpoint: one handler per operation. */
export function createEtkRaSoapService(context: PlatformContext): SoapService {
  void context;
  return { path: '/EtkRa/v2', wsdlFile: 'etkra-v2.wsdl', operations: [] };
}
