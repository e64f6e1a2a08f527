import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { OCSP_PATH, type OcspReply, type OcspResponder, refusal } from '../services/ocsp-responder.js';

/** No OCSP request for a chain's worth of certificates comes near this; more is refused before parsing. */
export const OCSP_MAX_REQUEST_BYTES = 16 * 1024;

export interface OcspRouteDependencies {
  readonly responder: Pick<OcspResponder, 'respond'>;
}

/**
 * RFC 6960 Appendix A over HTTP: `POST /ocsp` with the DER request as body, `GET /ocsp/{base64 DER}` (standard or
 * URL-safe alphabet, URL-encoded or not). The answer is always an application/ocsp-response with HTTP 200, as OCSP
 * clients expect: a body that is not an OCSP request gets `malformedRequest`, an internal failure `internalError`,
 * never an HTML or JSON error page. Nonce-less answers carry the RFC 5019 caching headers.
 */
export async function ocspRoutes(app: FastifyInstance, dependencies: OcspRouteDependencies): Promise<void> {
  // Every body is read as bytes whatever its Content-Type: some clients send none, or a wrong one.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: OCSP_MAX_REQUEST_BYTES }, (_request, body, done) => done(null, body));
  app.setErrorHandler(async (error: Error & { statusCode?: number }, request, reply) => {
    const client = (error.statusCode ?? 500) < 500;
    request.log.warn({ err: client ? undefined : error, reason: error.message }, client ? 'OCSP request refused' : 'OCSP request failed');
    return sendReply(reply, client ? refusal('malformedRequest', error.message) : refusal('internalError', 'internal failure'), request);
  });

  const answer = async (request: FastifyRequest, reply: FastifyReply, der: Buffer | undefined) => {
    const result = der === undefined ? undefined : await dependencies.responder.respond(der);
    return sendReply(reply, result ?? refusal('malformedRequest', 'the URL holds no base64 OCSP request'), request);
  };
  app.post(OCSP_PATH, async (request, reply) => answer(request, reply, Buffer.isBuffer(request.body) ? request.body : undefined));
  app.post(`${OCSP_PATH}/`, async (request, reply) => answer(request, reply, Buffer.isBuffer(request.body) ? request.body : undefined));
  app.get(`${OCSP_PATH}/*`, async (request, reply) => answer(request, reply, decodeGetRequest((request.params as { '*': string })['*'])));
}

/** The DER from the path of a GET: base64 (RFC 6960 A.1) or base64url, possibly URL-encoded twice by proxies. */
export function decodeGetRequest(path: string): Buffer | undefined {
  let text = path;
  // A '%' left after the router's decoding means the client encoded the base64 once more.
  if (text.includes('%')) {
    try {
      text = decodeURIComponent(text);
    } catch {
      return undefined;
    }
  }
  text = text.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  if (text.length === 0 || text.length > Math.ceil((OCSP_MAX_REQUEST_BYTES * 4) / 3) || !/^[A-Za-z0-9+/]+$/.test(text) || text.length % 4 === 1)
    return undefined;
  return Buffer.from(text, 'base64');
}

function sendReply(reply: FastifyReply, result: OcspReply, request: FastifyRequest): FastifyReply {
  const { der, status } = result;
  if (status !== 'successful') request.log.info({ ocspStatus: status, reason: result.reason }, 'OCSP request answered with an error status');
  reply.code(200).type('application/ocsp-response');
  if (result.freshness && request.method === 'GET') {
    const { producedAt, nextUpdate, etag } = result.freshness;
    const maxAge = Math.max(0, Math.floor((nextUpdate.getTime() - Date.now()) / 1000));
    reply
      .header('cache-control', `max-age=${maxAge}, public, no-transform, must-revalidate`)
      .header('last-modified', producedAt.toUTCString())
      .header('expires', nextUpdate.toUTCString())
      .header('etag', etag);
  } else {
    reply.header('cache-control', 'no-store');
  }
  return reply.send(der);
}
