import { createHash, randomUUID, type KeyObject } from 'node:crypto';
import { XMLSerializer } from '@xmldom/xmldom';
import type { RevocationChecker, TrustStore } from '../../trust/index.js';
import type { KeyUsageName } from '../../x509/certificate.js';
import { childElements, parseXmlStrict, XmlParseError, type Document, type Element, type ParseLimits } from '../parse.js';
import { DIGEST_METHODS, DSIG_NS, EXC_C14N, SIGNATURE_METHODS, XMLNS_NS, type DigestMethodName, type SignatureMethodName } from './algorithms.js';
import { canonicalizeExclusive } from './canonicalize.js';
import { assertScanClean, qualifiedKey, scanDocument, WSU_NS, type DocumentScan } from './document-scan.js';
import { SignatureError, WsSecurityError, shown, signatureReasonForTrust } from './errors.js';
import {
  checkReferenceDigest,
  decodeBase64Strict,
  isElement,
  parseSignature,
  plainAttribute,
  strictChildren,
  textOnly,
  verifySignatureValue,
  type ParsedSignature,
  type SignaturePolicy,
} from './signature-element.js';
import { verifiedSigner, type VerifiedSigner } from './signer.js';
import { dsElement, signCanonical } from './signing.js';

export const SOAP11_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
export const WSSE_NS = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';
export { WSU_NS };
export const X509V3_TOKEN = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3';
export const X509_SKI = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509SubjectKeyIdentifier';
export const BASE64_BINARY = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary';

export const DEFAULT_WSS_SIGNATURE_METHODS: readonly SignatureMethodName[] = ['rsa-sha256', 'rsa-sha1', 'ecdsa-sha256'];
export const DEFAULT_WSS_DIGEST_METHODS: readonly DigestMethodName[] = ['sha256', 'sha1'];

export interface WsSecurityVerifyOptions {
  trust: TrustStore;
  at: Date;
  revocation?: RevocationChecker;
  allowedSignatureMethods?: readonly SignatureMethodName[];
  allowedDigestMethods?: readonly DigestMethodName[];
  /** Tolerated clock difference for Created and Expires. Default 60 s. */
  clockSkewSeconds?: number;
  /** When set, a Timestamp created longer ago than this is refused whatever its Expires says. */
  maxTimestampAgeSeconds?: number;
  requiredKeyUsage?: readonly KeyUsageName[];
}

export interface WsSecurityVerification {
  readonly signer: VerifiedSigner;
  /** The envelope's one soap:Body, whose digest verified: read the request from this element only. */
  readonly body: Element;
  /** Exclusive canonical form of that Body: exactly the bytes that were signed. */
  readonly bodyCanonical: string;
  readonly timestamp: { readonly created: Date; readonly expires: Date };
  /** True when the signature also covers the BinarySecurityToken (WSS4J's ProtectTokens). */
  readonly signedBinarySecurityToken: boolean;
}

/** Parses with the hardened parser, then verifies. Parser refusals (DOCTYPE, size...) become MALFORMED. */
export async function verifyWsSecurityXml(xml: string, options: WsSecurityVerifyOptions, limits?: ParseLimits): Promise<WsSecurityVerification> {
  let document: Document;
  try {
    document = parseXmlStrict(xml, limits);
  } catch (error) {
    if (error instanceof XmlParseError) throw new WsSecurityError('MALFORMED', `${error.reason}: ${error.message}`);
    throw error;
  }
  return verifyWsSecurity(document, options);
}

/**
 * Verifies a WS-Security X.509 signed SOAP 1.1 envelope in the safe order of docs/wire-facts.md §4.4:
 * 1. structure: Envelope = Header then Body; one Header, one Body, one wsse:Security (in Header), one ds:Signature
 *    and one wsu:Timestamp (both in Security) in the whole document; Id values unique;
 * 2. SignedInfo policy: exc-c14n, allowed algorithms, each Reference a distinct `#id` with only the exc-c14n
 *    transform, resolving by wsu:Id to the Body, the Timestamp or a BST of this Security, Body and Timestamp included;
 * 3. KeyInfo: an STR Reference (or X509v3 / SKI KeyIdentifier) to a BinarySecurityToken of this Security header;
 * 4. the certificate, taken only from that BST, must chain to a configured anchor;
 * 5. SignatureValue over the canonical SignedInfo;
 * 6. digests of the actual Body and Timestamp (and BST when referenced);
 * 7. freshness from the (now verified) Timestamp;
 * 8. revocation of the path, only for a message that verified completely.
 * No XPath anywhere: nodes are found by namespace-exact structure and wsu:Id.
 */
export async function verifyWsSecurity(document: Document, options: WsSecurityVerifyOptions): Promise<WsSecurityVerification> {
  try {
    return await verifyOrThrow(document, options);
  } catch (error) {
    if (error instanceof SignatureError) throw new WsSecurityError(error.reason, error.detail, error.trustReason);
    throw error;
  }
}

const WATCHED = [
  [SOAP11_NS, 'Envelope'],
  [SOAP11_NS, 'Header'],
  [SOAP11_NS, 'Body'],
  [WSSE_NS, 'Security'],
  [WSSE_NS, 'BinarySecurityToken'],
  [DSIG_NS, 'Signature'],
  [WSU_NS, 'Timestamp'],
] as const;

async function verifyOrThrow(document: Document, options: WsSecurityVerifyOptions): Promise<WsSecurityVerification> {
  // 1. Structure.
  const scan = scanDocument(document, WATCHED);
  const all = (ns: string, local: string): readonly Element[] => scan.named.get(qualifiedKey(ns, local)) ?? [];
  const envelope = document.documentElement;
  if (!envelope || !isElement(envelope, SOAP11_NS, 'Envelope')) throw new SignatureError('MALFORMED', 'the root element is not a SOAP 1.1 Envelope');
  const [header, body, ...rest] = childElements(envelope);
  if (!header || !body || rest.length > 0 || !isElement(header, SOAP11_NS, 'Header') || !isElement(body, SOAP11_NS, 'Body')) {
    throw new SignatureError('MALFORMED', 'the Envelope must hold exactly a Header then a Body');
  }
  // A second Body or Header anywhere (e.g. inside a header wrapper) is the classic signature-wrapping vector.
  for (const name of ['Envelope', 'Header', 'Body']) {
    if (all(SOAP11_NS, name).length !== 1) throw new SignatureError('MALFORMED', `the document must hold exactly one soap:${name}`);
  }
  const security = exactlyOne(all(WSSE_NS, 'Security'), 'wsse:Security', header);
  const signature = exactlyOne(all(DSIG_NS, 'Signature'), 'ds:Signature', security);
  const timestamp = exactlyOne(all(WSU_NS, 'Timestamp'), 'wsu:Timestamp', security, 'MALFORMED');
  for (const child of strictChildren(security, 'Security')) {
    if (child !== signature && child !== timestamp && !isElement(child, WSSE_NS, 'BinarySecurityToken')) {
      throw new SignatureError('MALFORMED', `unsupported element ${shown(child.localName)} in the Security header`);
    }
  }

  // 2. SignedInfo policy and references, resolved structurally; Id values unique.
  assertScanClean(scan);
  const parsed = parseSignature(signature, wssPolicy(options));
  const bodyId = wsuId(body);
  const timestampId = wsuId(timestamp);
  let signedBst = false;
  const targets = parsed.references.map((reference) => {
    const target = scan.wsuIds.get(reference.targetId);
    if (!target) throw new SignatureError('BAD_REFERENCE', `no element has wsu:Id ${shown(reference.targetId)}`);
    const isBst = target.parentNode === security && isElement(target, WSSE_NS, 'BinarySecurityToken');
    if (target !== body && target !== timestamp && !isBst) {
      throw new SignatureError('BAD_REFERENCE', `${shown(`#${reference.targetId}`)} is not the Body, the Timestamp or a BinarySecurityToken of this header`);
    }
    signedBst ||= isBst;
    return { reference, target };
  });
  const referenced = new Set(parsed.references.map((r) => r.targetId));
  if (!bodyId || !referenced.has(bodyId)) throw new SignatureError('BAD_REFERENCE', 'the signature does not cover the soap:Body');
  if (!timestampId || !referenced.has(timestampId)) throw new SignatureError('BAD_REFERENCE', 'the signature does not cover the wsu:Timestamp');

  // 3. KeyInfo → BinarySecurityToken of this header.
  const certificate = certificateFromKeyInfo(parsed, security, scan, options.trust);

  // 4. Trust, from that BST only. Revocation (possibly I/O) is deferred to step 8.
  const trust = await options.trust.validate(certificate, { at: options.at, requiredKeyUsage: options.requiredKeyUsage });
  if (!trust.ok) throw new SignatureError(signatureReasonForTrust(trust.reason), trust.detail, trust.reason);

  // 5. SignatureValue.
  verifySignatureValue(parsed, trust.leaf.publicKey);

  // 6. Digests of the actual elements.
  let bodyCanonical = '';
  for (const { reference, target } of targets) {
    const canonical = checkReferenceDigest(reference, target);
    if (target === body) bodyCanonical = canonical;
  }

  // 7. Freshness, read from the Timestamp whose digest just verified.
  const { created, expires } = readTimestamp(timestamp);
  const skew = (options.clockSkewSeconds ?? 60) * 1000;
  const at = options.at.getTime();
  if (created.getTime() > at + skew) throw new WsSecurityError('TIMESTAMP_IN_FUTURE', `the Timestamp was created in the future (${created.toISOString()})`);
  if (expires.getTime() < at - skew) throw new WsSecurityError('TIMESTAMP_EXPIRED', `the Timestamp expired at ${expires.toISOString()}`);
  if (options.maxTimestampAgeSeconds !== undefined && created.getTime() < at - skew - options.maxTimestampAgeSeconds * 1000) {
    throw new WsSecurityError('TIMESTAMP_EXPIRED', `the Timestamp is older than ${options.maxTimestampAgeSeconds} s`);
  }

  // 8. Revocation last: a replayed certificate (they are public) with a forged signature never triggers a lookup.
  if (options.revocation) {
    const revoked = await options.trust.checkRevocation(trust.path, options.revocation);
    if (revoked) throw new SignatureError(signatureReasonForTrust(revoked.reason), revoked.detail, revoked.reason);
  }

  return {
    signer: verifiedSigner(trust),
    body,
    bodyCanonical,
    timestamp: { created, expires },
    signedBinarySecurityToken: signedBst,
  };
}

function wssPolicy(options: WsSecurityVerifyOptions): SignaturePolicy {
  return {
    signatureMethods: new Set(options.allowedSignatureMethods ?? DEFAULT_WSS_SIGNATURE_METHODS),
    digestMethods: new Set(options.allowedDigestMethods ?? DEFAULT_WSS_DIGEST_METHODS),
    transformSequences: [[EXC_C14N]],
    maxReferences: 3, // Body, Timestamp and optionally the BST
  };
}

function exactlyOne(found: readonly Element[], what: string, parent: Element, whenAbsent: 'MISSING' | 'MALFORMED' = 'MISSING'): Element {
  if (found.length === 0) throw new SignatureError(whenAbsent, `no ${what} in the message`);
  if (found.length > 1) throw new SignatureError('MALFORMED', `the document holds ${found.length} ${what} elements, exactly one is accepted`);
  if (found[0]!.parentNode !== parent) throw new SignatureError('MALFORMED', `${what} is not where WS-Security puts it`);
  return found[0]!;
}

function wsuId(element: Element): string | undefined {
  return element.getAttributeNS(WSU_NS, 'Id') || undefined;
}

/** The DER certificate of the BinarySecurityToken the KeyInfo designates; any other KeyInfo form is refused. */
function certificateFromKeyInfo(parsed: ParsedSignature, security: Element, scan: DocumentScan, trust: TrustStore): Buffer {
  const [str, ...extra] = strictChildren(parsed.keyInfo, 'KeyInfo');
  if (!str || extra.length > 0 || !isElement(str, WSSE_NS, 'SecurityTokenReference')) {
    throw keyInfoError('KeyInfo must hold exactly one wsse:SecurityTokenReference');
  }
  const [pointer, ...more] = strictChildren(str, 'SecurityTokenReference');
  if (!pointer || more.length > 0) throw keyInfoError('SecurityTokenReference must hold exactly one Reference or KeyIdentifier');
  const tokens = strictChildren(security, 'Security').filter((e) => isElement(e, WSSE_NS, 'BinarySecurityToken'));

  if (isElement(pointer, WSSE_NS, 'Reference')) {
    const uri = plainAttribute(pointer, 'URI') ?? '';
    const valueType = plainAttribute(pointer, 'ValueType');
    if (valueType !== undefined && valueType !== X509V3_TOKEN) throw keyInfoError(`unsupported token reference ValueType ${shown(valueType)}`);
    const token = uri.startsWith('#') ? scan.wsuIds.get(uri.slice(1)) : undefined;
    if (!token || !tokens.includes(token)) throw keyInfoError(`the token reference ${shown(uri)} does not designate a BinarySecurityToken of this header`);
    return tokenCertificate(token);
  }
  if (isElement(pointer, WSSE_NS, 'KeyIdentifier')) {
    const valueType = plainAttribute(pointer, 'ValueType');
    const encoding = plainAttribute(pointer, 'EncodingType');
    if (encoding !== undefined && encoding !== BASE64_BINARY) throw keyInfoError(`unsupported KeyIdentifier EncodingType ${shown(encoding)}`);
    const identifier = decodeBase64Strict(textOnly(pointer, 'KeyIdentifier'), 'KeyIdentifier');
    // The identifier only selects a token of this header; the certificate always comes from the BST itself.
    const matches = tokens.filter((token) => {
      const der = tokenCertificate(token);
      if (valueType === X509V3_TOKEN) return der.equals(identifier);
      if (valueType === X509_SKI) {
        try {
          return trust.certificate(der).subjectKeyIdentifier?.equals(identifier) ?? false;
        } catch {
          return false;
        }
      }
      throw keyInfoError(`unsupported KeyIdentifier ValueType ${shown(valueType)}`);
    });
    if (matches.length !== 1) throw keyInfoError(`the KeyIdentifier matches ${matches.length} BinarySecurityTokens of this header`);
    return tokenCertificate(matches[0]!);
  }
  throw keyInfoError(`unsupported ${shown(pointer.localName)} in SecurityTokenReference`);
}

function tokenCertificate(token: Element): Buffer {
  const valueType = plainAttribute(token, 'ValueType');
  const encoding = plainAttribute(token, 'EncodingType');
  if (valueType !== X509V3_TOKEN) throw keyInfoError(`BinarySecurityToken ValueType ${shown(valueType)} is not X509v3`);
  if (encoding !== undefined && encoding !== BASE64_BINARY) throw keyInfoError(`BinarySecurityToken EncodingType ${shown(encoding)} is not Base64Binary`);
  return decodeBase64Strict(textOnly(token, 'BinarySecurityToken'), 'BinarySecurityToken');
}

function keyInfoError(detail: string): WsSecurityError {
  return new WsSecurityError('BAD_KEY_INFO', detail);
}

function readTimestamp(timestamp: Element): { created: Date; expires: Date } {
  const [createdElement, expiresElement, ...extra] = strictChildren(timestamp, 'Timestamp');
  if (
    !createdElement ||
    !isElement(createdElement, WSU_NS, 'Created') ||
    !expiresElement ||
    !isElement(expiresElement, WSU_NS, 'Expires') ||
    extra.length > 0
  ) {
    throw new SignatureError('MALFORMED', 'the Timestamp must hold Created then Expires');
  }
  const created = parseDateTime(textOnly(createdElement, 'Created'));
  const expires = parseDateTime(textOnly(expiresElement, 'Expires'));
  if (expires.getTime() < created.getTime()) throw new SignatureError('MALFORMED', 'the Timestamp expires before it was created');
  return { created, expires };
}

/** xs:dateTime with a mandatory time zone (a zone-less instant is ambiguous). */
function parseDateTime(text: string): Date {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/.exec(text.trim());
  if (!match) throw new SignatureError('MALFORMED', `${shown(text)} is not an xs:dateTime with a time zone`);
  const [, y, mo, d, h, mi, s, fraction, zone] = match;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Number(`${fraction ?? ''}000`.slice(0, 3)));
  const check = new Date(ms);
  if (check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d) || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) {
    throw new SignatureError('MALFORMED', `${shown(text)} is not a valid date`);
  }
  const offset = zone === 'Z' ? 0 : (zone!.startsWith('-') ? -1 : 1) * (Number(zone!.slice(1, 3)) * 60 + Number(zone!.slice(4, 6))) * 60_000;
  return new Date(ms - offset);
}

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
    const existing = wsuId(element);
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
  timestamp.setAttributeNS(WSU_NS, 'wsu:Id', `TS-${randomUUID()}`);
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
    [timestamp, wsuId(timestamp)!],
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
