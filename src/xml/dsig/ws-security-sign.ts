import { createHash, randomUUID, type KeyObject } from 'node:crypto';
import { XMLSerializer } from '@xmldom/xmldom';
import { childElements, parseXmlStrict, type Element } from '../parse.js';
import { DIGEST_METHODS, DSIG_NS, EXC_C14N, SIGNATURE_METHODS, XMLNS_NS, type DigestMethodName, type SignatureMethodName } from './algorithms.js';
import { canonicalizeExclusive } from './canonicalize.js';
import { isElement } from './signature-element.js';
import { dsElement, signCanonical } from './signing.js';
import { BASE64_BINARY, SOAP11_NS, WSSE_NS, WSU_NS, X509V3_TOKEN } from './ws-security-constants.js';

/** WS-Security X.509 signing: requests (tests, benchmarks, interop) and our signed ETKDepot responses; verification is ws-security-verify.ts. */

export interface WsSecuritySignOptions {
  key: KeyObject;
  /** DER signer certificate, carried in the BinarySecurityToken. */
  certificate: Buffer;
  /** Default: rsa-sha256 for RSA keys, ecdsa-sha256 for EC keys. */
  signatureMethod?: SignatureMethodName;
  /** Default sha256. */
  digestMethod?: DigestMethodName;
  /** soap:mustUnderstand="1" on Security. Off for our responses: the eHealth client refuses headers it does not process. */
  mustUnderstand: boolean;
  /** Expires = Created + this. The connector uses 60 s. */
  timestampTtlSeconds: number;
  /** Also sign the BinarySecurityToken, as WSS4J does (ProtectTokens). Default false. */
  signBinarySecurityToken?: boolean;
  /** Created; default now. */
  now?: Date;
}

/**
 * Adds a wsse:Security header (Timestamp, BinarySecurityToken, Signature) to a SOAP 1.1 envelope and signs Body and
 * Timestamp (and the BST on request) with exc-c14n, KeyInfo being an STR Reference to the BST. SignedInfo is built
 * and canonicalised directly, without xml-crypto's SignedXml (whose XPath dominates its cost).
 */
export function signEnvelopeWsSecurity(envelopeXml: string, options: WsSecuritySignOptions): string {
  const document = parseXmlStrict(envelopeXml);
  const envelope = document.documentElement!;
  if (!isElement(envelope, SOAP11_NS, 'Envelope')) throw new Error('not a SOAP 1.1 Envelope');
  const children = childElements(envelope);
  const body = children.find((e) => isElement(e, SOAP11_NS, 'Body'));
  if (!body) throw new Error('the Envelope has no Body');
  let header = children.find((e) => isElement(e, SOAP11_NS, 'Header'));
  if (!header) {
    header = document.createElementNS(SOAP11_NS, envelope.prefix ? `${envelope.prefix}:Header` : 'Header');
    envelope.insertBefore(header, body);
  }
  if (childElements(header).some((e) => isElement(e, WSSE_NS, 'Security'))) throw new Error('the Envelope already has a Security header');

  const keyType = options.key.asymmetricKeyType;
  const signatureMethod = options.signatureMethod ?? (keyType === 'ec' ? 'ecdsa-sha256' : 'rsa-sha256');
  if (SIGNATURE_METHODS[signatureMethod].keyType !== keyType)
    throw new Error(`signature method ${signatureMethod} needs a ${SIGNATURE_METHODS[signatureMethod].keyType} key`);
  const digestMethod = options.digestMethod ?? 'sha256';

  const wsse = (name: string): Element => document.createElementNS(WSSE_NS, `wsse:${name}`);
  const wsu = (name: string, text?: string): Element => {
    const element = document.createElementNS(WSU_NS, `wsu:${name}`);
    if (text !== undefined) element.appendChild(document.createTextNode(text));
    return element;
  };
  const setWsuId = (element: Element, prefix: string): string => {
    const existing = element.getAttributeNS(WSU_NS, 'Id');
    if (existing) return existing;
    const boundWsu = element.lookupNamespaceURI('wsu');
    if (boundWsu !== null && boundWsu !== WSU_NS) throw new Error('the prefix wsu is bound to another namespace');
    const id = `${prefix}-${randomUUID()}`;
    element.setAttributeNS(XMLNS_NS, 'xmlns:wsu', WSU_NS);
    element.setAttributeNS(WSU_NS, 'wsu:Id', id);
    return id;
  };

  const security = wsse('Security');
  security.setAttributeNS(XMLNS_NS, 'xmlns:wsse', WSSE_NS);
  security.setAttributeNS(XMLNS_NS, 'xmlns:wsu', WSU_NS);
  if (options.mustUnderstand) security.setAttributeNS(SOAP11_NS, `${envelope.prefix ?? 'soapenv'}:mustUnderstand`, '1');

  const created = options.now ?? new Date();
  const timestamp = wsu('Timestamp');
  const timestampId = `TS-${randomUUID()}`;
  timestamp.setAttributeNS(WSU_NS, 'wsu:Id', timestampId);
  timestamp.appendChild(wsu('Created', created.toISOString()));
  timestamp.appendChild(wsu('Expires', new Date(created.getTime() + options.timestampTtlSeconds * 1000).toISOString()));

  const token = wsse('BinarySecurityToken');
  const tokenId = `X509-${randomUUID()}`;
  token.setAttribute('EncodingType', BASE64_BINARY);
  token.setAttribute('ValueType', X509V3_TOKEN);
  token.setAttributeNS(WSU_NS, 'wsu:Id', tokenId);
  token.appendChild(document.createTextNode(options.certificate.toString('base64')));

  security.appendChild(timestamp);
  security.appendChild(token);
  header.appendChild(security);
  const bodyId = setWsuId(body, 'id');

  const signed: Array<[Element, string]> = [
    [body, bodyId],
    [timestamp, timestampId],
  ];
  if (options.signBinarySecurityToken) signed.push([token, tokenId]);
  const ds = (name: string, attributes: Record<string, string> = {}, ...kids: Array<Element | string>): Element => dsElement(document, name, attributes, kids);
  const signedInfo = ds(
    'SignedInfo',
    {},
    ds('CanonicalizationMethod', { Algorithm: EXC_C14N }),
    ds('SignatureMethod', { Algorithm: SIGNATURE_METHODS[signatureMethod].uri }),
    ...signed.map(([element, id]) =>
      ds(
        'Reference',
        { URI: `#${id}` },
        ds('Transforms', {}, ds('Transform', { Algorithm: EXC_C14N })),
        ds('DigestMethod', { Algorithm: DIGEST_METHODS[digestMethod].uri }),
        ds('DigestValue', {}, createHash(digestMethod).update(canonicalizeExclusive(element), 'utf8').digest('base64')),
      ),
    ),
  );
  const tokenReference = wsse('Reference');
  tokenReference.setAttribute('URI', `#${tokenId}`);
  tokenReference.setAttribute('ValueType', X509V3_TOKEN);
  const str = wsse('SecurityTokenReference');
  str.appendChild(tokenReference);
  const signatureValue = ds('SignatureValue');
  const signature = ds('Signature', { Id: `SIG-${randomUUID()}` }, signedInfo, signatureValue, ds('KeyInfo', {}, str));
  signature.setAttributeNS(XMLNS_NS, 'xmlns:ds', DSIG_NS);
  security.appendChild(signature);
  signatureValue.appendChild(document.createTextNode(signCanonical(signatureMethod, options.key, canonicalizeExclusive(signedInfo)).toString('base64')));
  return new XMLSerializer().serializeToString(document);
}

export interface SoapPayloadSignOptions extends Omit<WsSecuritySignOptions, 'signBinarySecurityToken'> {
  /**
   * The payload is already its own exclusive c14n (declarations where first used, c14n attribute order and escapes,
   * explicit end tags) and uses neither the soapenv nor the wsu prefix: the Body is digested without being parsed.
   */
  payloadIsCanonical?: boolean;
}

/**
 * Builds a signed SOAP 1.1 response envelope around a payload element, as signEnvelopeWsSecurity would sign it
 * (Timestamp, BinarySecurityToken, Body and Timestamp signed with exc-c14n, STR Reference) but without parsing and
 * re-serialising the whole envelope: the payload is copied as given, and only the Body (unless the payload is
 * canonical already) is parsed, with the namespace declarations it has in the envelope, to be canonicalised. Exclusive
 * c14n renders exactly the visibly used namespaces of a subtree, so that form equals the one in the envelope.
 */
export function signSoapPayload(payloadXml: string, options: SoapPayloadSignOptions): string {
  const keyType = options.key.asymmetricKeyType;
  const signatureMethod = options.signatureMethod ?? (keyType === 'ec' ? 'ecdsa-sha256' : 'rsa-sha256');
  if (SIGNATURE_METHODS[signatureMethod].keyType !== keyType)
    throw new Error(`signature method ${signatureMethod} needs a ${SIGNATURE_METHODS[signatureMethod].keyType} key`);
  const digestMethod = options.digestMethod ?? 'sha256';
  const digestOf = (canonical: string): string => createHash(digestMethod).update(canonical, 'utf8').digest('base64');
  const canonicalOf = (xml: string): string => canonicalizeExclusive(parseXmlStrict(xml).documentElement!);

  const bodyId = `id-${randomUUID()}`;
  const timestampId = `TS-${randomUUID()}`;
  const tokenId = `X509-${randomUUID()}`;
  const created = options.now ?? new Date();
  const timestampInner =
    `<wsu:Created>${created.toISOString()}</wsu:Created>` +
    `<wsu:Expires>${new Date(created.getTime() + options.timestampTtlSeconds * 1000).toISOString()}</wsu:Expires>`;
  const bodyAttributes = `xmlns:wsu="${WSU_NS}" wsu:Id="${bodyId}"`;
  // Written in canonical form: declarations sorted by prefix, then the attribute.
  const body = `<soapenv:Body xmlns:soapenv="${SOAP11_NS}" ${bodyAttributes}>${payloadXml}</soapenv:Body>`;
  const bodyDigest = digestOf(options.payloadIsCanonical ? body : canonicalOf(body));
  // Timestamp and SignedInfo are written in canonical form (declarations first, then attributes in c14n order,
  // explicit end tags, nothing to escape), so they are their own exclusive c14n (xmlsec1 checks it in the tests).
  const timestampDigest = digestOf(canonicalTimestamp(timestampId, timestampInner));
  const reference = (id: string, digest: string): string =>
    `<ds:Reference URI="#${id}"><ds:Transforms><ds:Transform Algorithm="${EXC_C14N}"></ds:Transform></ds:Transforms>` +
    `<ds:DigestMethod Algorithm="${DIGEST_METHODS[digestMethod].uri}"></ds:DigestMethod><ds:DigestValue>${digest}</ds:DigestValue></ds:Reference>`;
  const signedInfoInner =
    `<ds:CanonicalizationMethod Algorithm="${EXC_C14N}"></ds:CanonicalizationMethod>` +
    `<ds:SignatureMethod Algorithm="${SIGNATURE_METHODS[signatureMethod].uri}"></ds:SignatureMethod>` +
    reference(bodyId, bodyDigest) +
    reference(timestampId, timestampDigest);
  const canonicalSignedInfo = canonicalSignedInfoOf(signedInfoInner);
  const signatureValue = signCanonical(signatureMethod, options.key, canonicalSignedInfo).toString('base64');
  const mustUnderstand = options.mustUnderstand ? ' soapenv:mustUnderstand="1"' : '';
  return (
    `<soapenv:Envelope xmlns:soapenv="${SOAP11_NS}"><soapenv:Header>` +
    `<wsse:Security xmlns:wsse="${WSSE_NS}" xmlns:wsu="${WSU_NS}"${mustUnderstand}>` +
    `<wsu:Timestamp wsu:Id="${timestampId}">${timestampInner}</wsu:Timestamp>` +
    `<wsse:BinarySecurityToken EncodingType="${BASE64_BINARY}" ValueType="${X509V3_TOKEN}" wsu:Id="${tokenId}">${options.certificate.toString('base64')}</wsse:BinarySecurityToken>` +
    `<ds:Signature xmlns:ds="${DSIG_NS}" Id="SIG-${randomUUID()}"><ds:SignedInfo>${signedInfoInner}</ds:SignedInfo>` +
    `<ds:SignatureValue>${signatureValue}</ds:SignatureValue>` +
    `<ds:KeyInfo><wsse:SecurityTokenReference><wsse:Reference URI="#${tokenId}" ValueType="${X509V3_TOKEN}"/></wsse:SecurityTokenReference></ds:KeyInfo>` +
    `</ds:Signature></wsse:Security></soapenv:Header>` +
    `<soapenv:Body ${bodyAttributes}>${payloadXml}</soapenv:Body></soapenv:Envelope>`
  );
}

/** The exclusive c14n of a response Timestamp as signSoapPayload writes it (ids and instants hold nothing to escape). */
function canonicalTimestamp(id: string, inner: string): string {
  return `<wsu:Timestamp xmlns:wsu="${WSU_NS}" wsu:Id="${id}">${inner}</wsu:Timestamp>`;
}

/** The exclusive c14n of SignedInfo as signSoapPayload writes its content (xmlns:ds is rendered on SignedInfo). */
function canonicalSignedInfoOf(inner: string): string {
  return `<ds:SignedInfo xmlns:ds="${DSIG_NS}">${inner}</ds:SignedInfo>`;
}
