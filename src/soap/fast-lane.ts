import { matchesShape, one, optional, sequenceElement, type ElementShape } from '../xml/element-shape.js';
import { parseElementTree, type LightElement, type ParseLimits } from '../xml/parse.js';
import { qname } from './endpoint.js';
import { NS } from './namespaces.js';
import type { SoapOperation } from './service.js';

/*
 * The fast lane, for operations that declare one (GetEtk): a request without header entries whose payload has the
 * shape its operation declares is checked against that shape and read from a light element tree (parseElementTree,
 * which screens the text itself): no XSD validation, no DOM unless something asks for call.envelope. A shape accepts
 * a subset of what the schema accepts (fast-lane.test.ts checks it on generated requests). Anything else takes the
 * ordinary path, which gives every refusal its usual fault.
 */

/**
 * A Header with an entry (WS-Security...): such requests take the ordinary path, and this test spares them a light
 * parse first. Only a shortcut: the shape check is what admits a request. Linear: the start tag's attributes are
 * `[^<>]*` (a '<' cannot occur in a tag), so an attempt never reads past the next '<' — with `[^>]*`, text made of
 * unclosed `<Header ` tags made every attempt read to the end (200 KB: 10 s).
 */
const HEADER_WITH_ENTRY = /<(?:[A-Za-z_][\w.-]*:)?Header(?:\s[^<>]*)?>\s*<(?!\/)/;
/** Declarations the fast lane's parser reads exactly as libxml2 does: XML 1.0, in UTF-8 (what the text was decoded as). */
const FAST_LANE_DECLARATION =
  /^\uFEFF?<\?xml\s+version\s*=\s*(["'])1\.0\1(?:\s+encoding\s*=\s*(["'])utf-8\2)?(?:\s+standalone\s*=\s*(["'])(?:yes|no)\3)?\s*\?>/i;

/**
 * The fast lane: accepts only Envelope/Body/payload in the SOAP 1.1 namespace (an empty Header allowed: SAAJ clients
 * such as the connector always send one), no attributes but namespace declarations, whitespace and comments between
 * elements, a payload with its operation's declared shape, and a read that succeeds; undefined otherwise, for the
 * ordinary path.
 */
export function readOnFastLane(
  xml: string,
  limits: ParseLimits,
  operations: ReadonlyMap<string, SoapOperation>,
): { operation: SoapOperation; request: unknown } | undefined {
  if (HEADER_WITH_ENTRY.test(xml)) return undefined;
  if (xml.includes('<?') && !FAST_LANE_DECLARATION.test(xml)) return undefined;
  let root: LightElement;
  try {
    root = parseElementTree(xml, limits);
  } catch {
    return undefined;
  }
  const payload = root.elements[root.elements.length - 1]?.elements[0]; // in the Body, if the shape check agrees
  if (!payload) return undefined;
  const operation = operations.get(qname(payload.namespaceURI ?? '', payload.localName));
  if (!operation?.fastLane || !matchesShape(root, soapEnvelopeShape(operation.fastLane.shape))) return undefined;
  try {
    return { operation, request: operation.fastLane.read(payload) };
  } catch {
    return undefined;
  }
}

const envelopeShapes = new WeakMap<ElementShape, ElementShape>();

/** Envelope with an optional empty Header and one Body holding exactly the payload (SOAP 1.1). */
function soapEnvelopeShape(payload: ElementShape): ElementShape {
  let shape = envelopeShapes.get(payload);
  if (!shape) {
    shape = sequenceElement(NS.soap11, 'Envelope', optional(sequenceElement(NS.soap11, 'Header')), one(sequenceElement(NS.soap11, 'Body', one(payload))));
    envelopeShapes.set(payload, shape);
  }
  return shape;
}
