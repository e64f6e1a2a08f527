import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { TRUST_LIST_FILES, TRUST_LIST_NAMES } from '../../services/trust-list/trust-list-content.js';
import type { PublishedTrustList, TrustListPublisher } from '../../services/trust-list/trust-list-publisher.js';

export const TRUST_LIST_PATH = '/tsl';
/** ETSI TS 119 612 Annex: the media type of an XML trusted list. */
const TSL_MEDIA_TYPE = 'application/vnd.etsi.tsl+xml';
/** Clients poll the .sha2 before downloading: a few minutes of caching keeps that cheap without delaying an edition much. */
const CACHE_CONTROL = 'public, max-age=300';

/**
 * The trusted lists where the connector's TSL updater fetches them (endpoint.tsl.{transport,person,appl} pointing at
 * `<base>/tsl/`): `<list>.xml`, and `<list>.sha2`, the hex SHA-256 of those exact bytes, which the client compares as
 * an opaque string to decide whether to download. Both carry an ETag (the SHA-256) and answer 304 to If-None-Match.
 */
export async function trustListRoutes(app: FastifyInstance, dependencies: { readonly publisher: Pick<TrustListPublisher, 'current'> }): Promise<void> {
  for (const list of TRUST_LIST_NAMES) {
    const file = TRUST_LIST_FILES[list];
    const serve = (kind: 'xml' | 'sha2') => async (request: FastifyRequest, reply: FastifyReply) => {
      const edition: PublishedTrustList = await dependencies.publisher.current(list);
      const etag = `"${edition.sha256Hex}"`;
      reply.header('etag', etag).header('cache-control', CACHE_CONTROL).header('last-modified', edition.issuedAt.toUTCString());
      if (request.headers['if-none-match'] === etag) return reply.code(304).send();
      return kind === 'xml' ? reply.type(TSL_MEDIA_TYPE).send(edition.document) : reply.type('text/plain; charset=us-ascii').send(edition.sha256Hex);
    };
    app.get(`${TRUST_LIST_PATH}/${file}.xml`, serve('xml'));
    app.get(`${TRUST_LIST_PATH}/${file}.sha2`, serve('sha2'));
  }
}
