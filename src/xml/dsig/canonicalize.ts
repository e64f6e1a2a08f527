import { ExclusiveCanonicalization } from 'xml-crypto';
import { CDATA_SECTION_NODE, ELEMENT_NODE, TEXT_NODE, type Element, type Node } from '../parse.js';
import { XMLNS_NS } from './algorithms.js';

/**
 * xml-crypto's exclusive canonicalizer (without comments), driven directly, with three corrections:
 * - an excluded subtree (the enveloped-signature transform) is skipped instead of removed from the caller's DOM;
 * - a no-namespace element below a default-namespaced one makes xml-crypto pass `null` as the default namespace,
 *   after which it emits a redundant `xmlns=""` on every descendant: we normalise it to '' (xmlsec/Santuario agree);
 * - an empty text node makes xml-crypto throw: it canonicalises to nothing.
 */
class Canonicalizer extends ExclusiveCanonicalization {
  constructor(private readonly excluded: Node | undefined) {
    super();
  }

  // biome-ignore lint/suspicious/noExplicitAny: xml-crypto declares processInner with untyped parameters; we only pass them on
  override processInner(node: any, prefixesInScope: any, defaultNs: any, defaultNsForPrefix: any, inclusivePrefixes: string[]): string {
    if (node === this.excluded) return '';
    if ((node.nodeType === TEXT_NODE || node.nodeType === CDATA_SECTION_NODE) && !node.data) return '';
    return super.processInner(node, prefixesInScope, defaultNs ?? '', defaultNsForPrefix, inclusivePrefixes);
  }
}

export interface CanonicalizeOptions {
  /** A descendant left out of the output together with its subtree (enveloped-signature transform). */
  exclude?: Element;
  /** InclusiveNamespaces PrefixList: these prefixes are rendered as in inclusive c14n. '#default' is not supported. */
  inclusivePrefixes?: readonly string[];
}

/**
 * Exclusive XML canonicalization (http://www.w3.org/2001/10/xml-exc-c14n#) of an element and its subtree.
 *
 * We call processInner rather than process(): process() looks for a CanonicalizationMethod child of *any* element by
 * local name to find a prefix list, and writes ancestor namespace declarations into the caller's element.
 */
export function canonicalizeExclusive(element: Element, options: CanonicalizeOptions = {}): string {
  const prefixes = options.inclusivePrefixes ?? [];
  if (prefixes.includes('#default')) throw new Error('InclusiveNamespaces "#default" is not supported');
  let apex = element;
  let excluded: Node | undefined = options.exclude;
  if (prefixes.length > 0) {
    // Inclusive prefixes declared on ancestors must appear on the apex; render them from a detached copy so that the
    // caller's document is never modified.
    const inherited = inheritedDeclarations(element, prefixes);
    if (inherited.length > 0) {
      const path = excluded ? pathFrom(element, excluded) : undefined;
      apex = element.cloneNode(true) as Element;
      for (const { prefix, uri } of inherited) apex.setAttributeNS(XMLNS_NS, `xmlns:${prefix}`, uri);
      excluded = path ? follow(apex, path) : undefined;
    }
  }
  return new Canonicalizer(excluded).processInner(apex, [], '', {}, [...prefixes]);
}

/** Namespace bindings for the given prefixes that are in scope at `element` but declared on an ancestor. */
function inheritedDeclarations(element: Element, prefixes: readonly string[]): Array<{ prefix: string; uri: string }> {
  const wanted = new Set(prefixes);
  for (let attrs = element.attributes, i = 0; i < attrs.length; i++) {
    const attr = attrs.item(i)!;
    if (attr.prefix === 'xmlns') wanted.delete(attr.localName!);
  }
  const found: Array<{ prefix: string; uri: string }> = [];
  for (let node = element.parentNode; node && node.nodeType === ELEMENT_NODE && wanted.size > 0; node = node.parentNode) {
    const attrs = (node as Element).attributes;
    for (let i = 0; i < attrs.length; i++) {
      const attr = attrs.item(i)!;
      if (attr.prefix === 'xmlns' && wanted.has(attr.localName!)) {
        wanted.delete(attr.localName!);
        if (attr.value !== '') found.push({ prefix: attr.localName!, uri: attr.value });
      }
    }
  }
  return found;
}

function pathFrom(ancestor: Node, descendant: Node): number[] {
  const path: number[] = [];
  for (let node: Node | null = descendant; node !== ancestor; node = node.parentNode) {
    if (!node?.parentNode) throw new Error('excluded node is not inside the canonicalised element');
    let index = 0;
    for (let sibling = node.previousSibling; sibling; sibling = sibling.previousSibling) index++;
    path.unshift(index);
  }
  return path;
}

function follow(root: Node, path: readonly number[]): Node {
  let node = root;
  for (const index of path) node = node.childNodes.item(index)!;
  return node;
}
