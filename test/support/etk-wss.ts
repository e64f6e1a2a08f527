import { createHash, type KeyObject } from 'node:crypto';
import { XMLSerializer } from '@xmldom/xmldom';
import { DSIG_NS, SIGNATURE_METHODS, type DigestMethodName, type SignatureMethodName } from '../../src/xml/dsig/algorithms.js';
import { canonicalizeExclusive } from '../../src/xml/dsig/canonicalize.js';
import { signCanonical } from '../../src/xml/dsig/signing.js';
import { SOAP11_NS, WSSE_NS, WSU_NS } from '../../src/xml/dsig/ws-security-constants.js';
import { signEnvelopeWsSecurity } from '../../src/xml/dsig/ws-security-sign.js';
import { descendantsNamed, parseXmlStrict, type Document, type Element } from '../../src/xml/parse.js';

/** WS-Security X.509 requests to ETKDepot, as WSS4J / zeep clients send them, and tools to tamper with them. */

export interface WssSigner {
  readonly key: KeyObject;
  /** DER signer certificate (goes into the BinarySecurityToken). */
  readonly certificate: Buffer;
}

export interface WssOptions {
  readonly signatureMethod?: SignatureMethodName;
  readonly digestMethod?: DigestMethodName;
  readonly signBinarySecurityToken?: boolean;
  readonly mustUnderstand?: boolean;
  readonly ttlSeconds?: number;
  readonly now?: Date;
}

export function signRequest(envelopeXml: string, signer: WssSigner, options: WssOptions = {}): string {
  return signEnvelopeWsSecurity(envelopeXml, {
    key: signer.key,
    certificate: signer.certificate,
    signatureMethod: options.signatureMethod,
    digestMethod: options.digestMethod,
    signBinarySecurityToken: options.signBinarySecurityToken,
    mustUnderstand: options.mustUnderstand ?? false,
    timestampTtlSeconds: options.ttlSeconds ?? 60,
    now: options.now,
  });
}

export const first = (document: Document | Element, namespace: string, localName: string): Element => {
  const found = descendantsNamed(document, namespace, localName)[0];
  if (!found) throw new Error(`no ${localName}`);
  return found;
};

/** Parses, applies `mutate`, serialises: a tampered message whose signature is left as it was. */
export function tamper(xml: string, mutate: (document: Document) => void): string {
  const document = parseXmlStrict(xml);
  mutate(document);
  return new XMLSerializer().serializeToString(document);
}

/**
 * Applies `mutate`, then recomputes every resolvable DigestValue and the SignatureValue with `key`: a validly signed
 * message, so a refusal can only come from the rule under test (not from a broken signature).
 */
export function tamperAndResign(xml: string, key: KeyObject, mutate: (document: Document) => void): string {
  const document = parseXmlStrict(xml);
  mutate(document);
  const signedInfo = first(document, DSIG_NS, 'SignedInfo');
  const targets = [
    ...descendantsNamed(document, SOAP11_NS, 'Body'),
    ...descendantsNamed(document, WSU_NS, 'Timestamp'),
    ...descendantsNamed(document, WSSE_NS, 'BinarySecurityToken'),
  ];
  for (const reference of descendantsNamed(signedInfo, DSIG_NS, 'Reference')) {
    const id = reference.getAttribute('URI')!.slice(1);
    const target = targets.find((element) => element.getAttributeNS(WSU_NS, 'Id') === id);
    if (!target) continue;
    const digestMethod = first(reference, DSIG_NS, 'DigestMethod').getAttribute('Algorithm')!.endsWith('sha1') ? 'sha1' : 'sha256';
    first(reference, DSIG_NS, 'DigestValue').textContent = createHash(digestMethod).update(canonicalizeExclusive(target)).digest('base64');
  }
  const uri = first(signedInfo, DSIG_NS, 'SignatureMethod').getAttribute('Algorithm')!;
  const method = (Object.keys(SIGNATURE_METHODS) as SignatureMethodName[]).find((name) => SIGNATURE_METHODS[name].uri === uri) ?? 'rsa-sha256';
  first(document, DSIG_NS, 'SignatureValue').textContent = signCanonical(method, key, canonicalizeExclusive(signedInfo)).toString('base64');
  return new XMLSerializer().serializeToString(document);
}

/** faultcode, soa:SystemError Code and Message of a SOAP 1.1 fault. */
export function readFault(body: string): { faultcode: string; code: string; message: string } {
  const document = parseXmlStrict(body);
  const fault = descendantsNamed(document, SOAP11_NS, 'Fault')[0];
  if (!fault) throw new Error(`not a fault: ${body.slice(0, 300)}`);
  const systemError = descendantsNamed(fault, 'urn:be:fgov:ehealth:errors:soa:v1', 'SystemError')[0]!;
  const text = (parent: Element, name: string) => descendantsNamed(parent, null, name)[0]?.textContent ?? '';
  return { faultcode: text(fault, 'faultcode'), code: text(systemError, 'Code'), message: text(systemError, 'Message') };
}
