import {
  childElements,
  descendantsNamed,
  LIMIT_REJECTIONS,
  parseXmlStrict,
  XmlParseError,
  type Document,
  type Element,
  type ParseLimits,
} from '../xml/parse.js';
import { SoapFault } from './fault.js';
import { NS } from './namespaces.js';

export interface SoapEnvelope {
  document: Document;
  envelope: Element;
  header: Element | undefined;
  body: Element;
  /** The single child of Body: the operation's request element. */
  payload: Element;
}

/**
 * Parses and checks the shape of a SOAP 1.1 request: exactly one Envelope holding an optional Header then exactly
 * one Body (anywhere in the document), and exactly one element in that Body.
 */
export function readSoapEnvelope(xml: string, limits: ParseLimits): SoapEnvelope {
  let document: Document;
  try {
    document = parseXmlStrict(xml, limits);
  } catch (error) {
    if (error instanceof XmlParseError) throw requestParseFault(error);
    throw error;
  }
  const envelope = document.documentElement!;
  if (envelope.localName !== 'Envelope') throw new SoapFault('MALFORMED_REQUEST', 'the root element is not a SOAP Envelope');
  if (envelope.namespaceURI === NS.soap12) {
    throw new SoapFault('VERSION_MISMATCH', 'SOAP 1.2 envelopes are not accepted: use SOAP 1.1');
  }
  if (envelope.namespaceURI !== NS.soap11) {
    throw new SoapFault('VERSION_MISMATCH', 'the Envelope is not in the SOAP 1.1 namespace');
  }
  const children = childElements(envelope);
  const headerCandidates = children.filter((child) => child.localName === 'Header' && child.namespaceURI === NS.soap11);
  const bodyCandidates = children.filter((child) => child.localName === 'Body' && child.namespaceURI === NS.soap11);
  const expectedLength = headerCandidates.length + bodyCandidates.length;
  if (
    bodyCandidates.length !== 1 ||
    headerCandidates.length > 1 ||
    children.length !== expectedLength ||
    children[children.length - 1] !== bodyCandidates[0] ||
    (headerCandidates.length === 1 && children[0] !== headerCandidates[0])
  ) {
    throw new SoapFault('MALFORMED_REQUEST', 'the Envelope must hold an optional Header followed by exactly one Body');
  }
  // A second Body or Envelope hidden deeper (e.g. inside a header) is a classic signature-wrapping vector.
  if (descendantsNamed(document, NS.soap11, 'Body').length !== 1 || descendantsNamed(document, NS.soap11, 'Envelope').length !== 1) {
    throw new SoapFault('MALFORMED_REQUEST', 'the message must contain exactly one SOAP Envelope and one Body');
  }
  const body = bodyCandidates[0]!;
  const bodyChildren = childElements(body);
  if (bodyChildren.length !== 1) throw new SoapFault('MALFORMED_REQUEST', `the Body must hold exactly one element, found ${bodyChildren.length}`);
  for (let node = body.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === 3 && (node.nodeValue ?? '').trim() !== '') throw new SoapFault('MALFORMED_REQUEST', 'the Body holds text outside its element');
  }
  return { document, envelope, header: headerCandidates[0], body, payload: bodyChildren[0]! };
}

/** The Client fault for a parser refusal of a request. */
export function requestParseFault(error: XmlParseError): SoapFault {
  if (error.reason === 'DTD_FORBIDDEN' || error.reason === 'PROCESSING_INSTRUCTION') return new SoapFault('DTD_FORBIDDEN', error.message, { cause: error });
  // Size, nesting, elements, attributes, namespace declarations: the request exceeds a limit of ours.
  if (LIMIT_REJECTIONS.has(error.reason)) return new SoapFault('PAYLOAD_TOO_LARGE', error.message, { cause: error });
  return new SoapFault('MALFORMED_REQUEST', error.message, { cause: error });
}

/** Header entries marked mustUnderstand that the service does not process make the request fail (SOAP 1.1 §4.2.3). */
export function assertHeadersUnderstood(header: Element | undefined, understood: ReadonlyArray<{ namespace: string; localName: string }>): void {
  if (!header) return;
  for (const entry of childElements(header)) {
    const flag = entry.getAttributeNS(NS.soap11, 'mustUnderstand');
    if (flag !== '1' && flag !== 'true') continue;
    if (!understood.some((q) => q.namespace === entry.namespaceURI && q.localName === entry.localName)) {
      throw new SoapFault('MUST_UNDERSTAND', `header {${entry.namespaceURI ?? ''}}${entry.localName} is not understood`);
    }
  }
}

export function wrapInEnvelope(payloadXml: string, headerXml?: string): string {
  return (
    `<soapenv:Envelope xmlns:soapenv="${NS.soap11}">` +
    (headerXml ? `<soapenv:Header>${headerXml}</soapenv:Header>` : '') +
    `<soapenv:Body>${payloadXml}</soapenv:Body></soapenv:Envelope>`
  );
}
