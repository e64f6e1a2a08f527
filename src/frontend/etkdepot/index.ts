import type { FastifyInstance } from 'fastify';
import { etkDepotFor } from '../../services/etk-depot.js';
import type { PlatformContext } from '../../services/platform-context.js';
import { NS } from '../../soap/namespaces.js';
import type { SoapService } from '../../soap/service.js';
import { getEtkOperation } from './get-etk.js';
import { registerEtkDepotRest } from './rest.js';

/**
 * The EtkDepot v1 SOAP endpoint. wsse:Security is understood (zeep and WSS4J may mark it mustUnderstand) and
 * verified in verifyEnvelope; with SIGN_RESPONSES every response is signed in renderResponse (no mustUnderstand: the
 * connector would refuse a header it does not process).
 */
export function createEtkDepotSoapService(context: PlatformContext): SoapService {
  const depot = etkDepotFor(context);
  // Starts LISTEN and the response signer early; etkDepotRestRoutes awaits the same start, so failures stop start-up.
  depot.start().catch(() => undefined);
  return {
    path: '/EtkDepot/v1',
    wsdlFile: 'etkdepot-v1.wsdl',
    operations: [getEtkOperation(depot, context.logger)],
    understoodHeaders: [{ namespace: NS.wsse, localName: 'Security' }],
    verifyEnvelope(call) {
      // A fast-lane request has no header entry, so no signature: it is served unless signatures are required.
      if (call.validatedRequest !== undefined) {
        call.security = depot.security.acceptUnsigned();
        return;
      }
      return depot.security.verify(call.envelope.document).then((verified) => {
        call.security = verified;
      });
    },
    // Every payload here is a GetEtkResponse, which get-etk.ts renders in canonical form.
    renderResponse: context.config.signResponses
      ? async (payloadXml) => (await depot.responseSigner()!).signPayload(payloadXml, { payloadIsCanonical: true })
      : undefined,
  };
}

/**
 * ETKDepot over REST: GET /etkdepot/v1/etks and its OpenAPI document. Also the asynchronous start of the depot shared
 * with the SOAP endpoint (LISTEN for directory changes, response signer), which start-up awaits here.
 */
export async function etkDepotRestRoutes(app: FastifyInstance, context: PlatformContext): Promise<void> {
  const depot = etkDepotFor(context);
  await depot.start();
  app.addHook('onClose', async () => depot.stop());
  await registerEtkDepotRest(app, depot);
}
