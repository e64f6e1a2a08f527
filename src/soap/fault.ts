import { el, textEl, type Xml } from '../xml/builder.js';
import type { Environment } from '../config/config.js';
import { NS } from './namespaces.js';

/** SOAP 1.1 faultcode values (the soapenv: prefix is added when rendered). */
export type FaultCode = 'Client' | 'Server' | 'VersionMismatch' | 'MustUnderstand';

/**
 * What the transport refuses, each with its faultcode and the text answered when the thrower gives none: messages that
 * cannot be taken as a request of the endpoint (not XML, not SOAP 1.1, not the schema, no operation, WS-Security), and
 * our own failures. Business refusals are not here: services throw a ServiceError (domain/errors.ts), which the
 * operation answers in its normal response.
 */
export const SOAP_FAULTS = {
  MALFORMED_REQUEST: { faultCode: 'Client', message: 'The request is not well-formed XML or not a SOAP 1.1 envelope' },
  SCHEMA_INVALID: { faultCode: 'Client', message: 'The request does not conform to the service schema' },
  UNKNOWN_OPERATION: { faultCode: 'Client', message: 'The service has no operation for this body element' },
  PAYLOAD_TOO_LARGE: { faultCode: 'Client', message: 'The request body is larger than the configured limit' },
  DTD_FORBIDDEN: { faultCode: 'Client', message: 'DOCTYPE, ENTITY and processing instructions are not accepted' },
  UNSUPPORTED_MEDIA_TYPE: { faultCode: 'Client', message: 'SOAP 1.1 requests must be sent as text/xml' },
  WS_SECURITY_INVALID: { faultCode: 'Client', message: 'The WS-Security header is missing, malformed or does not verify' },
  WS_SECURITY_REQUIRED: { faultCode: 'Client', message: 'This service only accepts requests signed with WS-Security (X.509)' },
  VERSION_MISMATCH: { faultCode: 'VersionMismatch', message: 'Only SOAP 1.1 envelopes are accepted' },
  MUST_UNDERSTAND: { faultCode: 'MustUnderstand', message: 'A header entry marked mustUnderstand is not processed by this service' },
  /** Anything unexpected, a ServiceError INTERNAL_ERROR included: the cause is logged under the request id, never sent. */
  INTERNAL_ERROR: { faultCode: 'Server', message: 'Internal error' },
  SERVICE_UNAVAILABLE: { faultCode: 'Server', message: 'The service is shutting down or not ready' },
} as const satisfies Record<string, { readonly faultCode: FaultCode; readonly message: string }>;

export type SoapFaultKind = keyof typeof SOAP_FAULTS;

/** A failure answered with a SOAP 1.1 Fault (HTTP 500) carrying soa:SystemError in its detail; the kind decides the faultcode. */
export class SoapFault extends Error {
  readonly faultCode: FaultCode;
  /** faultstring and SystemError/Message. */
  readonly publicMessage: string;

  constructor(
    readonly code: SoapFaultKind,
    publicMessage: string = SOAP_FAULTS[code].message,
    options: { cause?: unknown } = {},
  ) {
    super(publicMessage, { cause: options.cause });
    this.name = 'SoapFault';
    this.faultCode = SOAP_FAULTS[code].faultCode;
    this.publicMessage = publicMessage;
  }
}

/** The fault for a failure that is no SoapFault: ours, whatever it was (its cause is logged, never sent). */
export function internalFault(error: unknown): SoapFault {
  return new SoapFault('INTERNAL_ERROR', undefined, { cause: error });
}

const ENVIRONMENT_NAMES: Record<Environment, string> = { acceptance: 'Acceptation', production: 'Production' };

/**
 * SOAP 1.1 envelope with one Fault. Never includes stack traces or internal causes. `errorId` (SystemError/@Id) is the
 * request id, which the log lines of the request carry as `requestId` and the answer as X-Request-Id: the id a
 * client quotes finds the logged cause.
 */
export function renderFault(fault: SoapFault, environment: Environment, errorId: string): string {
  const detail: Xml = el(
    'soa:SystemError',
    { 'xmlns:soa': NS.soaErrors, Id: errorId },
    textEl('Origin', fault.faultCode === 'Server' ? 'Server' : 'Client'),
    textEl('Code', fault.code),
    textEl('Message', fault.publicMessage, { 'xml:lang': 'en' }),
    textEl('soa:Environment', ENVIRONMENT_NAMES[environment]),
  );
  return el(
    'soapenv:Envelope',
    { 'xmlns:soapenv': NS.soap11 },
    el(
      'soapenv:Body',
      null,
      el('soapenv:Fault', null, textEl('faultcode', `soapenv:${fault.faultCode}`), textEl('faultstring', fault.publicMessage), el('detail', null, detail)),
    ),
  ).markup;
}
