import { DOMParser } from '@xmldom/xmldom';
import type { Document, Element, Node } from '@xmldom/xmldom';

export type { Document, Element, Node };

export const ELEMENT_NODE = 1;
export const TEXT_NODE = 3;
export const CDATA_SECTION_NODE = 4;
export const PROCESSING_INSTRUCTION_NODE = 7;
export const COMMENT_NODE = 8;

export interface ParseLimits {
  /** Largest accepted document, in bytes. */
  maxBytes: number;
  /** Deepest accepted element nesting. */
  maxDepth: number;
  /** Most elements in one document (guards against huge flat documents within the byte cap). */
  maxElements: number;
}
export const DEFAULT_PARSE_LIMITS: ParseLimits = { maxBytes: 1024 * 1024, maxDepth: 64, maxElements: 20_000 };

export type XmlRejection = 'TOO_LARGE' | 'DTD_FORBIDDEN' | 'PROCESSING_INSTRUCTION' | 'MALFORMED' | 'TOO_DEEP' | 'TOO_MANY_ELEMENTS';

export class XmlParseError extends Error {
  constructor(readonly reason: XmlRejection, message: string) {
    super(message);
    this.name = 'XmlParseError';
  }
}

/**
 * Strict, hardened XML parsing: DTDs, entity declarations and processing instructions are refused before the
 * parser sees them, any parser warning or error is fatal, and size, depth and element count are capped.
 */
export function parseXmlStrict(text: string, limits: ParseLimits = DEFAULT_PARSE_LIMITS): Document {
  if (Buffer.byteLength(text, 'utf8') > limits.maxBytes) {
    throw new XmlParseError('TOO_LARGE', `XML document larger than ${limits.maxBytes} bytes`);
  }
  if (/<!DOCTYPE/i.test(text) || /<!ENTITY/i.test(text)) {
    throw new XmlParseError('DTD_FORBIDDEN', 'DOCTYPE and ENTITY declarations are not accepted');
  }
  const body = text.replace(/^\uFEFF?\s*<\?xml\s[^?]*\?>/, '');
  if (body.includes('<?')) {
    throw new XmlParseError('PROCESSING_INSTRUCTION', 'processing instructions are not accepted');
  }
  let failure: string | undefined;
  const parser = new DOMParser({
    onError: (level: string, message: string) => {
      // xmldom reports recoverable problems as warnings; a SOAP message with any of them is malformed.
      failure ??= `${level}: ${message}`;
    },
  });
  let document: Document;
  try {
    document = parser.parseFromString(text, 'text/xml');
  } catch (error) {
    throw new XmlParseError('MALFORMED', `malformed XML: ${(error as Error).message.split('\n')[0]}`);
  }
  if (failure) throw new XmlParseError('MALFORMED', `malformed XML: ${failure.split('\n')[0]}`);
  if (!document.documentElement) throw new XmlParseError('MALFORMED', 'malformed XML: no root element');
  checkShape(document.documentElement, limits);
  return document;
}

function checkShape(root: Element, limits: ParseLimits): void {
  let elements = 0;
  const stack: Array<{ node: Node; depth: number }> = [{ node: root, depth: 1 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (node.nodeType === PROCESSING_INSTRUCTION_NODE) {
      throw new XmlParseError('PROCESSING_INSTRUCTION', 'processing instructions are not accepted');
    }
    if (node.nodeType !== ELEMENT_NODE) continue;
    if (depth > limits.maxDepth) throw new XmlParseError('TOO_DEEP', `XML nesting deeper than ${limits.maxDepth}`);
    if (++elements > limits.maxElements) throw new XmlParseError('TOO_MANY_ELEMENTS', `more than ${limits.maxElements} elements`);
    for (let child = node.firstChild; child; child = child.nextSibling) stack.push({ node: child, depth: depth + 1 });
  }
}

/** Element children in document order. */
export function childElements(parent: Node): Element[] {
  const result: Element[] = [];
  for (let child = parent.firstChild; child; child = child.nextSibling) {
    if (child.nodeType === ELEMENT_NODE) result.push(child as Element);
  }
  return result;
}

/** Element children with the given namespace and local name (namespace-exact, never by prefix). */
export function childrenNamed(parent: Node, namespace: string | null, localName: string): Element[] {
  return childElements(parent).filter((e) => e.localName === localName && (e.namespaceURI ?? null) === namespace);
}

/** The single child with that name, undefined when absent; throws when repeated. */
export function optionalChild(parent: Node, namespace: string | null, localName: string): Element | undefined {
  const found = childrenNamed(parent, namespace, localName);
  if (found.length > 1) throw new XmlParseError('MALFORMED', `element ${localName} appears more than once`);
  return found[0];
}

/** All descendants (not the node itself) with that name. */
export function descendantsNamed(root: Node, namespace: string | null, localName: string): Element[] {
  const result: Element[] = [];
  const stack: Node[] = [];
  for (let child = root.lastChild; child; child = child.previousSibling) stack.push(child);
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node.nodeType !== ELEMENT_NODE) continue;
    const element = node as Element;
    if (element.localName === localName && (element.namespaceURI ?? null) === namespace) result.push(element);
    for (let child = element.lastChild; child; child = child.previousSibling) stack.push(child);
  }
  return result;
}

/** Text content of an element that must not contain child elements. */
export function textOf(element: Element): string {
  let text = '';
  for (let child = element.firstChild; child; child = child.nextSibling) {
    if (child.nodeType === TEXT_NODE || child.nodeType === CDATA_SECTION_NODE) text += child.nodeValue ?? '';
    else if (child.nodeType === ELEMENT_NODE) throw new XmlParseError('MALFORMED', `element ${element.localName} must hold text only`);
  }
  return text;
}
