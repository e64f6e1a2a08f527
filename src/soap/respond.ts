import type { FastifyBaseLogger, FastifyReply } from 'fastify';
import type { Environment } from '../config/config.js';
import { isRefusal } from '../domain/errors.js';
import type { PlatformMetrics } from '../metrics.js';
import type { SoapEndpoint } from './endpoint.js';
import { internalFault, renderFault, SoapFault } from './fault.js';
import type { SoapCall, SoapOperation } from './service.js';

/*
 * Responding, the last step of a SOAP request: a response (HTTP 200), a business refusal in the operation's own
 * response (HTTP 200), or a SOAP 1.1 Fault (HTTP 500); then the call's metrics and its one log line.
 */

/** How a call ended, for the metrics and the log line. */
export interface CallOutcome {
  readonly outcome: 'ok' | 'refused' | 'fault';
  /** The ServiceError or SoapFault code; for an answer, the status it carries (200, 404, Success), if any. */
  readonly code: string | undefined;
}

/** A call answered by its operation (one shared value: nothing is made for an answered call). */
export const ANSWERED: CallOutcome = { outcome: 'ok', code: undefined };

/** The first Status of an answer: `<Code>404</Code>` (eHealth v1 services) or `<StatusCode Value="urn:…:status:Success">` (v2). */
const ANSWER_STATUS = /<(?:[\w.-]+:)?Status[\s>][\s\S]{0,200}?<(?:[\w.-]+:)?(?:Code>([^<]{1,40})<|StatusCode\s+Value="(?:[^"]*:)?([^":]{1,40})")/;

/**
 * An answered call with the status its answer carries (a GetEtk that finds nothing answers 404 inside a normal
 * response): the metrics tell 200 from 404 and Success from the rest.
 */
export function answeredWith(responseXml: string): CallOutcome {
  const match = ANSWER_STATUS.exec(responseXml);
  return match ? { outcome: 'ok', code: match[1] ?? match[2] } : ANSWERED;
}

export function sendResponse(reply: FastifyReply, responseXml: string): FastifyReply {
  return reply.code(200).type('text/xml; charset=utf-8').send(responseXml);
}

/** SystemError/@Id is the request id (also in X-Request-Id and in every log line of the request as requestId). */
export function sendFault(reply: FastifyReply, fault: SoapFault, environment: Environment): FastifyReply {
  return reply
    .code(500)
    .type('text/xml; charset=utf-8')
    .send(renderFault(fault, environment, String(reply.request.id)));
}

/**
 * Answers a call that threw; never throws itself. A refusal (a ServiceError other than INTERNAL_ERROR) of an operation
 * that renders them becomes its normal response with a non-Success status; a SoapFault is sent as it is; anything else
 * (a refusal that could not be rendered included) is our failure, logged with its cause and answered INTERNAL_ERROR.
 */
export async function answerFailure(
  reply: FastifyReply,
  error: unknown,
  endpoint: SoapEndpoint,
  operation: SoapOperation | undefined,
  call: SoapCall | undefined,
  environment: Environment,
): Promise<CallOutcome> {
  const log = reply.request.log;
  const operationName = operation?.name ?? UNKNOWN_OPERATION;
  let failure = error;
  if (isRefusal(error) && operation?.businessError && call) {
    log.info({ operation: operationName, code: error.code, detail: error.detail, cause: error.cause }, 'business refusal');
    try {
      sendResponse(reply, await endpoint.renderResponse(operation.businessError(error, call), call));
      return { outcome: 'refused', code: error.code };
    } catch (renderingFailure) {
      failure = renderingFailure; // ours: answered as any other failure
    }
  }
  const fault = failure instanceof SoapFault ? failure : internalFault(failure);
  if (fault.faultCode === 'Server') log.error({ err: fault.cause ?? fault, operation: operationName }, 'internal error');
  sendFault(reply, fault, environment);
  return { outcome: 'fault', code: fault.code };
}

const UNKNOWN_OPERATION = 'unknown';

/** The call's metrics and its one log line (`started`: process.hrtime.bigint() when the request reached the handler). */
export function recordCall(
  metrics: PlatformMetrics,
  endpoint: SoapEndpoint,
  operation: SoapOperation | undefined,
  { outcome, code }: CallOutcome,
  started: bigint,
  log: FastifyBaseLogger,
): void {
  const operationName = operation?.name ?? UNKNOWN_OPERATION;
  const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
  metrics.soapCalls.inc({ service: endpoint.path, operation: operationName, outcome, code: code ?? '' });
  metrics.soapDuration.observe({ service: endpoint.path, operation: operationName }, durationMs / 1000);
  // `endpoint`, not `service`: the base logger binds `service` (the application), and pino would write the key twice.
  log.info({ endpoint: endpoint.path, operation: operationName, outcome, code, durationMs: Math.round(durationMs * 100) / 100 }, 'soap call');
}
