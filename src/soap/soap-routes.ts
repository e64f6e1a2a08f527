import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/config.js';
import { isRefusal } from '../domain/errors.js';
import type { PlatformMetrics } from '../metrics.js';
import type { XmlValidator } from '../xml/schema-validator.js';
import type { ContractDocuments } from './contract-documents.js';
import { matchesShape, one, optional, sequenceElement, type ElementShape } from '../xml/element-shape.js';
import { parseElementTree, screenXmlText, XmlParseError, type LightElement, type ParseLimits } from '../xml/parse.js';
import { assertHeadersUnderstood, readSoapEnvelope, requestParseFault, wrapInEnvelope, type SoapEnvelope } from './envelope.js';
import { NS } from './namespaces.js';
import { internalFault, renderFault, SoapFault } from './fault.js';
import type { SoapCall, SoapOperation, SoapService } from './service.js';

export interface SoapRoutesOptions {
  services: readonly SoapService[];
  documents: ContractDocuments;
  /** Compiled once at start-up over our xsd/ (with a SOAP 1.1 envelope wrapper). */
  requestValidator: XmlValidator;
  config: Config;
  metrics: PlatformMetrics;
}

const XML_CONTENT_TYPES = ['text/xml', 'application/soap+xml', 'application/xml'];

/**
 * The SOAP transport: hardened parsing, envelope checks, schema validation, dispatch on the QName of the Body's
 * child (any SOAPAction is accepted: real clients send inconsistent ones), and SOAP 1.1 faults for every failure.
 */
export async function soapRoutes(app: FastifyInstance, options: SoapRoutesOptions): Promise<void> {
  const { config, documents, requestValidator } = options;
  const limits: ParseLimits = {
    maxBytes: config.bodyLimitBytes,
    maxDepth: config.xmlMaxDepth,
    maxElements: 20_000,
    maxAttributesPerElement: config.xmlMaxAttributesPerElement,
    maxAttributes: config.xmlMaxAttributes,
    maxNamespaceDeclarations: config.xmlMaxNamespaceDeclarations,
  };

  // Only XML bodies are read. fastify's own parsers would otherwise run first on bodies that are no SOAP request at all
  // (a JSON body that did not parse was an INTERNAL_ERROR); any other content type reaches the handler unread, which
  // refuses it as UNSUPPORTED_MEDIA_TYPE like any other call (one log line, counted in the metrics).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(XML_CONTENT_TYPES, { parseAs: 'string', bodyLimit: config.bodyLimitBytes }, (_request, body, done) => done(null, body));
  app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));

  // Failures before our handler runs (body too large, unsupported media type) still get a SOAP fault.
  app.setErrorHandler((error: { code?: string; message: string }, request, reply) => {
    const fault =
      error.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? new SoapFault('PAYLOAD_TOO_LARGE', `the request body is larger than ${config.bodyLimitBytes} bytes`)
        : error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? new SoapFault('UNSUPPORTED_MEDIA_TYPE')
          : internalFault(error);
    request.log.warn({ outcome: 'fault', code: fault.code, err: error }, 'request refused before dispatch');
    return sendFault(reply, fault);
  });

  // SystemError/@Id is the request id (also in X-Request-Id and in every log line of the request as requestId).
  const sendFault = (reply: FastifyReply, fault: SoapFault) =>
    reply
      .code(500)
      .type('text/xml; charset=utf-8')
      .send(renderFault(fault, config.environment, String(reply.request.id)));

  for (const service of options.services) {
    const byQName = new Map<string, SoapOperation>();
    for (const operation of service.operations) byQName.set(qname(operation.requestElement.namespace, operation.requestElement.localName), operation);
    const hasFastLane = service.operations.some((operation) => operation.fastLane);
    const renderResponse = (payloadXml: string, call: SoapCall): string | Promise<string> =>
      service.renderResponse ? service.renderResponse(payloadXml, call) : wrapInEnvelope(payloadXml);

    app.get(service.path, async (request: FastifyRequest<{ Querystring: Record<string, string | undefined> }>, reply) => {
      const endpointUrl = `${baseUrl(request, config)}${service.path}`;
      const query = request.query;
      if (query.xsd !== undefined) {
        const xsd = documents.xsd(query.xsd, endpointUrl);
        if (xsd === undefined) return reply.code(404).type('text/plain').send(`no schema named ${query.xsd}`);
        return reply.type('text/xml; charset=utf-8').send(xsd);
      }
      if ('wsdl' in query || 'WSDL' in query) return reply.type('text/xml; charset=utf-8').send(documents.wsdl(service.wsdlFile, endpointUrl));
      return reply.type('text/plain; charset=utf-8').send(`SOAP 1.1 endpoint. WSDL: ${endpointUrl}?wsdl\n`);
    });

    app.post(service.path, async (request, reply) => {
      const started = process.hrtime.bigint();
      let operationName = 'unknown';
      let outcome = 'ok';
      let code: string | undefined;
      let operation: SoapOperation | undefined;
      let call: SoapCall | undefined;
      try {
        const mediaType = String(request.headers['content-type'] ?? '')
          .split(';')[0]!
          .trim()
          .toLowerCase();
        if (!XML_CONTENT_TYPES.includes(mediaType) || typeof request.body !== 'string') {
          throw new SoapFault('UNSUPPORTED_MEDIA_TYPE');
        }
        const rawXml = request.body;
        const receivedAt = new Date();
        const callOf = (envelope: () => SoapEnvelope, validatedRequest?: unknown): SoapCall =>
          new TransportCall(envelope, rawXml, String(request.id), receivedAt, request.log, headerValue(request.headers.soapaction), validatedRequest);
        // A request without header entries whose payload has a shape its operation declares is checked against that
        // shape and read from a light element tree: no XSD validation, no DOM unless something asks for call.envelope.
        // Anything else is validated against the XSDs and parsed into a DOM.
        const fast = hasFastLane ? readOnFastLane(rawXml, limits, byQName) : undefined;
        if (fast) {
          operation = fast.operation;
          call = callOf(() => readSoapEnvelope(rawXml, limits), fast.request);
        } else {
          // The fast lane's parser screens the text itself; libxml2 must never see what the screen refuses (DTDs,
          // documents beyond the structural limits). The strict parse comes before libxml2, which goes on reading a
          // malformed document after its first error and reports every further one: a 160 KB Header of '&' made
          // 160,000 errors (3 s). saxes stops at the first.
          screenRequestText(rawXml, limits);
          const envelope = readSoapEnvelope(rawXml, limits);
          const validation = requestValidator.validate(rawXml);
          assertHeadersUnderstood(envelope.header, service.understoodHeaders ?? []);
          const payloadName = qname(envelope.payload.namespaceURI ?? '', envelope.payload.localName ?? '');
          operation = byQName.get(payloadName);
          if (!operation) throw new SoapFault('UNKNOWN_OPERATION', `no operation of ${service.path} takes the element ${payloadName}`);
          if (!validation.valid) {
            operationName = operation.name;
            throw new SoapFault('SCHEMA_INVALID', `the request does not conform to the schema: ${validation.errors.slice(0, 3).join(' ')}`.trim());
          }
          call = callOf(() => envelope);
        }
        operationName = operation.name;
        const verifying = service.verifyEnvelope?.(call);
        if (verifying) await verifying;
        const handled = operation.handle(call);
        const rendering = renderResponse(typeof handled === 'string' ? handled : await handled, call);
        const responseXml = typeof rendering === 'string' ? rendering : await rendering;
        return reply.code(200).type('text/xml; charset=utf-8').send(responseXml);
      } catch (error) {
        if (isRefusal(error) && operation?.businessError && call) {
          outcome = 'refused';
          code = error.code;
          request.log.info({ operation: operationName, code, detail: error.detail, cause: error.cause }, 'business refusal');
          const responseXml = await renderResponse(operation.businessError(error, call), call);
          return reply.code(200).type('text/xml; charset=utf-8').send(responseXml);
        }
        const fault = error instanceof SoapFault ? error : internalFault(error);
        outcome = 'fault';
        code = fault.code;
        if (fault.faultCode === 'Server') request.log.error({ err: fault.cause ?? fault, operation: operationName }, 'internal error');
        return sendFault(reply, fault);
      } finally {
        const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
        options.metrics.soapCalls.inc({ service: service.path, operation: operationName, outcome, code: code ?? '' });
        options.metrics.soapDuration.observe({ service: service.path, operation: operationName }, durationMs / 1000);
        // `endpoint`, not `service`: the base logger binds `service` (the application), and pino would write the key twice.
        request.log.info({ endpoint: service.path, operation: operationName, outcome, code, durationMs: Math.round(durationMs * 100) / 100 }, 'soap call');
      }
    });
  }
}

/**
 * A SoapCall whose envelope is parsed on first use. A class, not an object literal with a getter: each literal's
 * getter is a new closure, so V8 gives every call object a new hidden class, which old space keeps (with the whole
 * request behind it) until the next full GC; that cost ETKDepot a third of its throughput.
 */
class TransportCall implements SoapCall {
  #envelope: SoapEnvelope | undefined;
  security?: unknown;

  constructor(
    private readonly parseEnvelope: () => SoapEnvelope,
    readonly rawXml: string,
    readonly requestId: string,
    readonly receivedAt: Date,
    readonly log: FastifyBaseLogger,
    readonly soapAction: string | undefined,
    readonly validatedRequest: unknown,
  ) {}

  get envelope(): SoapEnvelope {
    return (this.#envelope ??= this.parseEnvelope());
  }
}

/**
 * A Header with an entry (WS-Security...): such requests take the ordinary path, and this test spares them a light
 * parse first. Only a shortcut: the shape check is what admits a request. Linear: the start tag's attributes are
 * `[^<>]*` (a '<' cannot occur in a tag), so an attempt never reads past the next '<' — with `[^>]*`, text made of
 * unclosed `<Header ` tags made every attempt read to the end (200 KB: 10 s).
 */
const HEADER_WITH_ENTRY = /<(?:[A-Za-z_][\w.-]*:)?Header(?:\s[^<>]*)?>\s*<(?!\/)/;
/** Declarations the fast lane's parser reads exactly as libxml2 does: XML 1.0, in UTF-8 (what the text was decoded as). */
const FAST_LANE_DECLARATION =
  /^\uFEFF?<\?xml\s+version\s*=\s*(["'])1\.0\1(?:\s+encoding\s*=\s*(["'])utf-8\2)?(?:\s+standalone\s*=\s*(["'])(?:yes|no)\3)?\s*\?>/i;

/**
 * The fast lane: accepts only Envelope/Body/payload in the SOAP 1.1 namespace (an empty Header allowed: SAAJ clients
 * such as the connector always send one), no attributes but namespace declarations, whitespace and comments between elements, a payload with its operation's declared shape, and a read
 * that succeeds; undefined otherwise, for the ordinary path, which gives every refusal its usual fault.
 */
export function readOnFastLane(
  xml: string,
  limits: ParseLimits,
  byQName: ReadonlyMap<string, SoapOperation>,
): { operation: SoapOperation; request: unknown } | undefined {
  if (HEADER_WITH_ENTRY.test(xml)) return undefined;
  if (xml.includes('<?') && !FAST_LANE_DECLARATION.test(xml)) return undefined;
  let root: LightElement;
  try {
    root = parseElementTree(xml, limits);
  } catch {
    return undefined;
  }
  const payload = root.elements[root.elements.length - 1]?.elements[0]; // in the Body, if the shape check agrees
  if (!payload) return undefined;
  const operation = byQName.get(qname(payload.namespaceURI ?? '', payload.localName));
  if (!operation?.fastLane || !matchesShape(root, soapEnvelopeShape(operation.fastLane.shape))) return undefined;
  try {
    return { operation, request: operation.fastLane.read(payload) };
  } catch {
    return undefined;
  }
}

const envelopeShapes = new WeakMap<ElementShape, ElementShape>();

/** Envelope with an optional empty Header and one Body holding exactly the payload (SOAP 1.1). */
function soapEnvelopeShape(payload: ElementShape): ElementShape {
  let shape = envelopeShapes.get(payload);
  if (!shape) {
    shape = sequenceElement(NS.soap11, 'Envelope', optional(sequenceElement(NS.soap11, 'Header')), one(sequenceElement(NS.soap11, 'Body', one(payload))));
    envelopeShapes.set(payload, shape);
  }
  return shape;
}

/** screenXmlText's refusals as the faults readSoapEnvelope gives for them. */
function screenRequestText(xml: string, limits: ParseLimits): void {
  try {
    screenXmlText(xml, limits);
  } catch (error) {
    if (error instanceof XmlParseError) throw requestParseFault(error);
    throw error;
  }
}

export function qname(namespace: string, localName: string): string {
  return `{${namespace}}${localName}`;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The caller's view of our base URL: PUBLIC_URL when configured, else the Host it used (sanitised). */
export function baseUrl(request: FastifyRequest, config: Config): string {
  if (config.publicUrl) return config.publicUrl;
  const host = /^[A-Za-z0-9.\-:[\]]{1,255}$/.test(request.host) ? request.host : `localhost:${config.port}`;
  return `${request.protocol}://${host}`;
}
