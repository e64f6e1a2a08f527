import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import type { ParseLimits } from '../xml/parse.js';
import { readSoapEnvelope, type SoapEnvelope } from './envelope.js';
import type { SoapCall } from './service.js';

/**
 * The SoapCall hooks and handlers receive. The envelope is the ordinary path's, or is parsed on first use when the
 * request came through the fast lane (which builds no DOM).
 *
 * A class, not an object literal with a getter: each literal's getter is a new closure, so V8 gives every call object a
 * new hidden class, which old space keeps (with the whole request behind it) until the next full GC; that cost ETKDepot
 * a third of its throughput. Every field is set by the constructor (all calls share one hidden class), and nothing in
 * it is a closure made for the request.
 */
export class TransportCall implements SoapCall {
  readonly requestId: string;
  readonly log: FastifyBaseLogger;
  readonly soapAction: string | undefined;
  security: unknown = undefined;
  #envelope: SoapEnvelope | undefined;

  constructor(
    request: FastifyRequest,
    readonly rawXml: string,
    readonly receivedAt: Date,
    private readonly limits: ParseLimits,
    envelope: SoapEnvelope | undefined,
    readonly validatedRequest: unknown,
  ) {
    this.requestId = String(request.id);
    this.log = request.log;
    this.soapAction = headerValue(request.headers.soapaction);
    this.#envelope = envelope;
  }

  get envelope(): SoapEnvelope {
    return (this.#envelope ??= readSoapEnvelope(this.rawXml, this.limits));
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
