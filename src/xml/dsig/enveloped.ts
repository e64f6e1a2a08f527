import { createHash, randomUUID, type KeyObject } from 'node:crypto';
import { XMLSerializer } from '@xmldom/xmldom';
import type { RevocationChecker, TrustStore } from '../../trust/index.js';
import type { KeyUsageName, ParsedCertificate } from '../../x509/certificate.js';
import { childElements, parseXmlStrict, type Element } from '../parse.js';
import {
  DIGEST_METHODS,
  DSIG_NS,
  ENVELOPED_SIGNATURE,
  EXC_C14N,
  SIGNATURE_METHODS,
  XMLNS_NS,
  type DigestMethodName,
  type SignatureMethodName,
} from './algorithms.js';
import { canonicalizeExclusive } from './canonicalize.js';
import { assertScanClean, qualifiedKey, scanDocument } from './document-scan.js';
import { SignatureError, shown, signatureReasonForTrust } from './errors.js';
import { verifiedSigner, type VerifiedSigner } from './signer.js';
import { dsElement, signCanonical } from './signing.js';
import {
  checkReferenceDigest,
  decodeBase64Strict,
  isElement,
  parseSignature,
  plainAttribute,
  strictChildren,
  textOnly,
  verifySignatureValue,
  type SignaturePolicy,
} from './signature-element.js';

export const DEFAULT_ENVELOPED_SIGNATURE_METHODS: readonly SignatureMethodName[] = ['rsa-sha256', 'rsa-sha1', 'ecdsa-sha256', 'ecdsa-sha384'];
export const DEFAULT_ENVELOPED_DIGEST_METHODS: readonly DigestMethodName[] = ['sha256', 'sha1'];

/** More certificates than any real chain has: the list is untrusted input fed to path building. */
const MAX_X509_CERTIFICATES = 10;

export interface EnvelopedVerifyOptions {
  trust: TrustStore;
  at: Date;
  revocation?: RevocationChecker;
  allowedSignatureMethods?: readonly SignatureMethodName[];
  allowedDigestMethods?: readonly DigestMethodName[];
  /** Key usages the signer certificate must carry (e.g. nonRepudiation for the eID signature key). */
  requiredKeyUsage?: readonly KeyUsageName[];
}

export interface EnvelopedVerification {
  readonly signer: VerifiedSigner;
  /** The element the signature covers (the request element): read request fields from this element only. */
  readonly signedElement: Element;
}

/**
 * Verifies the RA v2 enveloped signature of a request element (docs/wire-facts.md §4.1):
 * one ds:Signature in the whole document, the last child of the request element; one Reference to `#` + the request's
 * Id (unique in the document) with transforms enveloped-signature then exc-c14n; KeyInfo/X509Data with the signer
 * certificate first and its chain after it.
 *
 * The signer is the first X509Certificate, by rule: its key alone verifies the SignatureValue and its identity is
 * returned, so another certificate in X509Data can neither be substituted nor lend its identity. The remaining
 * certificates only help build the path, which must end at a configured anchor.
 *
 * Order: structure → algorithm policy → reference → digest → SignatureValue → path validation (revocation I/O
 * runs last, only for signatures that already verified).
 */
export async function verifyEnvelopedSignature(requestElement: Element, options: EnvelopedVerifyOptions): Promise<EnvelopedVerification> {
  const document = requestElement.ownerDocument;
  if (!document) throw new SignatureError('MALFORMED', 'the request element belongs to no document');
  const scan = scanDocument(document, [[DSIG_NS, 'Signature']]);
  const signatures = scan.named.get(qualifiedKey(DSIG_NS, 'Signature')) ?? [];
  if (signatures.length === 0) throw new SignatureError('MISSING', 'the request is not signed');
  if (signatures.length > 1) throw new SignatureError('MALFORMED', `the document holds ${signatures.length} signatures, exactly one is accepted`);
  const signature = signatures[0]!;
  if (childElements(requestElement).at(-1) !== signature) throw new SignatureError('MALFORMED', 'the Signature is not the last child of the request element');

  assertScanClean(scan);
  const requestId = plainAttribute(requestElement, 'Id');
  if (!requestId) throw new SignatureError('BAD_REFERENCE', 'the request element has no Id');

  const parsed = parseSignature(signature, envelopedPolicy(options));
  const reference = parsed.references[0]!;
  // The second test is redundant while duplicate Ids are refused above; it keeps the rule local and explicit.
  if (reference.targetId !== requestId || scan.plainIds.get(requestId) !== requestElement) {
    throw new SignatureError(
      'BAD_REFERENCE',
      `the Reference points to ${shown(`#${reference.targetId}`)}, not to the request element ${shown(`#${requestId}`)}`,
    );
  }

  const certificates = x509Certificates(parsed.keyInfo);
  let signerInfo: ParsedCertificate;
  try {
    signerInfo = options.trust.certificate(certificates[0]!);
  } catch (error) {
    throw new SignatureError('MALFORMED', `the signer certificate cannot be parsed: ${(error as Error).message}`);
  }

  checkReferenceDigest(reference, requestElement, signature);
  verifySignatureValue(parsed, signerInfo.publicKey);

  const trust = await options.trust.validate(certificates[0]!, {
    chain: certificates.slice(1),
    at: options.at,
    revocation: options.revocation,
    requiredKeyUsage: options.requiredKeyUsage,
  });
  if (!trust.ok) throw new SignatureError(signatureReasonForTrust(trust.reason), trust.detail, trust.reason);

  return { signedElement: requestElement, signer: verifiedSigner(trust) };
}

function envelopedPolicy(options: EnvelopedVerifyOptions): SignaturePolicy {
  return {
    signatureMethods: new Set(options.allowedSignatureMethods ?? DEFAULT_ENVELOPED_SIGNATURE_METHODS),
    digestMethods: new Set(options.allowedDigestMethods ?? DEFAULT_ENVELOPED_DIGEST_METHODS),
    transformSequences: [[ENVELOPED_SIGNATURE, EXC_C14N]],
    maxReferences: 1,
  };
}

/** KeyInfo must be exactly one X509Data holding only X509Certificate elements. */
function x509Certificates(keyInfo: Element): Buffer[] {
  const [x509Data, ...extra] = strictChildren(keyInfo, 'KeyInfo');
  if (!x509Data || !isElement(x509Data, DSIG_NS, 'X509Data') || extra.length > 0)
    throw new SignatureError('MALFORMED', 'KeyInfo must hold exactly one X509Data');
  const entries = strictChildren(x509Data, 'X509Data');
  if (entries.length === 0) throw new SignatureError('MALFORMED', 'X509Data holds no certificate');
  if (entries.length > MAX_X509_CERTIFICATES) throw new SignatureError('MALFORMED', `X509Data holds more than ${MAX_X509_CERTIFICATES} certificates`);
  return entries.map((entry) => {
    if (!isElement(entry, DSIG_NS, 'X509Certificate'))
      throw new SignatureError('MALFORMED', `X509Data may only hold X509Certificate, found ${shown(entry.localName)}`);
    return decodeBase64Strict(textOnly(entry, 'X509Certificate'), 'X509Certificate');
  });
}

export interface EnvelopedSignOptions {
  key: KeyObject;
  /** DER certificates, signer first, then its chain (all go into X509Data, as the connector does). */
  certificateChain: readonly Buffer[];
  /** Default: rsa-sha256 for RSA keys, ecdsa-sha256 for EC keys. */
  signatureMethod?: SignatureMethodName;
  /** Default sha256. */
  digestMethod?: DigestMethodName;
  /** Prefix of the Signature's Id. Default 'xmldsig-' (Id="xmldsig-<uuid>"). */
  idPrefix?: string;
}

/**
 * Signs a request element the way the eHealth connector does (RaUtils.sign / Santuario): the element gets an Id
 * (`_<uuid>`) when it has none; ds:Signature (Id="xmldsig-<uuid>") is appended as its last child, with one Reference to
 * `#<Id>`, transforms enveloped-signature then exc-c14n, and KeyInfo/X509Data listing the whole chain, signer first.
 *
 * `target` is XML text (its root element is signed) or an element of a document, which is modified in place.
 * Returns the serialised document.
 */
export function signEnveloped(target: string | Element, options: EnvelopedSignOptions): string {
  const element = typeof target === 'string' ? parseXmlStrict(target).documentElement! : target;
  const document = element.ownerDocument;
  if (!document) throw new Error('the element belongs to no document');
  const keyType = options.key.asymmetricKeyType;
  const signatureMethod = options.signatureMethod ?? (keyType === 'ec' ? 'ecdsa-sha256' : 'rsa-sha256');
  const method = SIGNATURE_METHODS[signatureMethod];
  if (method.keyType !== keyType) throw new Error(`signature method ${signatureMethod} needs a ${method.keyType} key, got ${keyType}`);
  const digestMethod = options.digestMethod ?? 'sha256';
  if (options.certificateChain.length === 0) throw new Error('certificateChain must hold at least the signer certificate');
  if (childElements(element).some((child) => isElement(child, DSIG_NS, 'Signature'))) throw new Error('the element is already signed');

  let id = plainAttribute(element, 'Id');
  if (!id) {
    id = `_${randomUUID()}`;
    element.setAttribute('Id', id);
  }
  // Digest before the Signature exists: identical to the enveloped-signature transform's output.
  const digest = createHash(digestMethod).update(canonicalizeExclusive(element), 'utf8').digest('base64');

  const ds = (name: string, attributes: Record<string, string> = {}, ...children: Array<Element | string>): Element =>
    dsElement(document, name, attributes, children);
  const signedInfo = ds(
    'SignedInfo',
    {},
    ds('CanonicalizationMethod', { Algorithm: EXC_C14N }),
    ds('SignatureMethod', { Algorithm: method.uri }),
    ds(
      'Reference',
      { URI: `#${id}` },
      ds('Transforms', {}, ds('Transform', { Algorithm: ENVELOPED_SIGNATURE }), ds('Transform', { Algorithm: EXC_C14N })),
      ds('DigestMethod', { Algorithm: DIGEST_METHODS[digestMethod].uri }),
      ds('DigestValue', {}, digest),
    ),
  );
  const signatureValue = ds('SignatureValue');
  const signature = ds(
    'Signature',
    { Id: `${options.idPrefix ?? 'xmldsig-'}${randomUUID()}` },
    signedInfo,
    signatureValue,
    ds('KeyInfo', {}, ds('X509Data', {}, ...options.certificateChain.map((der) => ds('X509Certificate', {}, der.toString('base64'))))),
  );
  signature.setAttributeNS(XMLNS_NS, 'xmlns:ds', DSIG_NS);
  element.appendChild(signature);
  signatureValue.appendChild(document.createTextNode(signCanonical(signatureMethod, options.key, canonicalizeExclusive(signedInfo)).toString('base64')));
  return new XMLSerializer().serializeToString(document);
}
