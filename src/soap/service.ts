import type { FastifyBaseLogger } from 'fastify';
import type { ServiceError } from '../domain/errors.js';
import type { ElementView } from '../xml/element-view-interface.js';
import type { ElementShape } from '../xml/element-shape.js';
import type { SoapEnvelope } from './envelope.js';

/** What a handler receives: the checked envelope and request metadata. */
export interface SoapCall {
  /** Parsed on first use when the request came through the fast lane (see validatedRequest). */
  readonly envelope: SoapEnvelope;
  readonly rawXml: string;
  readonly requestId: string;
  readonly receivedAt: Date;
  readonly log: FastifyBaseLogger;
  readonly soapAction: string | undefined;
  /**
   * Set when the transport took the fast lane: the envelope is exactly Envelope/Body/payload (at most an empty
   * Header, hence no WS-Security), the payload has the operation's fastLane.shape, and this is what fastLane.read made
   * of it. No DOM was built.
   */
  readonly validatedRequest?: unknown;
  /** Set by a service's verifyEnvelope hook (e.g. the verified WS-Security signer). */
  security?: unknown;
}

export interface SoapOperation {
  /** Operation name as in the WSDL (logs, metrics). */
  readonly name: string;
  /** Qualified name of the request element that selects this operation. */
  readonly requestElement: { readonly namespace: string; readonly localName: string };
  /**
   * Optional fast lane for a busy operation. A request whose envelope is exactly Envelope/Body/payload (an empty Header
   * allowed) and whose payload has `shape` is checked against that shape instead of the XSDs and read by `read` from a
   * light element tree (no DOM); the result arrives as call.validatedRequest. The shape must accept a subset of what the
   * schema accepts (see element-shape.ts); anything else, or a read that throws, takes the ordinary path.
   */
  readonly fastLane?: { readonly shape: ElementShape; read(payload: ElementView): unknown };
  /** Returns the response element (one element, well-formed, namespaces declared); synchronously when it can. */
  handle(call: SoapCall): string | Promise<string>;
  /**
   * Renders a business refusal (a ServiceError without a fault code) as this operation's normal response with a
   * non-Success status. Operations without it turn such errors into a Server fault.
   */
  businessError?(error: ServiceError, call: SoapCall): string;
}

export interface SoapService {
  /** Endpoint path, e.g. /CertRa/v2 (the real platform's paths). */
  readonly path: string;
  /** WSDL file name inside wsdl/. */
  readonly wsdlFile: string;
  readonly operations: readonly SoapOperation[];
  /** Header entries this service processes (mustUnderstand entries not listed here are refused). */
  readonly understoodHeaders?: ReadonlyArray<{ namespace: string; localName: string }>;
  /**
   * Runs before dispatch: e.g. WS-Security verification. Throws (or rejects with) a SoapFault to refuse. Synchronous
   * when it can decide at once: the transport awaits only a returned promise (each await is a turn of the event loop's
   * microtask queue on the busiest path).
   */
  verifyEnvelope?(call: SoapCall): void | Promise<void>;
  /** Renders the response envelope around the payload element (e.g. WS-Security signed); default: wrapInEnvelope. */
  renderResponse?(payloadXml: string, call: SoapCall): Promise<string>;
}
