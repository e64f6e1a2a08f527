import type { FastifyBaseLogger } from 'fastify';
import type { ServiceError } from '../domain/errors.js';
import type { ElementView } from '../xml/element-view-interface.js';
import type { ElementShape } from '../xml/element-shape.js';
import type { SoapEnvelope } from './envelope.js';

/**
 * What hooks and handlers receive: the checked envelope and request metadata. `Request` is what the operation's fast
 * lane reads, `Security` what the service's verifyEnvelope returns: the transport pairs each operation's fast-lane
 * read with its own handler, and sets `security` from its own service's hook, so handlers read both without a cast.
 */
export interface SoapCall<Request = unknown, Security = unknown> {
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
   * of it. No DOM was built. Undefined on the ordinary path.
   */
  readonly validatedRequest: Request | undefined;
  /** What the service's verifyEnvelope returned (e.g. the verified WS-Security signer); undefined without that hook. */
  readonly security: Security | undefined;
}

/** The fast lane of an operation: the shape its payload must have, and the read of a payload of that shape. */
export interface SoapFastLane<Request> {
  readonly shape: ElementShape;
  read(payload: ElementView): Request;
}

/**
 * One operation of a service. `Request` is what its fast lane reads (call.validatedRequest); `Security` is its
 * service's (SoapService<Security>).
 */
export interface SoapOperation<Request = unknown, Security = unknown> {
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
  readonly fastLane?: SoapFastLane<Request>;
  /** Returns the response element (one element, well-formed, namespaces declared); synchronously when it can. */
  handle(call: SoapCall<Request, Security>): string | Promise<string>;
  /**
   * Renders a refusal (a ServiceError other than INTERNAL_ERROR) as this operation's normal response with a
   * non-Success status. Operations without it turn such errors into an INTERNAL_ERROR fault.
   */
  businessError?(error: ServiceError, call: SoapCall<Request, Security>): string;
}

/** A SOAP endpoint. `Security` is what its verifyEnvelope hook returns, handed to every operation as call.security. */
export interface SoapService<Security = unknown> {
  /** Endpoint path, e.g. /CertRa/v2 (the real platform's paths). */
  readonly path: string;
  /** WSDL file name inside wsdl/. */
  readonly wsdlFile: string;
  /**
   * The operations, whatever their Request: each one's fast-lane read is only ever handed to its own handler (the
   * handler is a method, so an operation with a narrower Request is one of these).
   */
  readonly operations: readonly SoapOperation<unknown, Security>[];
  /** Header entries this service processes (mustUnderstand entries not listed here are refused). */
  readonly understoodHeaders?: ReadonlyArray<{ namespace: string; localName: string }>;
  /**
   * Runs before dispatch: e.g. WS-Security verification. Its value becomes call.security. Throws (or rejects with) a
   * SoapFault to refuse. Synchronous when it can decide at once: the transport awaits only a returned promise (each
   * await is a turn of the event loop's microtask queue on the busiest path).
   */
  verifyEnvelope?(call: SoapCall): Security | Promise<Security>;
  /** Renders the response envelope around the payload element (e.g. WS-Security signed); default: wrapInEnvelope. */
  renderResponse?(payloadXml: string, call: SoapCall<unknown, Security>): Promise<string>;
}
