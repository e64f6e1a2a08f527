import { createPublicKey } from 'node:crypto';
import { childElements, type Document, type Element } from '../parse.js';
import { DSIG_NS, ENVELOPED_SIGNATURE, EXC_C14N, type DigestMethodName, type SignatureMethodName } from './algorithms.js';
import { assertScanClean, qualifiedKey, scanDocument } from './document-scan.js';
import { SignatureError, WsSecurityError, shown } from './errors.js';
import {
  checkReferenceDigest,
  decodeBase64Strict,
  isElement,
  parseSignature,
  plainAttribute,
  strictChildren,
  textOnly,
  verifySignatureValue,
} from './signature-element.js';
import { SOAP11_NS, WSSE_NS, WSU_NS } from './ws-security-constants.js';
import { envelopeParts, readTimestamp } from './ws-security-verify.js';

/**
 * WS-Security with a SAML 1.1 holder-of-key assertion, as the technical connector sends it to KGSS GetKey
 * (WSSecHeaderGeneratorWss4jImpl: the STS's assertion imported into wsse:Security, a Timestamp, and a signature over
 * Body, Timestamp and possibly the assertion, made with the holder's key and naming the assertion by a
 * SecurityTokenReference/KeyIdentifier of ValueType …#SAMLAssertionID, no BinarySecurityToken).
 *
 * Verified in this order: structure (one Envelope/Header/Body, one Security holding one Assertion, one Timestamp, one
 * message Signature; the only other ds:Signature is the assertion's own, its direct child); the assertion's signature
 * (enveloped, by a configured STS certificate, pinned: the certificate in the assertion's KeyInfo must be one of
 * them byte for byte); its validity window; the holder-of-key certificate of its subject confirmation; the message
 * signature with that certificate's key over the real Body and Timestamp; freshness. The attributes come only from
 * the verified assertion. The holder's certificate is returned for the caller to validate (chain, revocation).
 */

export const SAML11_ASSERTION_NS = 'urn:oasis:names:tc:SAML:1.0:assertion';
export const SAML11_HOLDER_OF_KEY = 'urn:oasis:names:tc:SAML:1.0:cm:holder-of-key';
/** The connector's spelling (WSS4J custom token) and the token profile's. */
const SAML_ASSERTION_ID_VALUE_TYPES = new Set([
  'http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.0#SAMLAssertionID',
  'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-saml-token-profile-1.0#SAMLAssertionID',
]);

export interface SamlHolderOfKeyOptions {
  /** DER certificates of the STSs whose assertions are accepted. */
  readonly stsCertificates: readonly Buffer[];
  readonly at: Date;
  readonly clockSkewSeconds?: number;
  readonly maxTimestampAgeSeconds?: number;
  readonly allowedSignatureMethods?: readonly SignatureMethodName[];
  readonly allowedDigestMethods?: readonly DigestMethodName[];
}

export interface SamlAttribute {
  readonly namespace: string;
  readonly name: string;
  readonly values: readonly string[];
}

export interface SamlHolderOfKeyVerification {
  readonly assertionId: string;
  readonly issuer: string;
  /** DER of the holder-of-key certificate: its key signed the message. */
  readonly holderCertificate: Buffer;
  readonly attributes: readonly SamlAttribute[];
  readonly body: Element;
  readonly timestamp: { readonly created: Date; readonly expires: Date };
}

const WATCHED = [
  [SOAP11_NS, 'Envelope'],
  [SOAP11_NS, 'Header'],
  [SOAP11_NS, 'Body'],
  [WSSE_NS, 'Security'],
  [DSIG_NS, 'Signature'],
  [WSU_NS, 'Timestamp'],
  [SAML11_ASSERTION_NS, 'Assertion'],
] as const;

/** Whether the message carries a SAML assertion in its Security header (and so is for this verifier). */
export function carriesSamlAssertion(document: Document): boolean {
  const header = childElements(document.documentElement!).find((e) => isElement(e, SOAP11_NS, 'Header'));
  const security = header && childElements(header).find((e) => isElement(e, WSSE_NS, 'Security'));
  return security !== undefined && childElements(security).some((e) => isElement(e, SAML11_ASSERTION_NS, 'Assertion'));
}

export function verifySamlHolderOfKey(document: Document, options: SamlHolderOfKeyOptions): SamlHolderOfKeyVerification {
  try {
    return verifyOrThrow(document, options);
  } catch (error) {
    if (error instanceof SignatureError) throw new WsSecurityError(error.reason, error.detail, error.trustReason);
    throw error;
  }
}

function verifyOrThrow(document: Document, options: SamlHolderOfKeyOptions): SamlHolderOfKeyVerification {
  // 1. Structure.
  const scan = scanDocument(document, WATCHED);
  const all = (ns: string, local: string): readonly Element[] => scan.named.get(qualifiedKey(ns, local)) ?? [];
  const { header, body } = envelopeParts(document, all);
  const security = only(all(WSSE_NS, 'Security'), 'wsse:Security', header);
  const assertion = only(all(SAML11_ASSERTION_NS, 'Assertion'), 'saml:Assertion', security);
  const timestamp = only(all(WSU_NS, 'Timestamp'), 'wsu:Timestamp', security);
  const signatures = all(DSIG_NS, 'Signature');
  const assertionSignature = signatures.find((s) => s.parentNode === assertion);
  const messageSignature = signatures.find((s) => s.parentNode === security);
  if (signatures.length !== 2 || !assertionSignature || !messageSignature) {
    throw new SignatureError('MALFORMED', 'expected exactly the assertion’s signature and one message signature in the Security header');
  }
  for (const child of strictChildren(security, 'Security')) {
    if (child !== assertion && child !== timestamp && child !== messageSignature) {
      throw new SignatureError('MALFORMED', `unsupported element ${shown(child.localName)} in the Security header`);
    }
  }
  assertScanClean(scan);
  const assertionId = plainAttribute(assertion, 'AssertionID');
  if (!assertionId) throw new SignatureError('MALFORMED', 'the Assertion has no AssertionID');
  if (plainAttribute(assertion, 'MajorVersion') !== '1' || plainAttribute(assertion, 'MinorVersion') !== '1') {
    throw new SignatureError('MALFORMED', 'only SAML 1.1 assertions are accepted');
  }

  // 2. The assertion's own signature: enveloped, over the whole assertion, by a pinned STS certificate.
  const signatureMethods = new Set<SignatureMethodName>(options.allowedSignatureMethods ?? ['rsa-sha256', 'rsa-sha1']);
  const digestMethods = new Set<DigestMethodName>(options.allowedDigestMethods ?? ['sha256', 'sha1']);
  const parsedAssertionSignature = parseSignature(assertionSignature, {
    signatureMethods,
    digestMethods,
    transformSequences: [[ENVELOPED_SIGNATURE, EXC_C14N]],
    maxReferences: 1,
  });
  const [assertionReference] = parsedAssertionSignature.references;
  if (assertionReference?.targetId !== assertionId) throw new SignatureError('BAD_REFERENCE', 'the assertion’s signature does not cover the assertion');
  const stsCertificate = x509CertificateOf(parsedAssertionSignature.keyInfo, 'the assertion’s KeyInfo');
  if (!options.stsCertificates.some((trusted) => trusted.equals(stsCertificate))) {
    throw new WsSecurityError('UNTRUSTED', 'the assertion is not signed by a configured STS certificate');
  }
  verifySignatureValue(parsedAssertionSignature, certificateKey(stsCertificate));
  checkReferenceDigest(assertionReference, assertion, assertionSignature);

  // 3. Validity window and the holder-of-key confirmation, from the verified assertion only.
  const skew = (options.clockSkewSeconds ?? 60) * 1000;
  const at = options.at.getTime();
  const conditions = childElements(assertion).find((e) => isElement(e, SAML11_ASSERTION_NS, 'Conditions'));
  if (!conditions) throw new SignatureError('MALFORMED', 'the Assertion has no Conditions');
  const notBefore = Date.parse(plainAttribute(conditions, 'NotBefore') ?? '');
  const notOnOrAfter = Date.parse(plainAttribute(conditions, 'NotOnOrAfter') ?? '');
  if (Number.isNaN(notBefore) || Number.isNaN(notOnOrAfter)) throw new SignatureError('MALFORMED', 'the Conditions need NotBefore and NotOnOrAfter');
  if (notBefore > at + skew) throw new WsSecurityError('TIMESTAMP_IN_FUTURE', 'the assertion is not valid yet');
  if (notOnOrAfter <= at - skew) throw new WsSecurityError('TIMESTAMP_EXPIRED', 'the assertion has expired');
  const statements = childElements(assertion).filter(
    (e) => isElement(e, SAML11_ASSERTION_NS, 'AttributeStatement') || isElement(e, SAML11_ASSERTION_NS, 'AuthenticationStatement'),
  );
  const holderCertificates = statements.map((statement) => holderCertificateOf(statement));
  const holderCertificate = holderCertificates[0];
  if (!holderCertificate || holderCertificates.some((certificate) => !certificate.equals(holderCertificate))) {
    throw new SignatureError('MALFORMED', 'the assertion’s statements must confirm one holder-of-key certificate');
  }

  // 4. The message signature, by the holder's key, over the real Body and Timestamp (and possibly the assertion).
  const parsed = parseSignature(messageSignature, { signatureMethods, digestMethods, transformSequences: [[EXC_C14N]], maxReferences: 3 });
  const bodyId = body.getAttributeNS(WSU_NS, 'Id');
  const timestampId = timestamp.getAttributeNS(WSU_NS, 'Id');
  const covered = new Set<Element>();
  for (const reference of parsed.references) {
    const target = reference.targetId === assertionId ? assertion : scan.wsuIds.get(reference.targetId);
    if (target !== body && target !== timestamp && target !== assertion) {
      throw new SignatureError('BAD_REFERENCE', `${shown(`#${reference.targetId}`)} is not the Body, the Timestamp or the assertion`);
    }
    covered.add(target);
  }
  if (!bodyId || !covered.has(body)) throw new SignatureError('BAD_REFERENCE', 'the signature does not cover the soap:Body');
  if (!timestampId || !covered.has(timestamp)) throw new SignatureError('BAD_REFERENCE', 'the signature does not cover the wsu:Timestamp');
  const [str, ...extra] = strictChildren(parsed.keyInfo, 'KeyInfo');
  const [keyIdentifier, ...more] = str && isElement(str, WSSE_NS, 'SecurityTokenReference') ? strictChildren(str, 'SecurityTokenReference') : [];
  if (extra.length > 0 || more.length > 0 || !keyIdentifier || !isElement(keyIdentifier, WSSE_NS, 'KeyIdentifier')) {
    throw new WsSecurityError('BAD_KEY_INFO', 'the message signature’s KeyInfo must name the assertion by a SecurityTokenReference/KeyIdentifier');
  }
  if (!SAML_ASSERTION_ID_VALUE_TYPES.has(plainAttribute(keyIdentifier, 'ValueType') ?? '') || textOnly(keyIdentifier, 'KeyIdentifier').trim() !== assertionId) {
    throw new WsSecurityError('BAD_KEY_INFO', 'the message signature does not name this assertion (SAMLAssertionID)');
  }
  verifySignatureValue(parsed, certificateKey(holderCertificate));
  for (const reference of parsed.references) {
    const target = reference.targetId === assertionId ? assertion : scan.wsuIds.get(reference.targetId)!;
    checkReferenceDigest(reference, target);
  }

  // 5. Freshness.
  const { created, expires } = readTimestamp(timestamp);
  if (created.getTime() > at + skew) throw new WsSecurityError('TIMESTAMP_IN_FUTURE', `the Timestamp was created in the future (${created.toISOString()})`);
  if (expires.getTime() < at - skew) throw new WsSecurityError('TIMESTAMP_EXPIRED', `the Timestamp expired at ${expires.toISOString()}`);
  if (options.maxTimestampAgeSeconds !== undefined && created.getTime() < at - skew - options.maxTimestampAgeSeconds * 1000) {
    throw new WsSecurityError('TIMESTAMP_EXPIRED', `the Timestamp is older than ${options.maxTimestampAgeSeconds} s`);
  }

  return {
    assertionId,
    issuer: plainAttribute(assertion, 'Issuer') ?? '',
    holderCertificate,
    attributes: statements.filter((s) => isElement(s, SAML11_ASSERTION_NS, 'AttributeStatement')).flatMap(attributesOf),
    body,
    timestamp: { created, expires },
  };
}

function only(found: readonly Element[], what: string, parent: Element): Element {
  if (found.length !== 1) throw new SignatureError(found.length === 0 ? 'MISSING' : 'MALFORMED', `expected exactly one ${what}, found ${found.length}`);
  if (found[0]!.parentNode !== parent) throw new SignatureError('MALFORMED', `${what} is not where WS-Security puts it`);
  return found[0]!;
}

function certificateKey(der: Buffer) {
  try {
    return createPublicKey({ key: `-----BEGIN CERTIFICATE-----\n${der.toString('base64')}\n-----END CERTIFICATE-----`, format: 'pem' });
  } catch {
    throw new SignatureError('MALFORMED', 'a certificate in the assertion does not parse');
  }
}

/** KeyInfo/X509Data/X509Certificate (exactly one certificate). */
function x509CertificateOf(keyInfo: Element, what: string): Buffer {
  const [data, ...extra] = strictChildren(keyInfo, 'KeyInfo');
  if (!data || extra.length > 0 || !isElement(data, DSIG_NS, 'X509Data')) throw new WsSecurityError('BAD_KEY_INFO', `${what} must hold one X509Data`);
  const certificates = strictChildren(data, 'X509Data').filter((e) => isElement(e, DSIG_NS, 'X509Certificate'));
  if (certificates.length !== 1) throw new WsSecurityError('BAD_KEY_INFO', `${what} must hold exactly one X509Certificate`);
  return decodeBase64Strict(textOnly(certificates[0]!, 'X509Certificate'), 'X509Certificate');
}

function holderCertificateOf(statement: Element): Buffer {
  const subject = childElements(statement).find((e) => isElement(e, SAML11_ASSERTION_NS, 'Subject'));
  const confirmation = subject && childElements(subject).find((e) => isElement(e, SAML11_ASSERTION_NS, 'SubjectConfirmation'));
  if (!confirmation) throw new SignatureError('MALFORMED', 'a statement has no SubjectConfirmation');
  const methods = childElements(confirmation)
    .filter((e) => isElement(e, SAML11_ASSERTION_NS, 'ConfirmationMethod'))
    .map((e) => textOnly(e, 'ConfirmationMethod').trim());
  if (!methods.includes(SAML11_HOLDER_OF_KEY)) throw new SignatureError('MALFORMED', 'the assertion is not holder-of-key');
  const keyInfo = childElements(confirmation).find((e) => isElement(e, DSIG_NS, 'KeyInfo'));
  if (!keyInfo) throw new WsSecurityError('BAD_KEY_INFO', 'the holder-of-key confirmation has no KeyInfo');
  return x509CertificateOf(keyInfo, 'the holder-of-key KeyInfo');
}

function attributesOf(statement: Element): SamlAttribute[] {
  return childElements(statement)
    .filter((e) => isElement(e, SAML11_ASSERTION_NS, 'Attribute'))
    .map((attribute) => ({
      namespace: plainAttribute(attribute, 'AttributeNamespace') ?? '',
      name: plainAttribute(attribute, 'AttributeName') ?? '',
      values: childElements(attribute)
        .filter((e) => isElement(e, SAML11_ASSERTION_NS, 'AttributeValue'))
        .map((value) => value.textContent ?? ''),
    }));
}
