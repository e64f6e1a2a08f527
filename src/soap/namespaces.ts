/** Namespace URIs used across the SOAP front end and the XML layer. */
export const NS = {
  soap11: 'http://schemas.xmlsoap.org/soap/envelope/',
  soap12: 'http://www.w3.org/2003/05/soap-envelope',
  xml: 'http://www.w3.org/XML/1998/namespace',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
  ds: 'http://www.w3.org/2000/09/xmldsig#',
  wsse: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
  wsu: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd',
  soaErrors: 'urn:be:fgov:ehealth:errors:soa:v1',
  commonsCoreV2: 'urn:be:fgov:ehealth:commons:core:v2',
  commonsProtocolV2: 'urn:be:fgov:ehealth:commons:protocol:v2',
  commonsCoreV1: 'urn:be:fgov:ehealth:commons:1_0:core',
  commonsProtocolV1: 'urn:be:fgov:ehealth:commons:1_0:protocol',
  eteeCoreV2: 'urn:be:fgov:ehealth:etee:commons:core:v2',
  certraProtocolV2: 'urn:be:fgov:ehealth:certra:protocol:v2',
  certraCoreV2: 'urn:be:fgov:ehealth:certra:core:v2',
  etkraProtocolV2: 'urn:be:fgov:ehealth:etkra:protocol:v2',
  etkdepotProtocolV1: 'urn:be:fgov:ehealth:etkdepot:1_0:protocol',
  eteeCommonsV1: 'urn:be:fgov:ehealth:etee:commons:1_0:etee',
  kgssProtocolV1: 'urn:be:fgov:ehealth:etee:kgss:1_0:protocol',
} as const;

export const STATUS_SUCCESS_V2 = 'urn:be:fgov:ehealth:2.0:status:Success';
