import { createHash } from 'node:crypto';

/**
 * What the eHealth trusted lists say, as plain values: the three lists the technical connector's TrustStoreUpdater
 * downloads (../shared/docs/trust-services-facts.md §d), their services and certificates, and each edition's numbers.
 * The ETSI TS 119 612 XML and its XAdES signature are made by the front end (frontend/trust-list/).
 */

export type TrustListName = 'transport' | 'person' | 'application';
export const TRUST_LIST_NAMES: readonly TrustListName[] = ['transport', 'person', 'application'];
/** The file names the connector asks for (`<name>.xml`, `<name>.sha2`), under endpoint.tsl.{transport,person,appl}. */
export const TRUST_LIST_FILES: Readonly<Record<TrustListName, string>> = {
  transport: 'tsl-ehpbe-transport',
  person: 'tsl-ehpbe-person',
  application: 'tsl-ehpbe-application',
};

export const SERVICE_TYPES = {
  caPkc: 'http://uri.etsi.org/TrstSvc/Svctype/CA/PKC',
  tsa: 'http://uri.etsi.org/TrstSvc/Svctype/TSA',
  /**
   * "TrstSvd", sic: the connector (TrustServiceStatusListParser) matches this exact string to fill its TSL keystore;
   * the standard's `…/TrstSvc/Svctype/TLIssuer` would be ignored by every deployed client. We publish what they match.
   */
  tlIssuerAsTheConnectorSpellsIt: 'http://uri.etsi.org/TrstSvd/Svctype/TLIssuer',
} as const;

export interface TrustListService {
  /** One of SERVICE_TYPES. */
  readonly type: string;
  readonly name: string;
  /** DER; every certificate of a service lands in the client's keystore for that list. */
  readonly certificates: readonly Buffer[];
}

export interface TrustListContent {
  readonly list: TrustListName;
  readonly services: readonly TrustListService[];
}

export interface TrustListEdition {
  readonly sequenceNumber: bigint;
  readonly issuedAt: Date;
  readonly nextUpdate: Date;
  /** Where this list is published (DistributionPoints, SchemeInformationURI). */
  readonly url: string;
  readonly operator: TrustListOperator;
}

export interface TrustListOperator {
  readonly name: string;
  readonly street: string;
  readonly locality: string;
  readonly postalCode: string;
  readonly countryName: string;
  readonly email: string;
  readonly informationUrl: string;
}

/** What decides whether a list changed: service types, names and certificates, in order. */
export function contentDigest(content: TrustListContent): string {
  const hash = createHash('sha256').update(content.list);
  for (const service of content.services) {
    hash.update(`\n${service.type}\n${service.name}\n`);
    for (const certificate of service.certificates) hash.update(createHash('sha256').update(certificate).digest('hex'));
  }
  return hash.digest('hex');
}
