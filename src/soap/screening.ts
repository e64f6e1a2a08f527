import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../config/config.js';
import { screenXmlText, XmlParseError, type ParseLimits } from '../xml/parse.js';
import { requestParseFault } from './envelope.js';
import { internalFault, SoapFault } from './fault.js';
import { sendFault } from './respond.js';

/*
 * Screening, the first step of a SOAP request: what the transport reads at all. Only XML bodies within the body limit
 * are read; their text is screened (screenXmlText: DOCTYPE/ENTITY, processing instructions, the structural limits)
 * before any parser builds anything — by the fast lane's own parser, or by screenRequestText on the ordinary path.
 */

const XML_CONTENT_TYPES = ['text/xml', 'application/soap+xml', 'application/xml'];

/** The parser limits of a request, from the configuration. */
export function parseLimitsOf(config: Config): ParseLimits {
  return {
    maxBytes: config.bodyLimitBytes,
    maxDepth: config.xmlMaxDepth,
    maxElements: 20_000,
    maxAttributesPerElement: config.xmlMaxAttributesPerElement,
    maxAttributes: config.xmlMaxAttributes,
    maxNamespaceDeclarations: config.xmlMaxNamespaceDeclarations,
  };
}

/**
 * Body handling of the SOAP scope. Only XML bodies are read: fastify's own parsers would otherwise run first on bodies
 * that are no SOAP request at all (a JSON body that did not parse was an INTERNAL_ERROR); any other content type
 * reaches the handler unread, and soapRequestText refuses it like any other call (one log line, counted in the
 * metrics). Failures before the handler runs (a body over the limit) still get a SOAP fault.
 */
export function acceptXmlBodiesOnly(app: FastifyInstance, config: Config): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(XML_CONTENT_TYPES, { parseAs: 'string', bodyLimit: config.bodyLimitBytes }, (_request, body, done) => done(null, body));
  app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
  app.setErrorHandler((error: { code?: string; message: string }, request, reply) => {
    const fault =
      error.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? new SoapFault('PAYLOAD_TOO_LARGE', `the request body is larger than ${config.bodyLimitBytes} bytes`)
        : error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? new SoapFault('UNSUPPORTED_MEDIA_TYPE')
          : internalFault(error);
    request.log.warn({ outcome: 'fault', code: fault.code, err: error }, 'request refused before dispatch');
    return sendFault(reply, fault, config.environment);
  });
}

/** The request's XML text; UNSUPPORTED_MEDIA_TYPE for any other content type (whose body was not read). */
export function soapRequestText(request: FastifyRequest): string {
  const mediaType = String(request.headers['content-type'] ?? '')
    .split(';')[0]!
    .trim()
    .toLowerCase();
  if (!XML_CONTENT_TYPES.includes(mediaType) || typeof request.body !== 'string') throw new SoapFault('UNSUPPORTED_MEDIA_TYPE');
  return request.body;
}

/** screenXmlText's refusals as the faults readSoapEnvelope gives for them. */
export function screenRequestText(xml: string, limits: ParseLimits): void {
  try {
    screenXmlText(xml, limits);
  } catch (error) {
    if (error instanceof XmlParseError) throw requestParseFault(error);
    throw error;
  }
}
