import { DOMImplementation } from '@xmldom/xmldom';
import type { Document, Element, Node } from '@xmldom/xmldom';
import { SaxesParser, type SaxesAttributeNS, type SaxesTagNS } from 'saxes';
import type { ElementView } from './element-view-interface.js';

export type { Document, Element, Node };

export const ELEMENT_NODE = 1;
export const TEXT_NODE = 3;
export const CDATA_SECTION_NODE = 4;

export interface ParseLimits {
  /** Largest accepted document, in bytes. */
  maxBytes: number;
  /** Deepest accepted element nesting. */
  maxDepth: number;
  /** Most elements in one document (guards against huge flat documents within the byte cap). */
  maxElements: number;
  /** Most attributes on one element, namespace declarations included. */
  maxAttributesPerElement: number;
  /** Most attributes in one document, namespace declarations included. */
  maxAttributes: number;
  /** Most namespace declarations in one document. */
  maxNamespaceDeclarations: number;
}
export const DEFAULT_PARSE_LIMITS: ParseLimits = {
  maxBytes: 1024 * 1024,
  maxDepth: 64,
  maxElements: 20_000,
  maxAttributesPerElement: 256,
  maxAttributes: 4096,
  maxNamespaceDeclarations: 1024,
};

export type XmlRejection =
  | 'TOO_LARGE'
  | 'DTD_FORBIDDEN'
  | 'PROCESSING_INSTRUCTION'
  | 'MALFORMED'
  | 'TOO_DEEP'
  | 'TOO_MANY_ELEMENTS'
  | 'TOO_MANY_ATTRIBUTES'
  | 'TOO_MANY_NAMESPACE_DECLARATIONS';

/** The refusals that are a limit of ours rather than a defect of the document. */
export const LIMIT_REJECTIONS: ReadonlySet<XmlRejection> = new Set([
  'TOO_LARGE',
  'TOO_DEEP',
  'TOO_MANY_ELEMENTS',
  'TOO_MANY_ATTRIBUTES',
  'TOO_MANY_NAMESPACE_DECLARATIONS',
]);

export class XmlParseError extends Error {
  constructor(
    readonly reason: XmlRejection,
    message: string,
  ) {
    super(message);
    this.name = 'XmlParseError';
  }
}

const domImplementation = new DOMImplementation();

/**
 * The refusals decided on the raw text, before any parser sees it: size, DTDs and entity declarations, processing
 * instructions (an XML declaration is allowed), and the structural limits (screenMarkup). Run by parseXmlStrict and
 * parseElementTree, and by the SOAP transport before libxml2 validates a request.
 */
export function screenXmlText(text: string, limits: ParseLimits): void {
  // Characters are at most 3 UTF-8 bytes (4 for a surrogate pair, i.e. 2 per UTF-16 unit): skip the exact count
  // for documents that cannot exceed the limit.
  if (text.length * 3 > limits.maxBytes && Buffer.byteLength(text, 'utf8') > limits.maxBytes) {
    throw new XmlParseError('TOO_LARGE', `XML document larger than ${limits.maxBytes} bytes`);
  }
  if (text.includes('<!') && (/<!DOCTYPE/i.test(text) || /<!ENTITY/i.test(text))) {
    throw new XmlParseError('DTD_FORBIDDEN', 'DOCTYPE and ENTITY declarations are not accepted');
  }
  const declarationEnd = /^\uFEFF?\s*<\?xml\s[^?]*\?>/.exec(text)?.[0].length ?? 0;
  if (text.indexOf('<?', declarationEnd) !== -1) {
    throw new XmlParseError('PROCESSING_INSTRUCTION', 'processing instructions are not accepted');
  }
  screenMarkup(text, limits);
}

const GT = 0x3e;
const SLASH = 0x2f;
const BANG = 0x21;
const QUESTION_MARK = 0x3f;
const EQUALS = 0x3d;
const QUOTE = 0x22;
const APOSTROPHE = 0x27;
const COLON = 0x3a;
const SPACE = 0x20;

/**
 * The structural limits, counted in one pass over the text before any parser sees it: elements, attributes per
 * element and per document, namespace declarations per document.
 *
 * They bound work that is not linear in the size of the text. libxml2 (schema validation) checks each attribute and
 * each namespace declaration of a start tag against the tag's previous ones and appends it to a linked list, and
 * xmldom's attribute map is a list searched on every insertion: one start tag with n attributes costs n² (a SOAP
 * Header of 20,000 namespace declarations took seconds). libxml2 also looks every prefix up through all the
 * declarations in scope, and every element, up to the maximum, has a prefix to look up. The caps keep all of this
 * within a small constant of a linear parse.
 *
 * The counts must hold for whatever a parser reads, malformed documents included: libxml2 does not stop at the first
 * fatal error but goes on reading the rest of the document (without building it). So every '<' starts a construct,
 * as it does for a parser resuming after an error, even inside a comment or a CDATA section; a start tag ends at its
 * first '>' outside quotes, or at the next '<' (a parser stops a tag, quoted value included, at a '<'); each '=' outside
 * quotes in a start tag is one attribute. Exact for a well-formed document (whose comments and CDATA sections hold no
 * '<'), never below what libxml2, saxes or xmldom read.
 *
 * Linear, without allocation: one indexOf per '<'; start tags are read one character at a time, but a quoted value is
 * skipped with indexOf, from one quote to the next of its kind, so no stretch of text is searched twice.
 */
function screenMarkup(text: string, limits: ParseLimits): void {
  if (withinLimitsAtAGlance(text, limits)) return;
  let elements = 0;
  let attributes = 0;
  let namespaceDeclarations = 0;
  let open = text.indexOf('<');
  while (open !== -1) {
    const next = text.indexOf('<', open + 1);
    const first = text.charCodeAt(open + 1);
    // End tags, comments, CDATA sections, the XML declaration (DOCTYPE and processing instructions are refused above):
    // no attributes. Anything else is read as a start tag.
    if (first !== SLASH && first !== BANG && first !== QUESTION_MARK) {
      if (++elements > limits.maxElements) throw new XmlParseError('TOO_MANY_ELEMENTS', `more than ${limits.maxElements} elements`);
      const end = next === -1 ? text.length : next;
      let attributesHere = 0;
      for (let i = open + 1; i < end; i++) {
        const c = text.charCodeAt(i);
        if (c > GT) continue; // letters and '_', most of a name
        if (c === GT) break;
        if (c === QUOTE || c === APOSTROPHE) {
          const close = text.indexOf(c === QUOTE ? '"' : "'", i + 1);
          if (close === -1 || close > end) break; // the value runs into the next '<': the tag ends there
          i = close;
        } else if (c === EQUALS) {
          if (++attributesHere > limits.maxAttributesPerElement) {
            throw new XmlParseError(
              'TOO_MANY_ATTRIBUTES',
              `more than ${limits.maxAttributesPerElement} attributes (namespace declarations included) on one element`,
            );
          }
          if (++attributes > limits.maxAttributes) {
            throw new XmlParseError('TOO_MANY_ATTRIBUTES', `more than ${limits.maxAttributes} attributes (namespace declarations included) in the document`);
          }
          if (isNamespaceDeclaration(text, open, i) && ++namespaceDeclarations > limits.maxNamespaceDeclarations) {
            throw new XmlParseError('TOO_MANY_NAMESPACE_DECLARATIONS', `more than ${limits.maxNamespaceDeclarations} namespace declarations in the document`);
          }
        }
      }
    }
    open = next;
  }
}

/**
 * A shortcut for small documents (every GetEtk): each attribute or namespace declaration has its own '=' and each
 * element its own '<', so a document with fewer characters than the element cap and fewer '=' than the smallest
 * attribute cap is within every limit.
 */
function withinLimitsAtAGlance(text: string, limits: ParseLimits): boolean {
  if (text.length > limits.maxElements) return false;
  const fewestAttributes = Math.min(limits.maxAttributesPerElement, limits.maxAttributes, limits.maxNamespaceDeclarations);
  let equals = 0;
  for (let i = text.indexOf('='); i !== -1; i = text.indexOf('=', i + 1)) {
    if (++equals > fewestAttributes) return false;
  }
  return true;
}

/**
 * Whether the attribute whose '=' is at `equals` is a namespace declaration (xmlns or xmlns:prefix). Reads its name
 * backwards, stopping at the whitespace, quote or '=' before it: the stretches read for two attributes never overlap,
 * so every character of a tag is read at most twice in all.
 */
function isNamespaceDeclaration(text: string, tagStart: number, equals: number): boolean {
  let nameEnd = equals;
  while (nameEnd > tagStart && text.charCodeAt(nameEnd - 1) <= SPACE) nameEnd--;
  let nameStart = nameEnd;
  while (nameStart > tagStart + 1) {
    const c = text.charCodeAt(nameStart - 1);
    if (c <= SPACE || c === QUOTE || c === APOSTROPHE || c === EQUALS) break;
    nameStart--;
  }
  return text.startsWith('xmlns', nameStart) && (nameEnd === nameStart + 5 || text.charCodeAt(nameStart + 5) === COLON);
}

/**
 * Strict, hardened XML parsing into an xmldom Document (what the DSig code and xml-crypto's canonicalizer walk).
 *
 * saxes does the parsing: a strict XML 1.0 + Namespaces parser that refuses any well-formedness error (unbound
 * prefixes, duplicate attributes, characters outside XML 1.0, undefined entities) and normalises line ends and
 * attribute values as the spec requires. It is ~3x faster than xmldom's own parser on SOAP requests, which matters on
 * ETKDepot's hot path (npm run bench:etkdepot). DTDs, entity declarations and processing instructions are refused,
 * and size, depth and element count are capped while the tree is built.
 */
export function parseXmlStrict(text: string, limits: ParseLimits = DEFAULT_PARSE_LIMITS): Document {
  const builder = new DomTreeBuilder(limits);
  runParser(text, limits, builder);
  if (!builder.document.documentElement) throw new XmlParseError('MALFORMED', 'malformed XML: no root element');
  return builder.document;
}

/**
 * The same strict, hardened parse into a light read-only element tree (names, element children, text, and whether
 * there were attributes or CDATA): no DOM is built, no attribute value is kept. For the SOAP transport's fast lane.
 */
export function parseElementTree(text: string, limits: ParseLimits = DEFAULT_PARSE_LIMITS): LightElement {
  const builder = new ElementTreeBuilder(limits);
  runParser(text, limits, builder);
  return builder.root!;
}

function runParser(text: string, limits: ParseLimits, builder: TreeBuilder): void {
  screenXmlText(text, limits);
  activeBuilder = builder;
  try {
    sharedParser ??= createParser();
    sharedParser.write(setAsideBase64Runs(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text)).close();
  } catch (error) {
    sharedParser = undefined; // stopped mid-document: its state is not reusable
    if (error instanceof XmlParseError) throw error;
    throw new XmlParseError('MALFORMED', `malformed XML: ${(error as Error).message.split('\n')[0]}`);
  } finally {
    activeBuilder = undefined;
    setAside.length = 0;
  }
}

/*
 * saxes reads character data one code unit at a time (~20-80 ns each), and SOAP security messages are mostly base64
 * (BinarySecurityToken, SignatureValue, ETKs, CMS): a 5 KB WS-Security request spent most of its parse there. Runs
 * of base64 characters between a '>' and a '<' are therefore set aside before saxes sees the text and put back into
 * the character data (text, CDATA or comment: a '<' cannot occur in an attribute value) by the event handlers. Such
 * a run holds no markup, no reference and no line end, so what saxes checks and what it reports are unchanged.
 */
const BASE64_RUN = />([A-Za-z0-9+/=]{256,})</g;
/** Private-use character: legal XML character data, never in a document we set runs aside from. */
const RUN_MARK = '\uE000';
const RUN_REFERENCE = /\uE000(\d+)\uE000/g;
const setAside: string[] = [];

function setAsideBase64Runs(text: string): string {
  if (text.length < 1024 || text.includes(RUN_MARK)) return text;
  return text.replace(BASE64_RUN, (_match, run: string) => `>${RUN_MARK}${setAside.push(run) - 1}${RUN_MARK}<`);
}

function restoreBase64Runs(data: string): string {
  return setAside.length > 0 && data.includes(RUN_MARK) ? data.replace(RUN_REFERENCE, (_reference, index: string) => setAside[Number(index)]!) : data;
}

// One parser, reused: saxes resets itself after each complete document. Its handlers are instance properties that
// on() adds with computed keys; past six of them V8 turns the parser into a dictionary-mode object and every
// character read slows down ~10x. So exactly six handlers: DOCTYPE and processing instructions never reach saxes
// (parseXmlStrict refuses the raw text first: saxes starts them only at a literal "<!DOCTYPE" or "<?").
// Parsing is synchronous, so the handlers reach the document being built through activeBuilder.
let sharedParser: SaxesParser | undefined;
let activeBuilder: TreeBuilder | undefined;

function createParser(): SaxesParser {
  const parser = new SaxesParser({ xmlns: true, position: false });
  parser.on('opentag', (tag) => activeBuilder!.open(tag as SaxesTagNS));
  parser.on('closetag', () => activeBuilder!.close());
  parser.on('text', (data) => activeBuilder!.text(restoreBase64Runs(data)));
  parser.on('cdata', (data) => activeBuilder!.cdata(restoreBase64Runs(data)));
  parser.on('comment', (data) => activeBuilder!.comment(restoreBase64Runs(data)));
  parser.on('error', (error) => {
    throw new XmlParseError('MALFORMED', `malformed XML: ${error.message.split('\n')[0]}`);
  });
  return parser;
}

/** Receives saxes events; depth and element-count limits are enforced here, for every builder. */
abstract class TreeBuilder {
  protected depth = 0;
  private elements = 0;

  constructor(private readonly limits: ParseLimits) {}

  open(tag: SaxesTagNS): void {
    if (++this.depth > this.limits.maxDepth) throw new XmlParseError('TOO_DEEP', `XML nesting deeper than ${this.limits.maxDepth}`);
    if (++this.elements > this.limits.maxElements) throw new XmlParseError('TOO_MANY_ELEMENTS', `more than ${this.limits.maxElements} elements`);
    this.openElement(tag);
  }

  close(): void {
    this.depth--;
    this.closeElement();
  }

  protected abstract openElement(tag: SaxesTagNS): void;
  protected abstract closeElement(): void;
  abstract text(data: string): void;
  abstract cdata(data: string): void;
  abstract comment(data: string): void;
}

/** Builds an xmldom Document. */
class DomTreeBuilder extends TreeBuilder {
  readonly document: Document = domImplementation.createDocument(null, '', null);
  private current: Node = this.document;

  protected openElement(tag: SaxesTagNS): void {
    const element = this.document.createElementNS(tag.uri || null, tag.name);
    const attributes = tag.attributes as Record<string, SaxesAttributeNS>;
    for (const name in attributes) {
      const attribute = attributes[name]!;
      element.setAttributeNS(attribute.uri || null, attribute.name, attribute.value);
    }
    this.current.appendChild(element);
    this.current = element;
  }

  protected closeElement(): void {
    this.current = this.current.parentNode!;
  }

  text(data: string): void {
    // Only whitespace can occur outside the root element (saxes refuses anything else): it is not part of the tree.
    if (this.depth > 0) this.current.appendChild(this.document.createTextNode(data));
  }

  cdata(data: string): void {
    this.current.appendChild(this.document.createCDATASection(data));
  }

  comment(data: string): void {
    this.current.appendChild(this.document.createComment(data));
  }
}

/** An element of parseElementTree's light tree: what a reader needs, plus what a shape check needs. */
export interface LightElement extends ElementView {
  readonly elements: readonly LightElement[];
  /** Character data directly inside the element (text and CDATA, in document order; comments left out). */
  readonly characters: string;
  /** Whether it carries attributes other than namespace declarations. */
  readonly hasAttributes: boolean;
  /** Whether it holds a CDATA section. */
  readonly hasCdata: boolean;
}

class TreeElement implements LightElement {
  readonly elements: TreeElement[] = [];
  characters = '';
  hasCdata = false;
  constructor(
    readonly namespaceURI: string | null,
    readonly localName: string,
    readonly hasAttributes: boolean,
  ) {}
  children(): ElementView[] {
    return this.elements;
  }
  text(): string {
    if (this.elements.length > 0) throw new XmlParseError('MALFORMED', `element ${this.localName} must hold text only`);
    return this.characters;
  }
}

/** Builds the light tree: element names, element children and character data (text and CDATA). */
class ElementTreeBuilder extends TreeBuilder {
  root: TreeElement | undefined;
  private readonly stack: TreeElement[] = [];

  protected openElement(tag: SaxesTagNS): void {
    const element = new TreeElement(tag.uri || null, tag.local, hasNonNamespaceAttribute(tag));
    const parent = this.stack[this.stack.length - 1];
    if (parent) parent.elements.push(element);
    else this.root = element;
    this.stack.push(element);
  }

  protected closeElement(): void {
    this.stack.pop();
  }

  text(data: string): void {
    if (this.depth > 0) this.stack[this.stack.length - 1]!.characters += data;
  }

  cdata(data: string): void {
    const element = this.stack[this.stack.length - 1]!;
    element.characters += data;
    element.hasCdata = true;
  }

  comment(): void {}
}

function hasNonNamespaceAttribute(tag: SaxesTagNS): boolean {
  const attributes = tag.attributes as Record<string, SaxesAttributeNS>;
  for (const name in attributes) {
    const attribute = attributes[name]!;
    if (attribute.prefix !== 'xmlns' && attribute.name !== 'xmlns') return true;
  }
  return false;
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
