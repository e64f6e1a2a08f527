import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type EteeEtksAnswer, findEtks, jwksOf, type KeyUse } from '../../services/etee-keys.js';
import type { EtkDirectory } from '../../services/etk-directory.js';
import { admitRestRequest, type BearerTokenAuthenticator } from '../authentication/bearer-token.js';
import { sendProblem } from '../problem.js';
import { ETEE_OPENAPI } from './openapi.js';

export const ETEE_REST_PATHS = { etks: '/etee/v1/etks', jwks: '/etee/v1/pubKeys/cacerts/jwks', openapi: '/etee/v1/openapi.json' } as const;

export interface EteeRestDependencies {
  readonly directory: Pick<EtkDirectory, 'lookup'>;
  readonly authenticator: BearerTokenAuthenticator;
}

type Query = Record<string, string | string[] | undefined>;
const USES: readonly KeyUse[] = ['enc', 'sig'];

/**
 * The ETEE REST API as the real platform shapes it (swagger "API ETEE", basePath /etee/v1):
 * - GET /etee/v1/etks?identifier=&type=&applicationIdentifier= → a JSON array of the identifier's ETKs;
 * - GET /etee/v1/pubKeys/cacerts/jwks?identifier=&type=&applicationIdentifier=&use=enc|sig → an RFC 7517 JWK set.
 * 400 for unknown criteria, 404 when nothing matches, both RFC 9457 problem documents; 401 without a valid bearer
 * token when anonymous requests are refused.
 */
export async function eteeRestRoutes(app: FastifyInstance, dependencies: EteeRestDependencies): Promise<void> {
  app.get(ETEE_REST_PATHS.openapi, async (_request, reply) => reply.header('cache-control', 'max-age=3600').send(ETEE_OPENAPI));

  /** The criteria, once each; a problem sent (and undefined returned) when they are not acceptable. */
  const criteria = (request: FastifyRequest<{ Querystring: Query }>, extra: readonly string[]) => {
    const query = request.query;
    const known = new Set(['identifier', 'type', 'applicationIdentifier', ...extra]);
    const unknown = Object.keys(query).filter((name) => !known.has(name));
    if (unknown.length > 0) return { problem: `unknown search criteria: ${unknown.join(', ')}` };
    const single = (name: string) => (typeof query[name] === 'string' ? (query[name] as string) : undefined);
    for (const name of known) if (Array.isArray(query[name])) return { problem: `${name} is given more than once` };
    const identifier = single('identifier');
    const type = single('type');
    if (!identifier || !type) return { problem: 'identifier and type are required' };
    const applicationIdentifier = single('applicationIdentifier') || undefined;
    return { query: { identifier, type, applicationIdentifier } };
  };

  const lookUp = async (request: FastifyRequest, query: { identifier: string; type: string; applicationIdentifier: string | undefined }) => {
    try {
      return await findEtks(dependencies.directory, query);
    } catch (error) {
      request.log.error({ err: error }, 'ETEE REST lookup failed');
      return undefined;
    }
  };

  /** A problem for everything but a list of ETKs; undefined when the list is there. */
  const refusal = (answer: EteeEtksAnswer | undefined): [number, string, string] | undefined => {
    if (answer === undefined) return [500, 'INTERNAL_ERROR', 'Internal error'];
    if (answer.kind === 'invalid') return [400, answer.code, answer.message];
    if (answer.kind === 'not-found') return [404, 'ETK_NOT_FOUND', 'There exists no ETK matching your search criteria'];
    return undefined;
  };

  app.get(ETEE_REST_PATHS.etks, async (request: FastifyRequest<{ Querystring: Query }>, reply) => {
    if (!(await admitRestRequest(dependencies.authenticator, request, reply))) return reply;
    const parsed = criteria(request, []);
    if (!parsed.query) return sendProblem(reply, 400, 'BAD_QUERY', parsed.problem);
    const answer = await lookUp(request, parsed.query);
    const problem = refusal(answer);
    if (problem || answer?.kind !== 'found') return sendProblem(reply, ...(problem ?? [500, 'INTERNAL_ERROR', 'Internal error']));
    // Revocation takes effect at once: no client or proxy may keep an answer without asking again.
    reply.header('cache-control', 'no-cache');
    return reply.type('application/json; charset=utf-8').send(
      answer.etks.map((etk) => ({
        type: etk.holder.type,
        identifier: etk.holder.value,
        ...(etk.holder.applicationId !== undefined ? { applicationIdentifier: etk.holder.applicationId } : {}),
        etk: etk.der.toString('base64'),
        notBefore: new Date(etk.notBefore).toISOString(),
        notAfter: new Date(etk.notAfter).toISOString(),
      })),
    );
  });

  app.get(ETEE_REST_PATHS.jwks, async (request: FastifyRequest<{ Querystring: Query }>, reply) => {
    if (!(await admitRestRequest(dependencies.authenticator, request, reply))) return reply;
    const parsed = criteria(request, ['use']);
    if (!parsed.query) return sendProblem(reply, 400, 'BAD_QUERY', parsed.problem);
    const use = request.query.use;
    if (use !== undefined && !USES.includes(use as KeyUse)) return sendProblem(reply, 400, 'BAD_QUERY', 'use is enc or sig (RFC 7517 §4.2)');
    const answer = await lookUp(request, parsed.query);
    const problem = refusal(answer);
    if (problem || answer?.kind !== 'found') return sendProblem(reply, ...(problem ?? [500, 'INTERNAL_ERROR', 'Internal error']));
    reply.header('cache-control', 'no-cache');
    return reply.type('application/json; charset=utf-8').send(await jwksOf(answer.etks, use as KeyUse | undefined));
  });
}
