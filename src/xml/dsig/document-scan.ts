import { ELEMENT_NODE, type Document, type Element, type Node } from '../parse.js';
import { SignatureError, shown } from './errors.js';

export const WSU_NS = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd';

const ID_NAMES = new Set(['Id', 'ID', 'id']);

export interface DocumentScan {
  /** Watched elements in document order, keyed by `{namespace}localName`. */
  readonly named: ReadonlyMap<string, readonly Element[]>;
  /** Elements by wsu:Id value (namespace-exact, whatever the prefix). */
  readonly wsuIds: ReadonlyMap<string, Element>;
  /** Elements by their no-namespace `Id` attribute. */
  readonly plainIds: ReadonlyMap<string, Element>;
  /**
   * Refusals found on the way, for the verifier to raise at the right step of its order:
   * - an Id/ID/id value (any namespace) used twice: a reference must resolve to one element;
   * - an attribute whose name starts with "xmlns" without being a namespace declaration: the canonicalizer skips it,
   *   so it would sit in a signed element without being signed.
   */
  readonly duplicateId: string | undefined;
  readonly unsignableAttribute: string | undefined;
}

/** Raises the scan's refusals (BAD_REFERENCE for a duplicate Id, MALFORMED for an unsignable attribute). */
export function assertScanClean(scan: DocumentScan): void {
  if (scan.unsignableAttribute)
    throw new SignatureError('MALFORMED', `attribute ${shown(scan.unsignableAttribute)} is neither a namespace declaration nor signable`);
  if (scan.duplicateId !== undefined)
    throw new SignatureError('BAD_REFERENCE', `the Id value ${shown(scan.duplicateId)} appears more than once in the document`);
}

export const qualifiedKey = (namespace: string, localName: string): string => `{${namespace}}${localName}`;

/** One walk over the whole document, collecting what the verifiers need so that nothing is looked up by XPath. */
export function scanDocument(document: Document, watched: ReadonlyArray<readonly [string, string]>): DocumentScan {
  const watchedKeys = new Set(watched.map(([ns, local]) => qualifiedKey(ns, local)));
  const named = new Map<string, Element[]>();
  const wsuIds = new Map<string, Element>();
  const plainIds = new Map<string, Element>();
  const idValues = new Set<string>();
  let duplicateId: string | undefined;
  let unsignableAttribute: string | undefined;
  const stack: Node[] = document.documentElement ? [document.documentElement] : [];
  while (stack.length > 0) {
    const element = stack.pop() as Element;
    if (element.namespaceURI) {
      const key = qualifiedKey(element.namespaceURI, element.localName!);
      if (watchedKeys.has(key)) push(named, key, element);
    }
    const attributes = element.attributes;
    for (let i = 0; i < attributes.length; i++) {
      const attribute = attributes.item(i)!;
      const name = attribute.name;
      if (name.startsWith('xmlns') && name !== 'xmlns' && !name.startsWith('xmlns:')) unsignableAttribute ??= name;
      if (attribute.prefix === 'xmlns' || name === 'xmlns' || !ID_NAMES.has(attribute.localName!)) continue;
      const value = attribute.value;
      if (idValues.has(value)) duplicateId ??= value;
      idValues.add(value);
      if (attribute.namespaceURI === WSU_NS && attribute.localName === 'Id') wsuIds.set(value, element);
      else if (!attribute.namespaceURI && attribute.localName === 'Id') plainIds.set(value, element);
    }
    for (let child = element.lastChild; child; child = child.previousSibling) {
      if (child.nodeType === ELEMENT_NODE) stack.push(child);
    }
  }
  // Children are pushed last-first, so elements are visited (and listed) in document order.
  return { named, wsuIds, plainIds, duplicateId, unsignableAttribute };
}

function push(map: Map<string, Element[]>, key: string, element: Element): void {
  const list = map.get(key);
  if (list) list.push(element);
  else map.set(key, [element]);
}
