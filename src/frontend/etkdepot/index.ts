import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { EtkDirectory } from '../../services/etk-directory.js';
import { NS } from '../../soap/namespaces.js';
import type { SoapService } from '../../soap/service.js';
import { getEtkOperation, type EtkDepotSecurity } from './get-etk.js';
import type { BearerTokenAuthenticator } from '../authentication/bearer-token.js';
import { registerEtkDepotRest } from './rest.js';
import type { ResponseSigner, WsSecurityGate } from './ws-security-gate.js';

/** What the ETKDepot front ends (SOAP and REST) consume. */
export interface EtkDepotFrontEndDependencies {
  readonly directory: Pick<EtkDirectory, 'lookup'>;
  readonly wsSecurity: Pick<WsSecurityGate, 'acceptUnsigned' | 'verify'>;
  /** SIGN_RESPONSES: signs every response; undefined when responses are not signed. */
  readonly responseSigner: ResponseSigner | undefined;
  readonly logger: Logger;
}

/**
 * The EtkDepot v1 SOAP endpoint. wsse:Security is understood (zeep and WSS4J may mark it mustUnderstand) and
 * verified in verifyEnvelope, whose result GetEtk receives as call.security; with SIGN_RESPONSES every response is signed in renderResponse (no mustUnderstand: the
 * connector would refuse a header it does not process).
 */
export function createEtkDepotSoapService(frontEnd: EtkDepotFrontEndDependencies): SoapService<EtkDepotSecurity> {
  const { wsSecurity, responseSigner } = frontEnd;
  return {
    path: '/EtkDepot/v1',
    wsdlFile: 'etkdepot-v1.wsdl',
    operations: [getEtkOperation(frontEnd.directory, frontEnd.logger)],
    understoodHeaders: [{ namespace: NS.wsse, localName: 'Security' }],
    verifyEnvelope(call) {
      // A fast-lane request has no header entry, so no signature: it is served unless signatures are required.
      if (call.validatedRequest !== undefined) return wsSecurity.acceptUnsigned();
      return wsSecurity.verify(call.envelope.document);
    },
    // Every payload here is a GetEtkResponse, which get-etk.ts renders in canonical form.
    renderResponse: responseSigner ? async (payloadXml) => responseSigner.signPayload(payloadXml, { payloadIsCanonical: true }) : undefined,
  };
}

/** ETKDepot over REST: GET /etkdepot/v1/etks and its OpenAPI document (the ETEE REST API's older twin). */
export async function etkDepotRestRoutes(app: FastifyInstance, frontEnd: EtkDepotFrontEndDependencies, authenticator: BearerTokenAuthenticator): Promise<void> {
  await registerEtkDepotRest(app, { directory: frontEnd.directory, authenticator });
}
