import { SaxesParser } from 'saxes';

/**
 * Reads a trusted list the way the eHealth technical connector 4.0.2 does (TrustServiceStatusListParser, a SAX parser
 * in namespace http://uri.etsi.org/02231/v2#): only NextUpdate/dateTime, each TSPService's ServiceTypeIdentifier and,
 * when that type is wanted for a keystore, every X509Certificate that follows up to </TSPService> (ServiceStatus is
 * ignored). Returns what lands in each keystore the list feeds (facts doc §d).
 */
const CA_TYPES = ['http://uri.etsi.org/TrstSvc/Svctype/CA/PKC', 'http://uri.etsi.org/TrstSvc/Svctype/CA/QC'];
const KEYSTORES_BY_LIST = {
  transport: { ssl: CA_TYPES },
  person: { ca: CA_TYPES },
  application: {
    tsl: [...CA_TYPES, 'http://uri.etsi.org/TrstSvd/Svctype/TLIssuer'],
    tsa: [...CA_TYPES, 'http://uri.etsi.org/TrstSvc/Svctype/TSA'],
  },
} as const;
const TSL = 'http://uri.etsi.org/02231/v2#';

export type ConnectorList = keyof typeof KEYSTORES_BY_LIST;

export interface ConnectorView {
  readonly nextUpdate: Date | undefined;
  /** keystore → base64 DER certificates, in document order. */
  readonly keystores: Record<string, string[]>;
}

export function readAsConnector(list: ConnectorList, xml: string): ConnectorView {
  const wanted: Record<string, readonly string[]> = KEYSTORES_BY_LIST[list];
  const keystores: Record<string, string[]> = Object.fromEntries(Object.keys(wanted).map((name) => [name, []]));
  const parser = new SaxesParser({ xmlns: true });
  const path: string[] = [];
  let text = '';
  let serviceType: string | undefined;
  let nextUpdate: Date | undefined;
  parser.on('opentag', (tag) => {
    path.push(tag.uri === TSL ? tag.local : `{${tag.uri}}${tag.local}`);
    text = '';
    if (tag.uri === TSL && tag.local === 'TSPService') serviceType = undefined;
  });
  parser.on('text', (value) => {
    text += value;
  });
  parser.on('closetag', (tag) => {
    const name = tag.uri === TSL ? tag.local : undefined;
    if (name === 'dateTime' && path.at(-2) === 'NextUpdate') nextUpdate = new Date(text.trim());
    if (name === 'ServiceTypeIdentifier') serviceType = text.trim();
    if (name === 'X509Certificate' && serviceType !== undefined) {
      for (const [keystore, types] of Object.entries(wanted)) if (types.includes(serviceType)) keystores[keystore]!.push(text.replace(/\s/g, ''));
    }
    if (name === 'TSPService') serviceType = undefined;
    path.pop();
  });
  parser.write(xml).close();
  return { nextUpdate, keystores };
}
