import { createHash } from 'node:crypto';
import { parseCertificate } from '../../x509/certificate.js';
import { el, textEl, type Xml } from '../../xml/builder.js';

/**
 * The eHealth trusted lists as ETSI TS 119 612 v2 documents (namespace http://uri.etsi.org/02231/v2#), the three the
 * technical connector's TrustStoreUpdater downloads (docs: ../shared/docs/trust-services-facts.md §d).
 */

export type TrustListName = 'transport' | 'person' | 'application';
export const TRUST_LIST_NAMES: readonly TrustListName[] = ['transport', 'person', 'application'];
/** The file names the connector asks for (`<name>.xml`, `<name>.sha2`), under endpoint.tsl.{transport,person,appl}. */
export const TRUST_LIST_FILES: Readonly<Record<TrustListName, string>> = {
  transport: 'tsl-ehpbe-transport',
  person: 'tsl-ehpbe-person',
  application: 'tsl-ehpbe-application',
};

export const TSL_NAMESPACE = 'http://uri.etsi.org/02231/v2#';
export const SERVICE_TYPES = {
  caPkc: 'http://uri.etsi.org/TrstSvc/Svctype/CA/PKC',
  tsa: 'http://uri.etsi.org/TrstSvc/Svctype/TSA',
  /**
   * "TrstSvd", sic: the connector (TrustServiceStatusListParser) matches this exact string to fill its TSL keystore;
   * the standard's `…/TrstSvc/Svctype/TLIssuer` would be ignored by every deployed client. We publish what they match.
   */
  tlIssuerAsTheConnectorSpellsIt: 'http://uri.etsi.org/TrstSvd/Svctype/TLIssuer',
} as const;
const SERVICE_STATUS_GRANTED = 'http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/granted';
const TSL_TYPE = 'http://uri.etsi.org/TrstSvc/TrustedList/TSLType/EUgeneric';
const STATUS_DETERMINATION = 'http://uri.etsi.org/TrstSvc/TrustedList/StatusDetn/EUappropriate';
/** TS 119 612 v2.1.1 §5.3.1. */
const TSL_VERSION = 5;

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

const iso = (date: Date) => `${date.toISOString().slice(0, 19)}Z`;
const names = (value: string) => el('tsl:Name', { 'xml:lang': 'en' }, value);
const uris = (tag: string, value: string) => el(tag, null, el('tsl:URI', { 'xml:lang': 'en' }, value));

function address(operator: TrustListOperator, tag: string): Xml {
  return el(
    tag,
    null,
    el(
      'tsl:PostalAddresses',
      null,
      el(
        'tsl:PostalAddress',
        { 'xml:lang': 'en' },
        textEl('tsl:StreetAddress', operator.street),
        textEl('tsl:Locality', operator.locality),
        textEl('tsl:PostalCode', operator.postalCode),
        textEl('tsl:CountryName', operator.countryName),
      ),
    ),
    el('tsl:ElectronicAddress', null, el('tsl:URI', { 'xml:lang': 'en' }, `mailto:${operator.email}`)),
  );
}

function service(entry: TrustListService, since: Date): Xml {
  return el(
    'tsl:TSPService',
    null,
    el(
      'tsl:ServiceInformation',
      null,
      textEl('tsl:ServiceTypeIdentifier', entry.type),
      el('tsl:ServiceName', null, names(entry.name)),
      el(
        'tsl:ServiceDigitalIdentity',
        null,
        entry.certificates.map((certificate) => el('tsl:DigitalId', null, textEl('tsl:X509Certificate', certificate.toString('base64')))),
      ),
      textEl('tsl:ServiceStatus', SERVICE_STATUS_GRANTED),
      textEl('tsl:StatusStartingTime', iso(since)),
    ),
  );
}

/** The unsigned list: the signature goes last in the root element (TrustStatusListType). */
export function trustListXml(content: TrustListContent, edition: TrustListEdition): string {
  const { operator } = edition;
  // A service's status starts when its first certificate became valid.
  const since = (entry: TrustListService) => new Date(Math.min(...entry.certificates.map((der) => parseCertificate(der).notBefore.getTime())));
  const document = el(
    'tsl:TrustServiceStatusList',
    { 'xmlns:tsl': TSL_NAMESPACE, TSLTag: 'http://uri.etsi.org/19612/TSLTag', Id: `tsl-${content.list}` },
    el(
      'tsl:SchemeInformation',
      null,
      textEl('tsl:TSLVersionIdentifier', TSL_VERSION),
      textEl('tsl:TSLSequenceNumber', edition.sequenceNumber.toString()),
      textEl('tsl:TSLType', TSL_TYPE),
      el('tsl:SchemeOperatorName', null, names(operator.name)),
      address(operator, 'tsl:SchemeOperatorAddress'),
      el('tsl:SchemeName', null, names(`${operator.name}: ${TRUST_LIST_FILES[content.list]}`)),
      uris('tsl:SchemeInformationURI', operator.informationUrl),
      textEl('tsl:StatusDeterminationApproach', STATUS_DETERMINATION),
      textEl('tsl:SchemeTerritory', 'BE'),
      textEl('tsl:HistoricalInformationPeriod', 65535),
      textEl('tsl:ListIssueDateTime', iso(edition.issuedAt)),
      el('tsl:NextUpdate', null, textEl('tsl:dateTime', iso(edition.nextUpdate))),
      el('tsl:DistributionPoints', null, textEl('tsl:URI', edition.url)),
    ),
    el(
      'tsl:TrustServiceProviderList',
      null,
      el(
        'tsl:TrustServiceProvider',
        null,
        el(
          'tsl:TSPInformation',
          null,
          el('tsl:TSPName', null, names(operator.name)),
          address(operator, 'tsl:TSPAddress'),
          uris('tsl:TSPInformationURI', operator.informationUrl),
        ),
        el(
          'tsl:TSPServices',
          null,
          content.services.map((entry) => service(entry, since(entry))),
        ),
      ),
    ),
  );
  return `<?xml version="1.0" encoding="UTF-8"?>\n${document.markup}`;
}
