import { parseCertificate } from '../../x509/certificate.js';
import { el, textEl, type Xml } from '../../xml/builder.js';

import type { KeySigner } from '../../ca/keys/key-signer.js';
import {
  TRUST_LIST_FILES,
  type TrustListContent,
  type TrustListEdition,
  type TrustListOperator,
  type TrustListService,
} from '../../services/trust-list/trust-list-content.js';
import { signEnveloped } from './xades-signature.js';

/**
 * The eHealth trusted lists as ETSI TS 119 612 v2 documents (namespace http://uri.etsi.org/02231/v2#), signed
 * XAdES-BES enveloped by the TSL signer.
 */

export const TSL_NAMESPACE = 'http://uri.etsi.org/02231/v2#';
const SERVICE_STATUS_GRANTED = 'http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/granted';
const TSL_TYPE = 'http://uri.etsi.org/TrstSvc/TrustedList/TSLType/EUgeneric';
const STATUS_DETERMINATION = 'http://uri.etsi.org/TrstSvc/TrustedList/StatusDetn/EUappropriate';
/** TS 119 612 v2.1.1 §5.3.1. */
const TSL_VERSION = 5;

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

/** The signed document the publisher stores and serves: the list, then its enveloped XAdES signature. */
export async function renderSignedTrustList(
  content: TrustListContent,
  edition: TrustListEdition,
  signer: { readonly certificate: Buffer; readonly signer: KeySigner },
): Promise<Buffer> {
  return Buffer.from(await signEnveloped(trustListXml(content, edition), signer, edition.issuedAt), 'utf8');
}
