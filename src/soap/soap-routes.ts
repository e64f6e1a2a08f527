import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../config/config.js';
import type { PlatformMetrics } from '../metrics.js';
import type { XmlValidator } from '../xml/schema-validator.js';
import { TransportCall } from './call.js';
import type { ContractDocuments } from './contract-documents.js';
import { SoapEndpoint } from './endpoint.js';
import { readOnFastLane } from './fast-lane.js';
import { readOnOrdinaryPath } from './ordinary-path.js';
import { ANSWERED, answeredWith, answerFailure, recordCall, sendResponse, type CallOutcome } from './respond.js';
import { acceptXmlBodiesOnly, parseLimitsOf, soapRequestText } from './screening.js';
import type { SoapOperation, SoapService } from './service.js';

export interface SoapRoutesOptions {
  services: readonly SoapService[];
  documents: ContractDocuments;
  /** Compiled once at start-up over our xsd/ (with a SOAP 1.1 envelope wrapper). */
  requestValidator: XmlValidator;
  config: Config;
  metrics: PlatformMetrics;
}

/**
 * The SOAP transport: each service's endpoint serves its WSDL and schemas (GET) and takes requests (POST) in named
 * steps, each in its own module (docs/ARCHITECTURE.md, "A SOAP request, step by step"): screening (screening.ts), the
 * fast lane (fast-lane.ts) or else the ordinary path (ordinary-path.ts), the service's hooks and the operation, then
 * the answer, its metrics and its log line (respond.ts). Every failure is a SOAP 1.1 fault.
 */
export async function soapRoutes(app: FastifyInstance, options: SoapRoutesOptions): Promise<void> {
  const { config, documents, requestValidator, metrics } = options;
  const limits = parseLimitsOf(config);
  acceptXmlBodiesOnly(app, config);

  for (const service of options.services) {
    const endpoint = new SoapEndpoint(service);

    app.get(endpoint.path, async (request: FastifyRequest<{ Querystring: Record<string, string | undefined> }>, reply) => {
      const endpointUrl = `${baseUrl(request, config)}${endpoint.path}`;
      const query = request.query;
      if (query.xsd !== undefined) {
        const xsd = documents.xsd(query.xsd, endpointUrl);
        if (xsd === undefined) return reply.code(404).type('text/plain').send(`no schema named ${query.xsd}`);
        return reply.type('text/xml; charset=utf-8').send(xsd);
      }
      if ('wsdl' in query || 'WSDL' in query) return reply.type('text/xml; charset=utf-8').send(documents.wsdl(service.wsdlFile, endpointUrl));
      return reply.type('text/plain; charset=utf-8').send(`SOAP 1.1 endpoint. WSDL: ${endpointUrl}?wsdl\n`);
    });

    // Hooks and the operation may answer synchronously: only a returned promise is awaited (each await is a turn of
    // the microtask queue on the busiest path), and nothing here makes a closure per request.
    app.post(endpoint.path, async (request, reply) => {
      const started = process.hrtime.bigint();
      let operation: SoapOperation | undefined;
      let call: TransportCall | undefined;
      let outcome: CallOutcome = ANSWERED;
      try {
        const rawXml = soapRequestText(request);
        const receivedAt = new Date();
        const fast = endpoint.hasFastLane ? readOnFastLane(rawXml, limits, endpoint.operations) : undefined;
        if (fast) {
          operation = fast.operation;
          call = new TransportCall(request, rawXml, receivedAt, limits, undefined, fast.request);
        } else {
          const ordinary = readOnOrdinaryPath(rawXml, limits, endpoint, requestValidator);
          operation = ordinary.operation;
          if (ordinary.schemaFault) throw ordinary.schemaFault;
          call = new TransportCall(request, rawXml, receivedAt, limits, ordinary.envelope, undefined);
        }
        if (service.verifyEnvelope) {
          const verified = service.verifyEnvelope(call);
          call.security = verified instanceof Promise ? await verified : verified;
        }
        const handled = operation.handle(call);
        const rendering = endpoint.renderResponse(typeof handled === 'string' ? handled : await handled, call);
        const responseXml = typeof rendering === 'string' ? rendering : await rendering;
        outcome = answeredWith(responseXml);
        return sendResponse(reply, responseXml);
      } catch (error) {
        outcome = await answerFailure(reply, error, endpoint, operation, call, config.environment);
        return reply;
      } finally {
        recordCall(metrics, endpoint, operation, outcome, started, request.log);
      }
    });
  }
}

/** The caller's view of our base URL: PUBLIC_URL when configured, else the Host it used (sanitised). */
export function baseUrl(request: FastifyRequest, config: Config): string {
  if (config.publicUrl) return config.publicUrl;
  const host = /^[A-Za-z0-9.\-:[\]]{1,255}$/.test(request.host) ? request.host : `localhost:${config.port}`;
  return `${request.protocol}://${host}`;
}
