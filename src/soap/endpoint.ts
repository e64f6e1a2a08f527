import { wrapInEnvelope } from './envelope.js';
import type { SoapCall, SoapOperation, SoapService } from './service.js';

/** `{namespace}localName`, the key operations are found by. */
export function qname(namespace: string, localName: string): string {
  return `{${namespace}}${localName}`;
}

/**
 * A service as the transport serves it, prepared once at start-up: its operations by the qualified name of their
 * request element. Dispatch is on the Body's element only; any SOAPAction is accepted (real clients send inconsistent
 * ones, and "" for GetEtk).
 */
export class SoapEndpoint {
  readonly path: string;
  readonly operations: ReadonlyMap<string, SoapOperation>;
  /** Whether an operation declares a fast lane: without one, no request is tried on it. */
  readonly hasFastLane: boolean;

  constructor(readonly service: SoapService) {
    this.path = service.path;
    const operations = new Map<string, SoapOperation>();
    for (const operation of service.operations) operations.set(qname(operation.requestElement.namespace, operation.requestElement.localName), operation);
    this.operations = operations;
    this.hasFastLane = service.operations.some((operation) => operation.fastLane);
  }

  /** The response envelope around a payload element: the service's own (e.g. signed), else a plain SOAP 1.1 envelope. */
  renderResponse(payloadXml: string, call: SoapCall): string | Promise<string> {
    return this.service.renderResponse ? this.service.renderResponse(payloadXml, call) : wrapInEnvelope(payloadXml);
  }
}
