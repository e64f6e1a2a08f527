import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose';
import { parseEtk } from '../ca/etk/index.js';
import { parseCertificate } from '../x509/certificate.js';
import type { DirectoryEtk, EtkDirectory } from './etk-directory.js';

/**
 * ETKs and their public keys as the ETEE REST API publishes them (`/etee/v1/etks`, `/etee/v1/pubKeys/cacerts/jwks`):
 * every published ETK of an identifier (narrowed by an application identifier when given), and RFC 7517 keys made of
 * them: `use=enc` the ETK's encryption key, `use=sig` the holder's authentication (signing) key, each with its
 * certificate chain in `x5c` ("cacerts").
 */

export interface EteeKeyQuery {
  /** Identifier type, any case (the swagger's examples are lower case: ssin, nihii, cbe). */
  readonly type: string;
  readonly identifier: string;
  readonly applicationIdentifier?: string | undefined;
}

export type EteeEtksAnswer =
  | { readonly kind: 'found'; readonly etks: readonly DirectoryEtk[] }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'invalid'; readonly code: 'UNKNOWN_IDENTIFIER_TYPE' | 'INVALID_IDENTIFIER'; readonly message: string };

export type KeyUse = 'enc' | 'sig';

/** A public JWK with the members this API publishes. */
export interface PublishedJwk extends JWK {
  readonly kid: string;
  readonly use: KeyUse;
  readonly x5c: string[];
  readonly 'x5t#S256': string;
}

/**
 * The identifier's valid ETKs: all of them without an application identifier (the REST API answers a list where SOAP
 * GetEtk picks the ETK without application id), else those of that application.
 */
export async function findEtks(directory: Pick<EtkDirectory, 'lookup'>, query: EteeKeyQuery): Promise<EteeEtksAnswer> {
  const answer = await directory.lookup([{ type: query.type.toUpperCase(), value: query.identifier, applicationId: query.applicationIdentifier }], {
    everyApplication: true,
  });
  switch (answer.kind) {
    case 'found':
      return { kind: 'found', etks: [answer.etk] };
    case 'several':
      return { kind: 'found', etks: answer.matches };
    default:
      return answer;
  }
}

/** The keys of these ETKs for one use, or both (encryption first) when `use` is undefined. */
export async function jwksOf(etks: readonly DirectoryEtk[], use: KeyUse | undefined): Promise<{ keys: PublishedJwk[] }> {
  const keys: PublishedJwk[] = [];
  for (const etk of etks) {
    const parsed = parseEtk(etk.der);
    // x5c: the certificate holding the key first, then each one's issuer (RFC 7517 §4.7). The ETK's encryption
    // certificate is issued by its holder's authentication certificate, which our issuing CA issued.
    const signing = [parsed.authenticationCertificate, ...parsed.chain];
    if (use === undefined || use === 'enc') keys.push(await jwkOf([parsed.encryptionCertificate, ...signing], 'enc'));
    if (use === undefined || use === 'sig') keys.push(await jwkOf(signing, 'sig'));
  }
  return { keys };
}

async function jwkOf(chain: readonly Buffer[], use: KeyUse): Promise<PublishedJwk> {
  const certificate = parseCertificate(chain[0]!);
  const { kty, n, e, crv, x, y } = await exportJWK(certificate.publicKey);
  const members = Object.fromEntries(Object.entries({ kty, n, e, crv, x, y }).filter(([, value]) => value !== undefined)) as JWK;
  return {
    ...members,
    // RFC 7638 thumbprint: stable for the key, whatever certificate carries it.
    kid: await calculateJwkThumbprint(members, 'sha256'),
    use,
    x5c: chain.map((der) => der.toString('base64')),
    'x5t#S256': createHash('sha256').update(chain[0]!).digest('base64url'),
  };
}
