import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import type { Config } from './config/config.js';
import { deferredChildLogger } from './logging.js';
import { createMetrics } from './metrics.js';
import { sendProblem } from './frontend/problem.js';
import { REQUEST_ID_HEADER, requestIdFor } from './frontend/request-id.js';

export { REQUEST_ID_HEADER, requestIdFor };
import type { HealthReport } from './services/health.js';
import { metricsSource } from './workers.js';
import type { ContractDocuments } from './soap/contract-documents.js';
import type { SoapService } from './soap/service.js';
import { soapRoutes } from './soap/soap-routes.js';
import type { XmlValidator } from './xml/schema-validator.js';

export interface AppDependencies {
  config: Config;
  logger: Logger;
  soapServices: readonly SoapService[];
  documents: ContractDocuments;
  requestValidator: XmlValidator;
  /** Readiness probe (database reachable). */
  /** /health: 200 when the report says ok, else 503 (the database, and every signing key reachable). */
  checkHealth: () => Promise<HealthReport>;
  /** Further plain HTTP routes (REST ETKDepot, CRLs, metrics), registered outside the SOAP scope. */
  registerRoutes?: (app: FastifyInstance) => Promise<void>;
  /** Node process metrics on /metrics (off in tests that build several apps in one process). */
  collectProcessMetrics?: boolean;
  /** Metrics kept by the services (the expiry reminders), served on /metrics with the app's own. */
  serviceMetrics?: readonly Registry[];
}

/**
 * Who may read /metrics: with METRICS_TOKEN, whoever sends it as a bearer token; without, anyone in acceptance and
 * nobody in production (the counters tell who calls what: they stay with the operator).
 */
export function metricsAccessCheck(
  config: Pick<Config, 'metricsToken' | 'environment'>,
): (authorization: string | undefined) => { status: 401 | 403; code: string; detail: string } | undefined {
  const token = config.metricsToken;
  if (token === undefined) {
    if (config.environment !== 'production') return () => undefined;
    return () => ({ status: 403, code: 'METRICS_NOT_PUBLIC', detail: 'In production /metrics is served only to the holder of METRICS_TOKEN' });
  }
  const expected = createHash('sha256').update(token).digest();
  return (authorization) => {
    const presented = /^Bearer +(\S+)$/i.exec(authorization?.trim() ?? '')?.[1];
    // Compared as digests: constant time whatever the lengths.
    if (presented !== undefined && timingSafeEqual(createHash('sha256').update(presented).digest(), expected)) return undefined;
    return { status: 401, code: 'AUTHENTICATION_REQUIRED', detail: '/metrics needs the METRICS_TOKEN as a bearer token' };
  };
}

/** Builds the HTTP application; server.ts only listens. Tests use app.inject() or a real port. */
export async function buildApp(deps: AppDependencies): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as unknown as FastifyBaseLogger,
    // One log event per SOAP call is written by the transport itself (operation, outcome, duration).
    childLoggerFactory: deferredChildLogger,
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    bodyLimit: deps.config.bodyLimitBytes,
    // The request id comes only from genReqId (an incoming X-Request-Id, if well-formed), never unchecked from a header.
    requestIdHeader: false,
    genReqId: (request) => requestIdFor(request.headers[REQUEST_ID_HEADER]),
    return503OnClosing: true,
  });
  // Every answer (SOAP, faults, WSDL, REST, problems, health, metrics, 404s) names its request id: the one the log lines
  // carry as `requestId` and SOAP faults as SystemError/@Id. Set before anything can fail; error replies keep it.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    done();
  });
  const metrics = createMetrics({ collectProcessMetrics: deps.collectProcessMetrics ?? true });
  const served = deps.serviceMetrics?.length ? Registry.merge([metrics.registry, ...deps.serviceMetrics]) : metrics.registry;
  // In a worker (WORKERS>1) the primary merges every worker's metrics.
  const metricsText = metricsSource(served);
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? '(unmatched)';
    metrics.httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
    metrics.httpDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    done();
  });
  const metricsAccess = metricsAccessCheck(deps.config);
  app.get('/metrics', async (request, reply) => {
    const refusal = metricsAccess(request.headers.authorization);
    if (refusal) {
      if (refusal.status === 401) reply.header('www-authenticate', 'Bearer realm="metrics"');
      return sendProblem(reply, refusal.status, refusal.code, refusal.detail);
    }
    return reply.type(served.contentType).send(await metricsText());
  });
  app.get('/health', async (_request, reply) => {
    try {
      const report = await deps.checkHealth();
      return reply.code(report.status === 'ok' ? 200 : 503).send(report);
    } catch (error) {
      deps.logger.warn({ err: error }, 'readiness check failed');
      return reply.code(503).send({ status: 'unavailable' });
    }
  });
  await app.register(async (scope) =>
    soapRoutes(scope, {
      services: deps.soapServices,
      documents: deps.documents,
      requestValidator: deps.requestValidator,
      config: deps.config,
      metrics,
    }),
  );
  if (deps.registerRoutes) await app.register(async (scope) => deps.registerRoutes!(scope));
  return app;
}
