import type { ElementView } from './element-view-interface.js';
import { childElements, textOf, XmlParseError, type Element } from './parse.js';

class DomElementView implements ElementView {
  constructor(private readonly element: Element) {}
  get namespaceURI(): string | null {
    return this.element.namespaceURI ?? null;
  }
  get localName(): string {
    return this.element.localName!;
  }
  children(): ElementView[] {
    return childElements(this.element).map((child) => new DomElementView(child));
  }
  text(): string {
    return textOf(this.element);
  }
}

export function domElementView(element: Element): ElementView {
  return new DomElementView(element);
}

/** Element children with that namespace and local name (namespace-exact, never by prefix). */
export function viewChildrenNamed(parent: ElementView, namespace: string | null, localName: string): ElementView[] {
  return parent.children().filter((child) => child.localName === localName && child.namespaceURI === namespace);
}

/** The single child with that name, undefined when absent; throws when repeated. */
export function viewOptionalChild(parent: ElementView, namespace: string | null, localName: string): ElementView | undefined {
  const found = viewChildrenNamed(parent, namespace, localName);
  if (found.length > 1) throw new XmlParseError('MALFORMED', `element ${localName} appears more than once`);
  return found[0];
}

/** The single child with that name; throws when absent or repeated. */
export function viewRequiredChild(parent: ElementView, namespace: string | null, localName: string): ElementView {
  const found = viewOptionalChild(parent, namespace, localName);
  if (!found) throw new XmlParseError('MALFORMED', `element ${localName} is missing`);
  return found;
}
