import type { LightElement } from './parse.js';

/**
 * A content model small enough to check by hand: an element with no attributes whose content is either text (an
 * xs:string: any characters, comments and CDATA allowed) or a sequence of child elements with occurrence bounds
 * (whitespace and comments between them only). An operation declares the shape of its request so that the SOAP
 * transport's fast lane can check a light element tree against it instead of running the XSD validator.
 *
 * A shape must accept a subset of what the schema accepts for that element: every document it accepts must be
 * schema-valid (element-shape.test.ts checks this against libxml2 and our XSDs on generated documents). Whatever a
 * shape does not accept simply takes the ordinary path (full XSD validation), so a shape may be stricter than the
 * schema, never looser.
 */
export type ElementShape = TextShape | SequenceShape;

interface NamedShape {
  readonly namespace: string | null;
  readonly localName: string;
}

export interface TextShape extends NamedShape {
  readonly content: 'text';
}

export interface SequenceShape extends NamedShape {
  readonly content: readonly Particle[];
}

export interface Particle {
  readonly shape: ElementShape;
  readonly min: number;
  readonly max: number;
}

export const textElement = (namespace: string | null, localName: string): TextShape => ({ namespace, localName, content: 'text' });

export const sequenceElement = (namespace: string | null, localName: string, ...content: Particle[]): SequenceShape => ({ namespace, localName, content });

export const one = (shape: ElementShape): Particle => ({ shape, min: 1, max: 1 });
export const optional = (shape: ElementShape): Particle => ({ shape, min: 0, max: 1 });
export const oneOrMore = (shape: ElementShape): Particle => ({ shape, min: 1, max: Infinity });

const XML_WHITESPACE = /^[ \t\r\n]*$/;

/**
 * Whether the element has exactly this shape. Children are matched greedily, in order: right for the deterministic
 * content models XSD requires (Unique Particle Attribution), and a wrong guess can only refuse, never accept.
 */
export function matchesShape(element: LightElement, shape: ElementShape): boolean {
  if (element.localName !== shape.localName || element.namespaceURI !== shape.namespace || element.hasAttributes) return false;
  if (shape.content === 'text') return element.elements.length === 0;
  if (element.hasCdata || !XML_WHITESPACE.test(element.characters)) return false;
  const children = element.elements;
  let next = 0;
  for (const particle of shape.content) {
    let count = 0;
    while (count < particle.max && next < children.length && matchesShape(children[next]!, particle.shape)) {
      next++;
      count++;
    }
    if (count < particle.min) return false;
  }
  return next === children.length;
}
