import { sign, type KeyObject } from 'node:crypto';
import type { Document, Element } from '../parse.js';
import { DSIG_NS, SIGNATURE_METHODS, type SignatureMethodName } from './algorithms.js';

/** Signs canonical SignedInfo text (RSA PKCS#1 v1.5, or ECDSA as r||s as XML-DSig requires). */
export function signCanonical(signatureMethod: SignatureMethodName, key: KeyObject, canonicalSignedInfo: string): Buffer {
  const method = SIGNATURE_METHODS[signatureMethod];
  const data = Buffer.from(canonicalSignedInfo, 'utf8');
  return method.keyType === 'rsa' ? sign(method.hash, data, key) : sign(method.hash, data, { key, dsaEncoding: 'ieee-p1363' });
}

/** A ds:-prefixed element with attributes and children (text children are created as text nodes). */
export function dsElement(document: Document, name: string, attributes: Record<string, string>, children: ReadonlyArray<Element | string>): Element {
  const element = document.createElementNS(DSIG_NS, `ds:${name}`);
  for (const [attribute, value] of Object.entries(attributes)) element.setAttribute(attribute, value);
  for (const child of children) element.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  return element;
}
