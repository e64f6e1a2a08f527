import type { PlatformContext } from '../../services/platform-context.js';
import type { SoapService } from '../../soap/service.js';

/** The EtkDepot SOAP endpoint: one handler per operation. */
export function createEtkDepotSoapService(context: PlatformContext): SoapService {
  void context;
  return { path: '/EtkDepot/v1', wsdlFile: 'etkdepot-v1.wsdl', operations: [] };
}

/** ETKDepot over REST: GET /etkdepot/v1/etks and its OpenAPI document. */
export async function etkDepotRestRoutes(app: import('fastify').FastifyInstance, context: PlatformContext): Promise<void> {
  void app;
  void context;
}
