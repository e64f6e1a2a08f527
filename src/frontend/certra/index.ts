import type { PlatformContext } from '../../services/platform-context.js';
import type { SoapService } from '../../soap/service.js';

/** The CertRa SOAP endpoint: one handler per operation. */
export function createCertRaSoapService(context: PlatformContext): SoapService {
  void context;
  return { path: '/CertRa/v2', wsdlFile: 'certra-v2.wsdl', operations: [] };
}
