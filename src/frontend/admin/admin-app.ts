import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { REQUEST_ID_HEADER, requestIdFor } from '../request-id.js';
import { deferredChildLogger } from '../../logging.js';
import type { createAdminMetrics } from '../../metrics.js';
import type { AdminService } from '../../services/admin/admin-service.js';
import type { CertRaDependencies } from '../../services/certra/index.js';
import { adminApiRoutes, answerAdminError, ADMIN_API_PREFIX } from './api-routes.js';
import { consoleRoutes, CONSOLE_PREFIX } from './console/console-routes.js';
import { officerAuthentication } from './officer-authentication.js';
import { adminOpenApiDocument } from './openapi.js';
import { sendProblem } from '../problem.js';

export interface AdminTlsCredential {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
  readonly passphrase?: string | undefined;
  /** CA certificates (PEM) officers' client certificates must chain to. */
  readonly officerTrustPem: readonly string[];
}

export interface AdminAppDependencies {
  readonly logger: Logger;
  readonly admin: AdminService;
  readonly certRa: CertRaDependencies;
  readonly development: boolean;
  readonly tls: AdminTlsCredential;
  readonly bodyLimitBytes?: number;
  readonly metrics?: ReturnType<typeof createAdminMetrics>;
  /** The effective settings, without secrets (GET /admin/v1/settings, admins). */
  readonly settings: () => Record<string, unknown>;
}

/**
 * The admin listener: HTTPS with client certificates. The TLS handshake asks for a certificate but does not fail
 * without one, so that a missing or untrusted certificate gets a 403 problem and an audit record rather than a bare
 * handshake error; every route that has a role is then checked (officer-authentication.ts).
 */
export async function buildAdminApp(deps: AdminAppDependencies): Promise<FastifyInstance> {
  const app = Fastify({
    https: {
      cert: deps.tls.certificatePem,
      key: deps.tls.privateKeyPem,
      ...(deps.tls.passphrase ? { passphrase: deps.tls.passphrase } : {}),
      ca: [...deps.tls.officerTrustPem],
      requestCert: true,
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
    },
    loggerInstance: deps.logger as unknown as FastifyBaseLogger,
    childLoggerFactory: deferredChildLogger,
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    bodyLimit: deps.bodyLimitBytes ?? 1024 * 1024,
    requestIdHeader: false,
    genReqId: (request) => requestIdFor(request.headers[REQUEST_ID_HEADER]),
    return503OnClosing: true,
    // Unknown fields are refused, not silently dropped: an officer's typo must not pass for an empty note.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  });
  app.addHook('onRequest', (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    // The console and the API are never framed nor cached by the browser; scripts are not needed.
    reply.header('x-frame-options', 'DENY');
    reply.header('content-security-policy', "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
    reply.header('referrer-policy', 'no-referrer');
    reply.header('strict-transport-security', 'max-age=31536000');
    done();
  });
  const metrics = deps.metrics;
  if (metrics) {
    app.addHook('onResponse', (request, reply, done) => {
      const route = request.routeOptions.url ?? '(unmatched)';
      metrics.requests.inc({ method: request.method, route, status: String(reply.statusCode) });
      metrics.duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
      done();
    });
  }
  // Console forms post urlencoded bodies.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  // Before the body is read or validated: a stranger learns nothing but 403.
  app.addHook('onRequest', officerAuthentication(deps.admin, deps.logger));
  app.setErrorHandler((error, request, reply) => answerAdminError(error, request, reply));
  app.setNotFoundHandler((request, reply) => sendProblem(reply, 404, 'NOT_FOUND', `no ${request.method} ${request.url.split('?')[0]} here`));
  const document = adminOpenApiDocument();
  app.get(`${ADMIN_API_PREFIX}/openapi.json`, async () => document);
  app.get('/', async (_request, reply) => reply.redirect(CONSOLE_PREFIX, 302));
  const routeDeps = { admin: deps.admin, certRa: deps.certRa, development: deps.development, settings: deps.settings };
  await app.register(async (scope) => adminApiRoutes(scope, routeDeps));
  await app.register(async (scope) => consoleRoutes(scope, routeDeps));
  return app;
}
