import type { RevocationChecker, TrustStore } from '../../trust/index.js';
import type { KeyUsageName } from '../../x509/certificate.js';
import { childElements, parseXmlStrict, XmlParseError, type Document, type Element, type ParseLimits } from '../parse.js';
import { DSIG_NS, EXC_C14N, type DigestMethodName, type SignatureMethodName } from './algorithms.js';
import { assertScanClean, qualifiedKey, scanDocument, type DocumentScan } from './document-scan.js';
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
import { BASE64_BINARY, SOAP11_NS, WSSE_NS, WSU_NS, X509_SKI, X509V3_TOKEN } from './ws-security-constants.js';

/** WS-Security X.509 verification (docs/wire-facts.md §4.4); the signing side is ws-security-sign.ts. */

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
  const { header, body } = envelopeParts(document, all);
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

/**
 * The Envelope's Header and Body, when the Envelope holds exactly a Header then a Body and the document holds exactly
 * one of each (and one Envelope): a second Body or Header anywhere (e.g. inside a header wrapper) is the classic
 * signature-wrapping vector. `all` lists the document's elements of a name (document-scan.ts).
 */
export function envelopeParts(document: Document, all: (namespace: string, localName: string) => readonly Element[]): { header: Element; body: Element } {
  const envelope = document.documentElement;
  if (!envelope || !isElement(envelope, SOAP11_NS, 'Envelope')) throw new SignatureError('MALFORMED', 'the root element is not a SOAP 1.1 Envelope');
  const [header, body, ...rest] = childElements(envelope);
  if (!header || !body || rest.length > 0 || !isElement(header, SOAP11_NS, 'Header') || !isElement(body, SOAP11_NS, 'Body')) {
    throw new SignatureError('MALFORMED', 'the Envelope must hold exactly a Header then a Body');
  }
  for (const name of ['Envelope', 'Header', 'Body']) {
    if (all(SOAP11_NS, name).length !== 1) throw new SignatureError('MALFORMED', `the document must hold exactly one soap:${name}`);
  }
  return { header, body };
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

/** Created and Expires of a wsu:Timestamp (exactly those two, in that order, with time zones). */
export function readTimestamp(timestamp: Element): { created: Date; expires: Date } {
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
