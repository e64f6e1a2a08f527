import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DirectoryAnswer, DirectoryEtk, EtkDirectory } from '../../services/etk-directory.js';
import { ETKDEPOT_OPENAPI } from './openapi.js';

export const ETKDEPOT_REST_PATHS = { etks: '/etkdepot/v1/etks', openapi: '/etkdepot/v1/openapi.json' } as const;

/**
 * The challenge of a 401 while ETKDEPOT_REQUIRE_SIGNATURE is on. RFC 9110 wants one on every 401; the only way to
 * authenticate to this ETKDepot today is a WS-Security X.509 signature on the SOAP endpoint, and the challenge names it.
 */
export const REST_AUTHENTICATION_CHALLENGE = 'WS-Security realm="ETKDepot", endpoint="/EtkDepot/v1"';
const AUTHENTICATION_REQUIRED_DETAIL =
  'This ETKDepot answers only authenticated requests, and its REST API has no authentication yet: ' +
  'call GetEtk on the SOAP endpoint /EtkDepot/v1 with a WS-Security X.509 signature.';

type EtkQueryString = { type?: string | string[]; value?: string | string[]; applicationId?: string | string[] };

/**
 * GET /etkdepot/v1/etks?type=&value=&applicationId= — the same lookup as SOAP GetEtk. 200: the ETK (JSON with base64,
 * or the DER itself with Accept: application/octet-stream); 300: several ETKs, listed, to be asked for with an
 * applicationId; 404 none; 400 bad query; 401 every lookup while ETKDEPOT_REQUIRE_SIGNATURE is on; 500 internal.
 * Errors are RFC 9457 problem documents.
 */
export interface EtkDepotRestDependencies {
  readonly directory: Pick<EtkDirectory, 'lookup'>;
  /** False while ETKDEPOT_REQUIRE_SIGNATURE is on. */
  readonly acceptsUnsigned: boolean;
}

export async function registerEtkDepotRest(app: FastifyInstance, depot: EtkDepotRestDependencies): Promise<void> {
  app.get(ETKDEPOT_REST_PATHS.openapi, async (_request, reply) => reply.header('cache-control', 'max-age=3600').send(ETKDEPOT_OPENAPI));

  app.get(ETKDEPOT_REST_PATHS.etks, async (request: FastifyRequest<{ Querystring: EtkQueryString }>, reply) => {
    // ETKDEPOT_REQUIRE_SIGNATURE: the operator wants no anonymous lookup at all. The SOAP endpoint asks for a
    // WS-Security signature; REST has no authentication yet, so it refuses every lookup, before reading the query.
    if (!depot.acceptsUnsigned) {
      return problem(reply.header('www-authenticate', REST_AUTHENTICATION_CHALLENGE), 401, 'AUTHENTICATION_REQUIRED', AUTHENTICATION_REQUIRED_DETAIL);
    }
    const { type, value, applicationId } = request.query;
    if (typeof type !== 'string' || typeof value !== 'string' || (applicationId !== undefined && typeof applicationId !== 'string')) {
      return problem(reply, 400, 'BAD_QUERY', 'type and value are required, each at most once; applicationId is optional');
    }
    let answer: DirectoryAnswer;
    try {
      answer = await depot.directory.lookup([{ type, value, applicationId }]);
    } catch (error) {
      request.log.error({ err: error }, 'ETK REST lookup failed');
      return problem(reply, 500, 'INTERNAL_ERROR', 'Internal error');
    }
    // Revocation takes effect at once: no client or proxy may keep an answer without asking again.
    reply.header('cache-control', 'no-cache');
    switch (answer.kind) {
      case 'found':
        if (prefersBinary(request.headers.accept)) return reply.type('application/octet-stream').send(answer.etk.der);
        return reply.type('application/json; charset=utf-8').send({
          identifier: identifierOf(answer.etk),
          etk: answer.etk.der.toString('base64'),
          notBefore: new Date(answer.etk.notBefore).toISOString(),
          notAfter: new Date(answer.etk.notAfter).toISOString(),
        });
      case 'several':
        return reply
          .code(300)
          .type('application/json; charset=utf-8')
          .send({ matchingEtks: answer.matches.map(identifierOf) });
      case 'not-found':
        return problem(reply, 404, 'ETK_NOT_FOUND', 'No ETK found for these criteria');
      case 'invalid':
        return problem(reply, 400, answer.code, answer.message);
    }
  });
}

function identifierOf(etk: DirectoryEtk): { type: string; value: string; applicationId?: string } {
  return etk.holder.applicationId === undefined
    ? { type: etk.holder.type, value: etk.holder.value }
    : { type: etk.holder.type, value: etk.holder.value, applicationId: etk.holder.applicationId };
}

/** An RFC 9457 problem document; the extension member `requestId` is the X-Request-Id of the answer and of the log lines. */
function problem(reply: FastifyReply, status: number, code: string, detail: string) {
  const titles: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 404: 'Not Found', 500: 'Internal Server Error' };
  return reply
    .code(status)
    .type('application/problem+json; charset=utf-8')
    .send({ type: 'about:blank', title: titles[status], status, detail, code, requestId: String(reply.request.id) });
}

/** True when the Accept header ranks application/octet-stream above JSON (JSON is the default). */
export function prefersBinary(accept: string | undefined): boolean {
  if (!accept) return false;
  let binary = 0;
  let json = 0;
  for (const part of accept.split(',')) {
    const [mediaType, ...parameters] = part.trim().toLowerCase().split(';');
    const qParameter = parameters.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParameter ? Number(qParameter.slice(2)) : 1;
    if (!Number.isFinite(q)) continue;
    if (mediaType === 'application/octet-stream') binary = Math.max(binary, q);
    else if (mediaType === 'application/json' || mediaType === 'application/*' || mediaType === '*/*')
      json = Math.max(json, mediaType === 'application/json' ? q : q - 0.001);
  }
  return binary > 0 && binary > json;
}
