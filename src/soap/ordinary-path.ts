import type { ParseLimits } from '../xml/parse.js';
import type { XmlValidator } from '../xml/schema-validator.js';
import { type SoapEndpoint, qname } from './endpoint.js';
import { assertHeadersUnderstood, readSoapEnvelope, type SoapEnvelope } from './envelope.js';
import { SoapFault } from './fault.js';
import { screenRequestText } from './screening.js';
import type { SoapOperation } from './service.js';

/** A request the ordinary path read and dispatched. */
export interface OrdinaryRequest {
  readonly operation: SoapOperation;
  readonly envelope: SoapEnvelope;
  /** SCHEMA_INVALID when the request does not conform to the schema: a refusal, given once the operation is known. */
  readonly schemaFault: SoapFault | undefined;
}

/**
 * The ordinary path: every request the fast lane does not take, each step refusing with its fault, in this order.
 * 1. The raw-text screen: libxml2 must never see what it refuses (DTDs, documents beyond the structural limits).
 * 2. The strict parse into an xmldom Document and the envelope checks (readSoapEnvelope: one Envelope, an optional
 *    Header then one Body holding one element, no nested Body or Envelope).
 * 3. Schema validation (libxml2 over our XSDs). After the strict parse: libxml2 goes on reading a malformed document
 *    after its first error and reports every further one (a 160 KB Header of '&' made 160,000 errors, 3 s); saxes
 *    stops at the first.
 * 4. mustUnderstand header entries the service does not process.
 * 5. Dispatch on the Body's element (UNKNOWN_OPERATION), then the schema verdict, so that an invalid request is
 *    counted under its operation.
 */
export function readOnOrdinaryPath(rawXml: string, limits: ParseLimits, endpoint: SoapEndpoint, validator: XmlValidator): OrdinaryRequest {
  screenRequestText(rawXml, limits);
  const envelope = readSoapEnvelope(rawXml, limits);
  const validation = validator.validate(rawXml);
  assertHeadersUnderstood(envelope.header, endpoint.service.understoodHeaders ?? []);
  const payloadName = qname(envelope.payload.namespaceURI ?? '', envelope.payload.localName ?? '');
  const operation = endpoint.operations.get(payloadName);
  if (!operation) throw new SoapFault('UNKNOWN_OPERATION', `no operation of ${endpoint.path} takes the element ${payloadName}`);
  const schemaFault = validation.valid
    ? undefined
    : new SoapFault('SCHEMA_INVALID', `the request does not conform to the schema: ${validation.errors.slice(0, 3).join(' ')}`.trim());
  return { operation, envelope, schemaFault };
}
