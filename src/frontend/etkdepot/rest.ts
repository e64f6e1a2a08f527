import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { DirectoryAnswer, DirectoryEtk, EtkDirectory } from '../../services/etk-directory.js';
import { admitRestRequest, type BearerTokenAuthenticator } from '../authentication/bearer-token.js';
import { sendProblem } from '../problem.js';
import { ETKDEPOT_OPENAPI } from './openapi.js';

export const ETKDEPOT_REST_PATHS = { etks: '/etkdepot/v1/etks', openapi: '/etkdepot/v1/openapi.json' } as const;

/**
 * The refusal of an anonymous REST lookup while ETKDEPOT_REQUIRE_SIGNATURE is on and no token issuer is configured.
 * RFC 9110 wants a challenge on every 401; the only way to authenticate is then a WS-Security X.509 signature on the
 * SOAP endpoint, and the challenge names it.
 */
export const WITHOUT_TOKEN_ISSUER = {
  challenge: 'WS-Security realm="ETKDepot", endpoint="/EtkDepot/v1"',
  detail:
    'This ETKDepot answers only authenticated requests, and no token issuer is configured for its REST API (OAUTH_ISSUER): ' +
    'call GetEtk on the SOAP endpoint /EtkDepot/v1 with a WS-Security X.509 signature.',
} as const;

type EtkQueryString = { type?: string | string[]; value?: string | string[]; applicationId?: string | string[] };

/**
 * GET /etkdepot/v1/etks?type=&value=&applicationId= — the same lookup as SOAP GetEtk. 200: the ETK (JSON with base64,
 * or the DER itself with Accept: application/octet-stream); 300: several ETKs, listed, to be asked for with an
 * applicationId; 404 none; 400 bad query; 401 without a valid bearer token when anonymous lookups are refused; 500 internal.
 * Errors are RFC 9457 problem documents.
 */
export interface EtkDepotRestDependencies {
  readonly directory: Pick<EtkDirectory, 'lookup'>;
  /** The REST APIs' authentication (bearer tokens; anonymous unless refused, e.g. by ETKDEPOT_REQUIRE_SIGNATURE). */
  readonly authenticator: BearerTokenAuthenticator;
}

export async function registerEtkDepotRest(app: FastifyInstance, depot: EtkDepotRestDependencies): Promise<void> {
  app.get(ETKDEPOT_REST_PATHS.openapi, async (_request, reply) => reply.header('cache-control', 'max-age=3600').send(ETKDEPOT_OPENAPI));

  app.get(ETKDEPOT_REST_PATHS.etks, async (request: FastifyRequest<{ Querystring: EtkQueryString }>, reply) => {
    // Before the query is read: a refused request looks nothing up.
    if (!(await admitRestRequest(depot.authenticator, request, reply))) return reply;
    const { type, value, applicationId } = request.query;
    if (typeof type !== 'string' || typeof value !== 'string' || (applicationId !== undefined && typeof applicationId !== 'string')) {
      return sendProblem(reply, 400, 'BAD_QUERY', 'type and value are required, each at most once; applicationId is optional');
    }
    let answer: DirectoryAnswer;
    try {
      answer = await depot.directory.lookup([{ type, value, applicationId }]);
    } catch (error) {
      request.log.error({ err: error }, 'ETK REST lookup failed');
      return sendProblem(reply, 500, 'INTERNAL_ERROR', 'Internal error');
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
        return sendProblem(reply, 404, 'ETK_NOT_FOUND', 'No ETK found for these criteria');
      case 'invalid':
        return sendProblem(reply, 400, answer.code, answer.message);
    }
  });
}

function identifierOf(etk: DirectoryEtk): { type: string; value: string; applicationId?: string } {
  return etk.holder.applicationId === undefined
    ? { type: etk.holder.type, value: etk.holder.value }
    : { type: etk.holder.type, value: etk.holder.value, applicationId: etk.holder.applicationId };
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
