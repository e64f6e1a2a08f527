import { el, textEl, type Xml } from '../xml/builder.js';
import type { Environment } from '../config/config.js';
import type { ServiceError, ErrorCode } from '../domain/errors.js';
import { NS } from './namespaces.js';

export type FaultCode = 'Client' | 'Server' | 'VersionMismatch' | 'MustUnderstand';

/** A failure answered with a SOAP 1.1 Fault (HTTP 500) carrying soa:SystemError in its detail. */
export class SoapFault extends Error {
  constructor(
    readonly faultCode: FaultCode,
    readonly code: ErrorCode | 'MUST_UNDERSTAND',
    readonly publicMessage: string,
    options: { cause?: unknown } = {},
  ) {
    super(publicMessage, { cause: options.cause });
    this.name = 'SoapFault';
  }

  static fromServiceError(error: ServiceError): SoapFault {
    return new SoapFault(error.faultCode ?? 'Server', error.code, error.detail, { cause: error });
  }
}

export function clientFault(code: ErrorCode, message: string, cause?: unknown): SoapFault {
  return new SoapFault('Client', code, message, { cause });
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
