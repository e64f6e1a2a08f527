import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config/config.js';
import { deferredChildLogger } from './logging.js';
import { createMetrics } from './metrics.js';
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
  checkReady: () => Promise<void>;
  /** Further plain HTTP routes (REST ETKDepot, CRLs, metrics), registered outside the SOAP scope. */
  registerRoutes?: (app: FastifyInstance) => Promise<void>;
  /** Node process metrics on /metrics (off in tests that build several apps in one process). */
  collectProcessMetrics?: boolean;
}

/** Builds the HTTP application; server.ts only listens. Tests use app.inject() or a real port. */
export async function buildApp(deps: AppDependencies): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as unknown as FastifyBaseLogger,
    // One log event per SOAP call is written by the transport itself (operation, outcome, duration).
    childLoggerFactory: deferredChildLogger,
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    bodyLimit: deps.config.bodyLimitBytes,
    genReqId: () => randomUUID(),
    return503OnClosing: true,
  });
  const metrics = createMetrics({ collectProcessMetrics: deps.collectProcessMetrics ?? true });
  app.get('/metrics', async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));
  app.get('/health', async (_request, reply) => {
    try {
      await deps.checkReady();
      return { status: 'ok' };
    } catch (error) {
      deps.logger.warn({ err: error }, 'readiness check failed');
      return reply.code(503).send({ status: 'unavailable' });
    }
  });
  await app.register(async (scope) => soapRoutes(scope, {
    services: deps.soapServices,
    documents: deps.documents,
    requestValidator: deps.requestValidator,
    config: deps.config,
    metrics,
  }));
  if (deps.registerRoutes) await app.register(async (scope) => deps.registerRoutes!(scope));
  return app;
}
