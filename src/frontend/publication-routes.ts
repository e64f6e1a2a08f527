import type { FastifyInstance } from 'fastify';
import { CA_PUBLICATION_PATHS } from '../ca/hierarchy/index.js';
import type { CaMaterial } from '../ca/hierarchy/index.js';
import { formatKeyId } from '../domain/key-id.js';
import type { CrlPublisher } from '../services/crl-publisher.js';

/** What the publication routes consume. */
export interface PublicationDependencies {
  readonly ca: Pick<CaMaterial, 'root' | 'issuing' | 'citizenCa'>;
  readonly crls: Pick<CrlPublisher, 'crlFor'>;
}

/**
 * The CRL distribution points and AIA caIssuers URLs written into our certificates: DER over plain HTTP
 * (application/pkix-crl, application/pkix-cert), as RFC 5280 clients expect.
 */
export async function publicationRoutes(app: FastifyInstance, context: PublicationDependencies): Promise<void> {
  const cas = [
    { paths: CA_PUBLICATION_PATHS.root, entry: context.ca.root },
    { paths: CA_PUBLICATION_PATHS.issuing, entry: context.ca.issuing },
    ...(context.ca.citizenCa ? [{ paths: CA_PUBLICATION_PATHS.citizenCa, entry: context.ca.citizenCa }] : []),
  ];
  for (const { paths, entry } of cas) {
    app.get(paths.certificate, async (_request, reply) => reply.type('application/pkix-cert').send(entry.cert));
    const signer = entry.signer;
    app.get(paths.crl, async (_request, reply) => {
      if (!signer) return reply.code(404).type('text/plain').send('this CA publishes its CRL offline');
      const der = await context.crls.crlFor({ keyId: formatKeyId(entry.fields.subjectKeyIdentifier), certificate: entry.cert, signer });
      return reply.type('application/pkix-crl').header('cache-control', 'max-age=60').send(der);
    });
  }
}
