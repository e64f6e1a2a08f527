import { constants, createHash, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import { CDATA_SECTION_NODE, ELEMENT_NODE, TEXT_NODE, type Element } from '../parse.js';
import {
  DIGEST_METHODS,
  DSIG_NS,
  EXC_C14N,
  EXC_C14N_NS,
  SIGNATURE_METHODS,
  digestMethodByUri,
  signatureMethodByUri,
  type DigestMethodName,
  type SignatureMethodName,
} from './algorithms.js';
import { canonicalizeExclusive } from './canonicalize.js';
import { SignatureError, shown } from './errors.js';

/** What a profile accepts in SignedInfo. */
export interface SignaturePolicy {
  readonly signatureMethods: ReadonlySet<SignatureMethodName>;
  readonly digestMethods: ReadonlySet<DigestMethodName>;
  /** The exact Transform algorithm sequences accepted, e.g. [[enveloped, exc-c14n]]. */
  readonly transformSequences: ReadonlyArray<readonly string[]>;
  readonly maxReferences: number;
}

export interface ParsedReference {
  readonly element: Element;
  /** The URI without its '#'. */
  readonly targetId: string;
  readonly digestMethod: DigestMethodName;
  readonly digestValue: Buffer;
  /** PrefixList of the exc-c14n transform's InclusiveNamespaces. */
  readonly inclusivePrefixes: readonly string[];
}

export interface ParsedSignature {
  readonly element: Element;
  readonly signedInfo: Element;
  readonly signedInfoPrefixes: readonly string[];
  readonly signatureMethod: SignatureMethodName;
  readonly references: readonly ParsedReference[];
  readonly signatureValue: Buffer;
  readonly keyInfo: Element;
}

const MAX_RSA_MODULUS_BITS = 8192;
const ID_REFERENCE = /^#([A-Za-z_\u00C0-\uFFFF][\w.\-\u00B7\u00C0-\uFFFF]*)$/;
const NCNAME = /^[A-Za-z_\u00C0-\uFFFF][\w.\-\u00B7\u00C0-\uFFFF]*$/;

/**
 * Parses a ds:Signature strictly: exactly SignedInfo, SignatureValue, KeyInfo (no Object, no Manifest), SignedInfo
 * exactly CanonicalizationMethod (exc-c14n), SignatureMethod, Reference+; every algorithm checked against the policy.
 * Values are read from text nodes only, which is what the canonical SignedInfo contains: a comment inside
 * DigestValue (CVE-2025-29775) can never be read as the digest.
 */
export function parseSignature(signature: Element, policy: SignaturePolicy): ParsedSignature {
  const [signedInfo, signatureValueElement, keyInfo, ...extra] = strictChildren(signature, 'Signature');
  expectDsig(signedInfo, 'SignedInfo');
  expectDsig(signatureValueElement, 'SignatureValue');
  if (!keyInfo) throw new SignatureError('MALFORMED', 'the Signature has no KeyInfo');
  expectDsig(keyInfo, 'KeyInfo');
  if (extra.length > 0) throw new SignatureError('MALFORMED', `unexpected ${shown(extra[0]!.localName)} in Signature`);

  const [c14nMethod, signatureMethodElement, ...referenceElements] = strictChildren(signedInfo, 'SignedInfo');
  expectDsig(c14nMethod, 'CanonicalizationMethod');
  expectDsig(signatureMethodElement, 'SignatureMethod');
  if (referenceElements.length === 0) throw new SignatureError('MALFORMED', 'SignedInfo has no Reference');
  for (const reference of referenceElements) expectDsig(reference, 'Reference');
  if (referenceElements.length > policy.maxReferences) {
    throw new SignatureError('BAD_REFERENCE', `SignedInfo has ${referenceElements.length} references, at most ${policy.maxReferences} are accepted`);
  }

  const c14nAlgorithm = algorithmOf(c14nMethod!);
  if (c14nAlgorithm !== EXC_C14N) throw new SignatureError('BAD_ALGORITHM', `CanonicalizationMethod ${shown(c14nAlgorithm)} is not accepted`);
  const signedInfoPrefixes = inclusivePrefixesOf(c14nMethod!);

  const signatureMethodUri = algorithmOf(signatureMethodElement!);
  const signatureMethod = signatureMethodByUri(signatureMethodUri);
  if (!signatureMethod || !policy.signatureMethods.has(signatureMethod)) {
    throw new SignatureError('BAD_ALGORITHM', `SignatureMethod ${shown(signatureMethodUri)} is not accepted`);
  }
  // HMACOutputLength and the like only make sense for algorithms we refuse.
  if (strictChildren(signatureMethodElement!, 'SignatureMethod').length > 0) throw new SignatureError('MALFORMED', 'SignatureMethod must be empty');

  const references = referenceElements.map((reference) => parseReference(reference, policy));
  const seen = new Set<string>();
  for (const reference of references) {
    if (seen.has(reference.targetId)) throw new SignatureError('BAD_REFERENCE', `${shown(`#${reference.targetId}`)} is referenced twice`);
    seen.add(reference.targetId);
  }

  return {
    element: signature,
    signedInfo: signedInfo!,
    signedInfoPrefixes,
    signatureMethod,
    references,
    signatureValue: decodeBase64Strict(textOnly(signatureValueElement!, 'SignatureValue'), 'SignatureValue'),
    keyInfo,
  };
}

function parseReference(reference: Element, policy: SignaturePolicy): ParsedReference {
  const uri = plainAttribute(reference, 'URI');
  const match = uri === undefined ? null : ID_REFERENCE.exec(uri);
  if (!match) throw new SignatureError('BAD_REFERENCE', `Reference URI ${shown(uri)} is not a same-document "#Id" reference`);
  const children = strictChildren(reference, 'Reference');
  // Without Transforms a same-document reference would be canonicalised with inclusive c14n: require them.
  const [transforms, digestMethodElement, digestValueElement, ...extra] = children;
  expectDsig(transforms, 'Transforms');
  expectDsig(digestMethodElement, 'DigestMethod');
  expectDsig(digestValueElement, 'DigestValue');
  if (extra.length > 0) throw new SignatureError('MALFORMED', 'unexpected element in Reference');

  const transformElements = strictChildren(transforms!, 'Transforms');
  for (const transform of transformElements) expectDsig(transform, 'Transform');
  const algorithms = transformElements.map(algorithmOf);
  const accepted = policy.transformSequences.some((sequence) => sequence.length === algorithms.length && sequence.every((a, i) => algorithms[i] === a));
  if (!accepted) throw new SignatureError('BAD_ALGORITHM', `Transforms [${algorithms.map(shown).join(', ')}] are not accepted`);
  let inclusivePrefixes: readonly string[] = [];
  transformElements.forEach((transform, index) => {
    if (algorithms[index] === EXC_C14N) inclusivePrefixes = inclusivePrefixesOf(transform);
    else if (strictChildren(transform, 'Transform').length > 0) throw new SignatureError('MALFORMED', 'unexpected parameters in Transform');
  });

  const digestUri = algorithmOf(digestMethodElement!);
  const digestMethod = digestMethodByUri(digestUri);
  if (!digestMethod || !policy.digestMethods.has(digestMethod)) throw new SignatureError('BAD_ALGORITHM', `DigestMethod ${shown(digestUri)} is not accepted`);
  if (strictChildren(digestMethodElement!, 'DigestMethod').length > 0) throw new SignatureError('MALFORMED', 'DigestMethod must be empty');
  const digestValue = decodeBase64Strict(textOnly(digestValueElement!, 'DigestValue'), 'DigestValue');
  if (digestValue.length !== DIGEST_METHODS[digestMethod].length) throw new SignatureError('MALFORMED', `DigestValue has the wrong length for ${digestMethod}`);
  return { element: reference, targetId: match[1]!, digestMethod, digestValue, inclusivePrefixes };
}

/** Canonical SignedInfo: the bytes the SignatureValue signs. */
export function canonicalSignedInfo(parsed: ParsedSignature): string {
  return canonicalize(parsed.signedInfo, { inclusivePrefixes: parsed.signedInfoPrefixes });
}

/** Verifies SignatureValue over the canonical SignedInfo with the given key; throws BAD_ALGORITHM / BAD_SIGNATURE_VALUE. */
export function verifySignatureValue(parsed: ParsedSignature, publicKey: KeyObject): void {
  const method = SIGNATURE_METHODS[parsed.signatureMethod];
  // The key type must match the declared algorithm; node:crypto would otherwise pick the scheme from the key.
  if (publicKey.asymmetricKeyType !== method.keyType) {
    throw new SignatureError('BAD_ALGORITHM', `SignatureMethod ${parsed.signatureMethod} does not match a ${publicKey.asymmetricKeyType} key`);
  }
  // Huge RSA keys only make verification expensive; path validation refuses them too, but runs later for RA v2.
  if ((publicKey.asymmetricKeyDetails?.modulusLength ?? 0) > MAX_RSA_MODULUS_BITS) {
    throw new SignatureError('BAD_ALGORITHM', `RSA keys above ${MAX_RSA_MODULUS_BITS} bits are not accepted`);
  }
  const data = Buffer.from(canonicalSignedInfo(parsed), 'utf8');
  let valid = false;
  try {
    valid =
      method.keyType === 'rsa'
        ? verify(method.hash, data, { key: publicKey, padding: constants.RSA_PKCS1_PADDING }, parsed.signatureValue)
        : verify(method.hash, data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, parsed.signatureValue); // XML-DSig ECDSA is r||s
  } catch {
    valid = false;
  }
  if (!valid) throw new SignatureError('BAD_SIGNATURE_VALUE', 'the SignatureValue does not verify with the signer certificate');
}

/** Digests the canonical form of `target` and compares it with the Reference in constant time. Returns the canonical text. */
export function checkReferenceDigest(reference: ParsedReference, target: Element, exclude?: Element): string {
  const canonical = canonicalize(target, { exclude, inclusivePrefixes: reference.inclusivePrefixes });
  const actual = createHash(reference.digestMethod).update(canonical, 'utf8').digest();
  if (actual.length !== reference.digestValue.length || !timingSafeEqual(actual, reference.digestValue)) {
    throw new SignatureError('DIGEST_MISMATCH', `the digest of ${shown(`#${reference.targetId}`)} does not match its content`);
  }
  return canonical;
}

function canonicalize(element: Element, options: Parameters<typeof canonicalizeExclusive>[1]): string {
  try {
    return canonicalizeExclusive(element, options);
  } catch (error) {
    throw new SignatureError('MALFORMED', `cannot canonicalise ${shown(element.localName)}: ${(error as Error).message}`);
  }
}

/** Base64 as XML carries it: whitespace (line breaks, &#13;) anywhere, nothing else outside the alphabet. */
export function decodeBase64Strict(text: string, what: string): Buffer {
  const compact = text.replace(/[ \t\r\n]+/g, '');
  if (compact.length === 0 || compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) {
    throw new SignatureError('MALFORMED', `${what} is not valid base64`);
  }
  return Buffer.from(compact, 'base64');
}

/** Element children; refuses non-whitespace text between them. Comments are tolerated (canonicalisation drops them). */
export function strictChildren(parent: Element, what: string): Element[] {
  const out: Element[] = [];
  for (let child = parent.firstChild; child; child = child.nextSibling) {
    if (child.nodeType === ELEMENT_NODE) out.push(child as Element);
    else if ((child.nodeType === TEXT_NODE || child.nodeType === CDATA_SECTION_NODE) && /[^ \t\r\n]/.test(child.nodeValue ?? '')) {
      throw new SignatureError('MALFORMED', `unexpected text in ${what}`);
    }
  }
  return out;
}

/** Concatenated text and CDATA children (exactly what canonicalisation keeps); refuses child elements. */
export function textOnly(element: Element, what: string): string {
  let text = '';
  for (let child = element.firstChild; child; child = child.nextSibling) {
    if (child.nodeType === TEXT_NODE || child.nodeType === CDATA_SECTION_NODE) text += child.nodeValue ?? '';
    else if (child.nodeType === ELEMENT_NODE) throw new SignatureError('MALFORMED', `${what} must hold text only`);
  }
  return text;
}

/** An attribute without namespace, undefined when absent. */
export function plainAttribute(element: Element, localName: string): string | undefined {
  const attributes = element.attributes;
  for (let i = 0; i < attributes.length; i++) {
    const attribute = attributes.item(i)!;
    if (!attribute.namespaceURI && attribute.localName === localName) return attribute.value;
  }
  return undefined;
}

export function isElement(element: Element | undefined, namespace: string, localName: string): boolean {
  return element !== undefined && element.localName === localName && element.namespaceURI === namespace;
}

function expectDsig(element: Element | undefined, localName: string): asserts element is Element {
  if (!element || !isElement(element, DSIG_NS, localName)) {
    throw new SignatureError('MALFORMED', element ? `expected ds:${localName}, found ${shown(element.localName)}` : `ds:${localName} is missing`);
  }
}

function algorithmOf(element: Element): string {
  const algorithm = plainAttribute(element, 'Algorithm');
  if (!algorithm) throw new SignatureError('MALFORMED', `${shown(element.localName)} has no Algorithm`);
  return algorithm;
}

/** PrefixList of an optional ec:InclusiveNamespaces child (the only child accepted). */
function inclusivePrefixesOf(method: Element): readonly string[] {
  const children = strictChildren(method, method.localName!);
  if (children.length === 0) return [];
  const [inclusive, ...extra] = children;
  if (!inclusive || extra.length > 0 || !isElement(inclusive, EXC_C14N_NS, 'InclusiveNamespaces')) {
    throw new SignatureError('MALFORMED', `unexpected parameters in ${shown(method.localName)}`);
  }
  const prefixes = (plainAttribute(inclusive, 'PrefixList') ?? '').split(/[ \t\r\n]+/).filter((p) => p !== '');
  for (const prefix of prefixes) {
    if (prefix === '#default') throw new SignatureError('BAD_ALGORITHM', 'InclusiveNamespaces "#default" is not supported');
    if (!NCNAME.test(prefix)) throw new SignatureError('MALFORMED', `bad prefix ${shown(prefix)} in InclusiveNamespaces`);
  }
  return prefixes;
}
