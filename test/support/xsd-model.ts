/**
 * A normalised, prefix-free model of XML Schema documents, for proving that two schema sets describe the
 * same wire format (our contracts in xsd/ versus the public eHealth ones), plus small WSDL and xmllint helpers.
 *
 * Why a model instead of a text diff: our schemas are written for this project (own layout, prefixes and
 * documentation), so only the *components* may be compared. Every QName is resolved to Clark notation
 * "{namespace}local" through the namespace declarations in scope, so `core:IdType`, `cc:IdType` and a default
 * namespace all compare equal when they mean the same type, and differ when a prefix is bound elsewhere.
 * Local element/attribute names carry their effective namespace (elementFormDefault / form applied).
 * Annotations are ignored. Constructs the extractor does not understand raise an error rather than being
 * skipped, so a comparison can never pass by ignoring something.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { DOMParser, onErrorStopParsing, type Element } from '@xmldom/xmldom';

export const XSD_NS = 'http://www.w3.org/2001/XMLSchema';
export const XML_NS = 'http://www.w3.org/XML/1998/namespace';
export const WSDL_NS = 'http://schemas.xmlsoap.org/wsdl/';
export const WSDL_SOAP11_NS = 'http://schemas.xmlsoap.org/wsdl/soap/';
const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';

/** "{namespace}local"; the namespace is '' for unqualified names. */
export type ClarkName = string;

export function clark(namespace: string, localName: string): ClarkName {
  return `{${namespace}}${localName}`;
}

export function splitClark(name: ClarkName): { namespace: string; localName: string } {
  const match = /^\{([^}]*)\}(.+)$/.exec(name);
  if (!match) throw new Error(`not a Clark name: ${name}`);
  return { namespace: match[1] ?? '', localName: match[2] ?? '' };
}

// ---------------------------------------------------------------------------------------------------------
// Model types
// ---------------------------------------------------------------------------------------------------------

export type MaxOccurs = number | 'unbounded';

interface Occurs {
  min: number;
  max: MaxOccurs;
}

export interface LocalElementParticle extends Occurs {
  kind: 'element';
  /** effective name: namespace is the target namespace when qualified, '' otherwise */
  name: ClarkName;
  type: ClarkName | null;
  inlineType: TypeDefinition | null;
  nillable: boolean;
  default: string | null;
  fixed: string | null;
}

export interface ElementRefParticle extends Occurs {
  kind: 'elementRef';
  ref: ClarkName;
}

export interface ModelGroupParticle extends Occurs {
  kind: 'sequence' | 'choice' | 'all';
  particles: Particle[];
}

export interface WildcardParticle extends Occurs {
  kind: 'any';
  namespace: string;
  processContents: string;
}

export interface GroupRefParticle extends Occurs {
  kind: 'groupRef';
  ref: ClarkName;
}

export type Particle = LocalElementParticle | ElementRefParticle | ModelGroupParticle | WildcardParticle | GroupRefParticle;

export interface AttributeUse {
  /** effective name (ref target, or local name with attributeFormDefault / form applied) */
  name: ClarkName;
  ref: boolean;
  type: ClarkName | null;
  inlineType: SimpleTypeDefinition | null;
  use: string;
  default: string | null;
  fixed: string | null;
}

export interface AttributeWildcard {
  namespace: string;
  processContents: string;
}

export interface Facet {
  facet: string;
  value: string;
}

export interface SimpleTypeDefinition {
  kind: 'simpleType';
  variety: 'restriction' | 'list' | 'union';
  base: ClarkName | null;
  inlineBase: SimpleTypeDefinition | null;
  facets: Facet[];
  itemType: ClarkName | null;
  inlineItemType: SimpleTypeDefinition | null;
  memberTypes: ClarkName[];
  inlineMemberTypes: SimpleTypeDefinition[];
}

export interface ComplexTypeDefinition {
  kind: 'complexType';
  mixed: boolean;
  abstract: boolean;
  /** null = the implicit restriction of xs:anyType */
  derivation: { method: 'extension' | 'restriction'; base: ClarkName; content: 'simpleContent' | 'complexContent' } | null;
  particle: Particle | null;
  /** facets of a simpleContent restriction */
  facets: Facet[];
  /** sorted by name: attribute order carries no meaning */
  attributes: AttributeUse[];
  attributeGroups: ClarkName[];
  anyAttribute: AttributeWildcard | null;
}

export type TypeDefinition = ComplexTypeDefinition | SimpleTypeDefinition;

export interface ElementDeclaration {
  kind: 'elementDeclaration';
  type: ClarkName | null;
  inlineType: TypeDefinition | null;
  nillable: boolean;
  abstract: boolean;
  substitutionGroup: ClarkName | null;
  default: string | null;
  fixed: string | null;
}

export interface AttributeDeclaration {
  kind: 'attributeDeclaration';
  type: ClarkName | null;
  inlineType: SimpleTypeDefinition | null;
  default: string | null;
  fixed: string | null;
}

export interface AttributeGroupDefinition {
  kind: 'attributeGroup';
  attributes: AttributeUse[];
  attributeGroups: ClarkName[];
  anyAttribute: AttributeWildcard | null;
}

export interface GroupDefinition {
  kind: 'group';
  particle: Particle;
}

export interface NamespaceModel {
  namespace: string;
  /** one value per contributing document, deduplicated; normally a single entry */
  elementFormDefault: string[];
  attributeFormDefault: string[];
  elements: Map<string, ElementDeclaration>;
  complexTypes: Map<string, ComplexTypeDefinition>;
  simpleTypes: Map<string, SimpleTypeDefinition>;
  attributes: Map<string, AttributeDeclaration>;
  attributeGroups: Map<string, AttributeGroupDefinition>;
  groups: Map<string, GroupDefinition>;
  documents: string[];
}

export interface SchemaModel {
  namespaces: Map<string, NamespaceModel>;
  /** absolute paths of every document loaded */
  documents: string[];
  /** imports whose document could not be found (a compile would skip them) */
  unresolvedImports: { from: string; namespace: string; schemaLocation: string | null }[];
}

/** Symbol spaces of XML Schema; 'type' covers both complex and simple types. */
export type ComponentSpace = 'element' | 'type' | 'attribute' | 'attributeGroup' | 'group';

export interface ComponentRef {
  space: ComponentSpace;
  name: ClarkName;
}

// ---------------------------------------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------------------------------------

export interface LoadOptions {
  readText?: (absolutePath: string) => string;
  exists?: (absolutePath: string) => boolean;
  /**
   * Fallback when an import's schemaLocation is absent or does not exist (the reference files sometimes
   * point at folders we do not have): return the file holding that namespace, or null.
   */
  locateNamespace?: (namespace: string, importingFile: string, schemaLocation: string | null) => string | null;
}

export function parseXml(text: string, origin: string): Element {
  let root: Element | null;
  try {
    root = new DOMParser({ onError: onErrorStopParsing }).parseFromString(text, 'text/xml').documentElement;
  } catch (error) {
    throw new Error(`${origin}: not well-formed XML: ${String(error)}`);
  }
  if (!root) throw new Error(`${origin}: no document element`);
  return root;
}

export function hasDoctype(text: string): boolean {
  return /<!DOCTYPE/i.test(text);
}

/** Loads schema documents and everything they import/include into one model. */
export function loadSchemaSet(entryFiles: readonly string[], options: LoadOptions = {}): SchemaModel {
  const loader = new SchemaLoader(options);
  for (const file of entryFiles) loader.loadFile(resolve(file));
  return loader.model;
}

/** Loads the schemas embedded in a WSDL's wsdl:types (and what they import); locations resolve against the WSDL. */
export function loadWsdlSchemas(wsdlFile: string, options: LoadOptions = {}): SchemaModel {
  const loader = new SchemaLoader(options);
  const path = resolve(wsdlFile);
  const definitions = parseXml(loader.readText(path), path);
  for (const types of childElements(definitions, WSDL_NS, 'types')) {
    for (const schema of childElements(types, XSD_NS, 'schema')) loader.loadSchemaElement(schema, path);
  }
  return loader.model;
}

class SchemaLoader {
  readonly model: SchemaModel = { namespaces: new Map(), documents: [], unresolvedImports: [] };
  private readonly visited = new Set<string>();
  private readonly importedNamespaces = new Set<string>();
  private readonly fileExists: (path: string) => boolean;

  constructor(private readonly options: LoadOptions) {
    this.fileExists = options.exists ?? existsSync;
  }

  readText(path: string): string {
    return (this.options.readText ?? ((p: string) => readFileSync(p, 'utf8')))(path);
  }

  loadFile(path: string): void {
    if (this.visited.has(path)) return;
    this.visited.add(path);
    const text = this.readText(path);
    const root = parseXml(text, path);
    if (!isXs(root, 'schema')) throw new Error(`${path}: document element is not xs:schema`);
    this.model.documents.push(path);
    this.loadSchemaElement(root, path);
  }

  loadSchemaElement(schema: Element, path: string): void {
    const targetNamespace = schema.getAttribute('targetNamespace') ?? '';
    const ns = this.namespaceModel(targetNamespace);
    addUnique(ns.elementFormDefault, schema.getAttribute('elementFormDefault') || 'unqualified');
    addUnique(ns.attributeFormDefault, schema.getAttribute('attributeFormDefault') || 'unqualified');
    addUnique(ns.documents, path);
    if (targetNamespace !== '') this.importedNamespaces.add(targetNamespace);

    const doc = new DocumentContext(schema, targetNamespace, path);
    const pending: (() => void)[] = [];
    for (const child of xsChildren(schema)) {
      const kind = child.localName;
      if (kind === 'import') {
        pending.push(() => this.followImport(child, path));
      } else if (kind === 'include') {
        pending.push(() => this.followInclude(child, path));
      } else if (kind === 'element') {
        define(ns.elements, requiredName(child, path), doc.elementDeclaration(child), path);
      } else if (kind === 'complexType') {
        define(ns.complexTypes, requiredName(child, path), doc.complexType(child), path);
      } else if (kind === 'simpleType') {
        define(ns.simpleTypes, requiredName(child, path), doc.simpleType(child), path);
      } else if (kind === 'attribute') {
        define(ns.attributes, requiredName(child, path), doc.attributeDeclaration(child), path);
      } else if (kind === 'attributeGroup') {
        define(ns.attributeGroups, requiredName(child, path), doc.attributeGroup(child), path);
      } else if (kind === 'group') {
        define(ns.groups, requiredName(child, path), doc.groupDefinition(child), path);
      } else {
        throw new Error(`${path}: unsupported top-level xs:${kind}`);
      }
    }
    for (const step of pending) step();
  }

  private followImport(importEl: Element, fromFile: string): void {
    const namespace = importEl.getAttribute('namespace') ?? '';
    const location = importEl.getAttribute('schemaLocation');
    let target: string | null = location ? resolve(dirname(fromFile), location) : null;
    if (target === null || !this.fileExists(target)) {
      target = this.options.locateNamespace?.(namespace, fromFile, location) ?? null;
    }
    if (target === null || !this.fileExists(target)) {
      // Already known namespaces need no document (libxml2 behaves the same way).
      if (!this.importedNamespaces.has(namespace)) {
        this.model.unresolvedImports.push({ from: fromFile, namespace, schemaLocation: location });
      }
      return;
    }
    // Like libxml2: a namespace is imported once; a second document for it is skipped.
    if (this.importedNamespaces.has(namespace) && !this.visited.has(target)) return;
    this.loadFile(target);
  }

  private followInclude(includeEl: Element, fromFile: string): void {
    const location = includeEl.getAttribute('schemaLocation');
    if (!location) throw new Error(`${fromFile}: xs:include without schemaLocation`);
    this.loadFile(resolve(dirname(fromFile), location));
  }

  private namespaceModel(namespace: string): NamespaceModel {
    let model = this.model.namespaces.get(namespace);
    if (!model) {
      model = {
        namespace,
        elementFormDefault: [],
        attributeFormDefault: [],
        elements: new Map(),
        complexTypes: new Map(),
        simpleTypes: new Map(),
        attributes: new Map(),
        attributeGroups: new Map(),
        groups: new Map(),
        documents: [],
      };
      this.model.namespaces.set(namespace, model);
    }
    return model;
  }
}

/** Per-document state: target namespace and form defaults, used to turn DOM nodes into model values. */
class DocumentContext {
  private readonly elementQualified: boolean;
  private readonly attributeQualified: boolean;

  constructor(
    schema: Element,
    private readonly targetNamespace: string,
    private readonly path: string,
  ) {
    this.elementQualified = schema.getAttribute('elementFormDefault') === 'qualified';
    this.attributeQualified = schema.getAttribute('attributeFormDefault') === 'qualified';
  }

  elementDeclaration(el: Element): ElementDeclaration {
    const inline = this.inlineType(el);
    return {
      kind: 'elementDeclaration',
      type: this.typeOf(el, inline, 'anyType'),
      inlineType: inline,
      nillable: el.getAttribute('nillable') === 'true',
      abstract: el.getAttribute('abstract') === 'true',
      substitutionGroup: this.optionalQName(el, 'substitutionGroup'),
      default: el.getAttribute('default'),
      fixed: el.getAttribute('fixed'),
    };
  }

  attributeDeclaration(el: Element): AttributeDeclaration {
    const inline = this.inlineSimpleType(el);
    return {
      kind: 'attributeDeclaration',
      type: inline ? null : (this.optionalQName(el, 'type') ?? clark(XSD_NS, 'anySimpleType')),
      inlineType: inline,
      default: el.getAttribute('default'),
      fixed: el.getAttribute('fixed'),
    };
  }

  attributeGroup(el: Element): AttributeGroupDefinition {
    const attrs = this.attributeContent(el, []);
    return { kind: 'attributeGroup', ...attrs };
  }

  groupDefinition(el: Element): GroupDefinition {
    const [model] = xsChildren(el);
    if (!model || !['sequence', 'choice', 'all'].includes(model.localName ?? '')) {
      throw new Error(`${this.path}: xs:group without a model group`);
    }
    return { kind: 'group', particle: this.particle(model) };
  }

  complexType(el: Element): ComplexTypeDefinition {
    const result: ComplexTypeDefinition = {
      kind: 'complexType',
      mixed: el.getAttribute('mixed') === 'true',
      abstract: el.getAttribute('abstract') === 'true',
      derivation: null,
      particle: null,
      facets: [],
      attributes: [],
      attributeGroups: [],
      anyAttribute: null,
    };
    const children = xsChildren(el);
    const first = children[0];
    if (first && (first.localName === 'simpleContent' || first.localName === 'complexContent')) {
      if (children.length > 1) throw new Error(`${this.path}: content model after xs:${first.localName}`);
      const content = first.localName as 'simpleContent' | 'complexContent';
      if (first.getAttribute('mixed') !== null) result.mixed = first.getAttribute('mixed') === 'true';
      const [derivationEl, ...extra] = xsChildren(first);
      if (!derivationEl || extra.length > 0 || !['extension', 'restriction'].includes(derivationEl.localName ?? '')) {
        throw new Error(`${this.path}: xs:${content} must hold one xs:extension or xs:restriction`);
      }
      const method = derivationEl.localName as 'extension' | 'restriction';
      const base = this.requiredQName(derivationEl, 'base');
      // An explicit restriction of anyType is the same as the implicit one.
      if (!(content === 'complexContent' && method === 'restriction' && base === clark(XSD_NS, 'anyType'))) {
        result.derivation = { method, base, content };
      }
      this.fillContent(derivationEl, result, content === 'simpleContent');
    } else {
      this.fillContent(el, result, false);
    }
    result.attributes.sort((a, b) => a.name.localeCompare(b.name));
    result.attributeGroups.sort();
    return result;
  }

  simpleType(el: Element): SimpleTypeDefinition {
    const [body, ...extra] = xsChildren(el);
    if (!body || extra.length > 0) throw new Error(`${this.path}: xs:simpleType must hold exactly one derivation`);
    const result: SimpleTypeDefinition = {
      kind: 'simpleType',
      variety: 'restriction',
      base: null,
      inlineBase: null,
      facets: [],
      itemType: null,
      inlineItemType: null,
      memberTypes: [],
      inlineMemberTypes: [],
    };
    if (body.localName === 'restriction') {
      const inner = xsChildren(body);
      const inlineBase = inner[0]?.localName === 'simpleType' ? this.simpleType(inner[0]) : null;
      result.inlineBase = inlineBase;
      result.base = inlineBase ? null : this.requiredQName(body, 'base');
      result.facets = this.facets(inlineBase ? inner.slice(1) : inner);
    } else if (body.localName === 'list') {
      result.variety = 'list';
      const inner = xsChildren(body);
      result.inlineItemType = inner[0] ? this.simpleType(inner[0]) : null;
      result.itemType = result.inlineItemType ? null : this.requiredQName(body, 'itemType');
    } else if (body.localName === 'union') {
      result.variety = 'union';
      result.memberTypes = (body.getAttribute('memberTypes') ?? '')
        .split(/\s+/)
        .filter((token) => token !== '')
        .map((token) => this.resolveQName(body, token));
      result.inlineMemberTypes = xsChildren(body).map((member) => {
        if (member.localName !== 'simpleType') throw new Error(`${this.path}: unexpected xs:${member.localName} in xs:union`);
        return this.simpleType(member);
      });
    } else {
      throw new Error(`${this.path}: unsupported xs:${body.localName} in xs:simpleType`);
    }
    return result;
  }

  private fillContent(container: Element, target: ComplexTypeDefinition, simpleContent: boolean): void {
    const rest: Element[] = [];
    for (const child of xsChildren(container)) {
      const kind = child.localName ?? '';
      if (['sequence', 'choice', 'all', 'group'].includes(kind)) {
        if (simpleContent) throw new Error(`${this.path}: particle inside simpleContent`);
        if (target.particle) throw new Error(`${this.path}: two particles in one content model`);
        target.particle = this.particle(child);
      } else if (simpleContent && kind === 'simpleType') {
        throw new Error(`${this.path}: inline simpleType in simpleContent restriction is not supported`);
      } else {
        rest.push(child);
      }
    }
    const facetElements = simpleContent ? rest.filter((child) => FACETS.has(child.localName ?? '')) : [];
    target.facets = this.facets(facetElements);
    const attrs = this.attributeContent(container, facetElements);
    target.attributes = attrs.attributes;
    target.attributeGroups = attrs.attributeGroups;
    target.anyAttribute = attrs.anyAttribute;
    // Empty model groups add nothing to the content model.
    if (target.particle && target.particle.kind === 'sequence' && target.particle.particles.length === 0) target.particle = null;
  }

  private attributeContent(
    container: Element,
    alreadyHandled: Element[],
  ): { attributes: AttributeUse[]; attributeGroups: ClarkName[]; anyAttribute: AttributeWildcard | null } {
    const attributes: AttributeUse[] = [];
    const attributeGroups: ClarkName[] = [];
    let anyAttribute: AttributeWildcard | null = null;
    for (const child of xsChildren(container)) {
      if (alreadyHandled.includes(child)) continue;
      const kind = child.localName ?? '';
      if (kind === 'attribute') attributes.push(this.attributeUse(child));
      else if (kind === 'attributeGroup') attributeGroups.push(this.requiredQName(child, 'ref'));
      else if (kind === 'anyAttribute') anyAttribute = wildcard(child);
      else if (!['sequence', 'choice', 'all', 'group'].includes(kind)) {
        throw new Error(`${this.path}: unsupported xs:${kind} in ${container.localName}`);
      }
    }
    attributes.sort((a, b) => a.name.localeCompare(b.name));
    attributeGroups.sort();
    return { attributes, attributeGroups, anyAttribute };
  }

  private attributeUse(el: Element): AttributeUse {
    const use = el.getAttribute('use') || 'optional';
    const ref = el.getAttribute('ref');
    if (ref) {
      return {
        name: this.resolveQName(el, ref),
        ref: true,
        type: null,
        inlineType: null,
        use,
        default: el.getAttribute('default'),
        fixed: el.getAttribute('fixed'),
      };
    }
    const form = el.getAttribute('form');
    const qualified = form ? form === 'qualified' : this.attributeQualified;
    const inline = this.inlineSimpleType(el);
    return {
      name: clark(qualified ? this.targetNamespace : '', requiredName(el, this.path)),
      ref: false,
      type: inline ? null : (this.optionalQName(el, 'type') ?? clark(XSD_NS, 'anySimpleType')),
      inlineType: inline,
      use,
      default: el.getAttribute('default'),
      fixed: el.getAttribute('fixed'),
    };
  }

  private particle(el: Element): Particle {
    const occurs = occursOf(el);
    const kind = el.localName ?? '';
    if (kind === 'sequence' || kind === 'choice' || kind === 'all') {
      return { kind, ...occurs, particles: xsChildren(el).map((child) => this.particle(child)) };
    }
    if (kind === 'any') return { kind: 'any', ...occurs, ...wildcard(el) };
    if (kind === 'group') return { kind: 'groupRef', ...occurs, ref: this.requiredQName(el, 'ref') };
    if (kind === 'element') {
      const ref = el.getAttribute('ref');
      if (ref) return { kind: 'elementRef', ...occurs, ref: this.resolveQName(el, ref) };
      const form = el.getAttribute('form');
      const qualified = form ? form === 'qualified' : this.elementQualified;
      const inline = this.inlineType(el);
      return {
        kind: 'element',
        ...occurs,
        name: clark(qualified ? this.targetNamespace : '', requiredName(el, this.path)),
        type: this.typeOf(el, inline, 'anyType'),
        inlineType: inline,
        nillable: el.getAttribute('nillable') === 'true',
        default: el.getAttribute('default'),
        fixed: el.getAttribute('fixed'),
      };
    }
    throw new Error(`${this.path}: unsupported particle xs:${kind}`);
  }

  private inlineType(el: Element): TypeDefinition | null {
    const inner = xsChildren(el).filter((child) => child.localName === 'complexType' || child.localName === 'simpleType');
    const other = xsChildren(el).filter((child) => !['complexType', 'simpleType', 'key', 'keyref', 'unique'].includes(child.localName ?? ''));
    if (other.length > 0) throw new Error(`${this.path}: unsupported xs:${other[0]?.localName} in element ${el.getAttribute('name')}`);
    if (inner.length > 1) throw new Error(`${this.path}: two inline types`);
    const [def] = inner;
    if (!def) return null;
    return def.localName === 'complexType' ? this.complexType(def) : this.simpleType(def);
  }

  private inlineSimpleType(el: Element): SimpleTypeDefinition | null {
    const inner = xsChildren(el);
    if (inner.length === 0) return null;
    const [def] = inner;
    if (inner.length > 1 || !def || def.localName !== 'simpleType') throw new Error(`${this.path}: unexpected content in attribute ${el.getAttribute('name')}`);
    return this.simpleType(def);
  }

  private typeOf(el: Element, inline: TypeDefinition | null, fallback: string): ClarkName | null {
    if (inline) return null;
    return this.optionalQName(el, 'type') ?? clark(XSD_NS, fallback);
  }

  private facets(elements: Element[]): Facet[] {
    const facets = elements.map((child) => {
      const facet = child.localName ?? '';
      if (!FACETS.has(facet)) throw new Error(`${this.path}: unsupported facet xs:${facet}`);
      return { facet, value: child.getAttribute('value') ?? '' };
    });
    // Stable sort: facet kinds in a fixed order, enumeration values keep their document order.
    return facets.sort((a, b) => a.facet.localeCompare(b.facet));
  }

  private optionalQName(el: Element, attribute: string): ClarkName | null {
    const value = el.getAttribute(attribute);
    return value ? this.resolveQName(el, value) : null;
  }

  private requiredQName(el: Element, attribute: string): ClarkName {
    const value = el.getAttribute(attribute);
    if (!value) throw new Error(`${this.path}: xs:${el.localName} without @${attribute}`);
    return this.resolveQName(el, value);
  }

  private resolveQName(context: Element, qname: string): ClarkName {
    const trimmed = qname.trim();
    const colon = trimmed.indexOf(':');
    const prefix = colon >= 0 ? trimmed.slice(0, colon) : '';
    const localName = colon >= 0 ? trimmed.slice(colon + 1) : trimmed;
    const namespace = namespaceInScope(context, prefix);
    if (namespace === null) {
      if (prefix !== '') throw new Error(`${this.path}: prefix "${prefix}" of "${qname}" is not declared`);
      return clark('', localName);
    }
    return clark(namespace, localName);
  }
}

const FACETS = new Set([
  'enumeration',
  'pattern',
  'length',
  'minLength',
  'maxLength',
  'minInclusive',
  'maxInclusive',
  'minExclusive',
  'maxExclusive',
  'totalDigits',
  'fractionDigits',
  'whiteSpace',
]);

function occursOf(el: Element): Occurs {
  const min = el.getAttribute('minOccurs');
  const max = el.getAttribute('maxOccurs');
  return {
    min: min === null || min === '' ? 1 : Number(min),
    max: max === null || max === '' ? 1 : max === 'unbounded' ? 'unbounded' : Number(max),
  };
}

function wildcard(el: Element): { namespace: string; processContents: string } {
  const namespace = (el.getAttribute('namespace') || '##any').split(/\s+/).filter(Boolean).sort().join(' ');
  return { namespace, processContents: el.getAttribute('processContents') || 'strict' };
}

function requiredName(el: Element, path: string): string {
  const name = el.getAttribute('name');
  if (!name) throw new Error(`${path}: xs:${el.localName} without @name`);
  return name;
}

function define<T>(map: Map<string, T>, name: string, value: T, path: string): void {
  if (map.has(name)) throw new Error(`${path}: ${name} is defined twice`);
  map.set(name, value);
}

function addUnique(list: string[], value: string): void {
  if (!list.includes(value)) list.push(value);
}

// ---------------------------------------------------------------------------------------------------------
// DOM helpers
// ---------------------------------------------------------------------------------------------------------

export function childElements(parent: Element, namespace?: string, localName?: string): Element[] {
  const result: Element[] = [];
  const nodes = parent.childNodes;
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes.item(i);
    if (node?.nodeType !== 1) continue;
    const element = node as Element;
    if (namespace !== undefined && element.namespaceURI !== namespace) continue;
    if (localName !== undefined && element.localName !== localName) continue;
    result.push(element);
  }
  return result;
}

function isXs(el: Element, localName: string): boolean {
  return el.namespaceURI === XSD_NS && el.localName === localName;
}

/** XML Schema children that matter: annotations and foreign elements are left out. */
function xsChildren(el: Element): Element[] {
  return childElements(el, XSD_NS).filter((child) => child.localName !== 'annotation');
}

/** Resolves a prefix ('' = default namespace) from the xmlns declarations on the element and its ancestors. */
export function namespaceInScope(el: Element, prefix: string): string | null {
  if (prefix === 'xml') return XML_NS;
  const attributeName = prefix === '' ? 'xmlns' : `xmlns:${prefix}`;
  for (let node: Element | null = el; node && node.nodeType === 1; node = node.parentNode as Element | null) {
    const declared = node.getAttributeNodeNS(XMLNS_NS, prefix === '' ? 'xmlns' : prefix) ?? node.getAttributeNode(attributeName);
    if (declared) return declared.value === '' ? null : declared.value;
  }
  return null;
}

export function resolveQNameIn(el: Element, qname: string): ClarkName {
  const colon = qname.indexOf(':');
  const prefix = colon >= 0 ? qname.slice(0, colon) : '';
  const local = colon >= 0 ? qname.slice(colon + 1) : qname;
  const namespace = namespaceInScope(el, prefix);
  if (namespace === null && prefix !== '') throw new Error(`prefix "${prefix}" of "${qname}" is not declared`);
  return clark(namespace ?? '', local);
}

// ---------------------------------------------------------------------------------------------------------
// Lookup, closure and comparison
// ---------------------------------------------------------------------------------------------------------

export type Component = ElementDeclaration | ComplexTypeDefinition | SimpleTypeDefinition | AttributeDeclaration | AttributeGroupDefinition | GroupDefinition;

export function getComponent(model: SchemaModel, ref: ComponentRef): Component | undefined {
  const { namespace, localName } = splitClark(ref.name);
  const ns = model.namespaces.get(namespace);
  if (!ns) return undefined;
  switch (ref.space) {
    case 'element':
      return ns.elements.get(localName);
    case 'type':
      return ns.complexTypes.get(localName) ?? ns.simpleTypes.get(localName);
    case 'attribute':
      return ns.attributes.get(localName);
    case 'attributeGroup':
      return ns.attributeGroups.get(localName);
    case 'group':
      return ns.groups.get(localName);
  }
}

export function componentKey(ref: ComponentRef): string {
  return `${ref.space} ${ref.name}`;
}

/** Every component listed in a namespace, as refs. */
export function namespaceComponents(model: SchemaModel, namespace: string): ComponentRef[] {
  const ns = model.namespaces.get(namespace);
  if (!ns) return [];
  const at = (space: ComponentSpace, names: Iterable<string>): ComponentRef[] => [...names].map((local) => ({ space, name: clark(namespace, local) }));
  return [
    ...at('element', ns.elements.keys()),
    ...at('type', ns.complexTypes.keys()),
    ...at('type', ns.simpleTypes.keys()),
    ...at('attribute', ns.attributes.keys()),
    ...at('attributeGroup', ns.attributeGroups.keys()),
    ...at('group', ns.groups.keys()),
  ];
}

/** The components referenced, directly or indirectly, by the roots (built-in XML Schema types excluded). */
export function componentClosure(model: SchemaModel, roots: readonly ComponentRef[]): ComponentRef[] {
  const seen = new Map<string, ComponentRef>();
  const queue = [...roots];
  while (queue.length > 0) {
    const ref = queue.shift() as ComponentRef;
    if (splitClark(ref.name).namespace === XSD_NS) continue;
    const key = componentKey(ref);
    if (seen.has(key)) continue;
    seen.set(key, ref);
    const component = getComponent(model, ref);
    if (component) queue.push(...referencesOf(component));
  }
  return [...seen.values()];
}

function referencesOf(value: unknown): ComponentRef[] {
  const refs: ComponentRef[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    const kind = record['kind'];
    const typeRef = (field: string): void => {
      const v = record[field];
      if (typeof v === 'string') refs.push({ space: 'type', name: v });
    };
    if (kind === 'elementRef') refs.push({ space: 'element', name: record['ref'] as string });
    if (kind === 'groupRef') refs.push({ space: 'group', name: record['ref'] as string });
    if (kind === 'element' || kind === 'elementDeclaration' || kind === 'attributeDeclaration') typeRef('type');
    if (kind === 'elementDeclaration' && typeof record['substitutionGroup'] === 'string') {
      refs.push({ space: 'element', name: record['substitutionGroup'] });
    }
    if (kind === 'simpleType') {
      typeRef('base');
      typeRef('itemType');
      for (const member of record['memberTypes'] as string[]) refs.push({ space: 'type', name: member });
    }
    if (kind === 'complexType') {
      const derivation = record['derivation'] as { base: string } | null;
      if (derivation) refs.push({ space: 'type', name: derivation.base });
    }
    if (kind === 'complexType' || kind === 'attributeGroup') {
      for (const group of record['attributeGroups'] as string[]) refs.push({ space: 'attributeGroup', name: group });
    }
    if (Array.isArray(record['attributes'])) {
      for (const use of record['attributes'] as AttributeUse[]) {
        if (use.ref) refs.push({ space: 'attribute', name: use.name });
        else if (use.type) refs.push({ space: 'type', name: use.type });
      }
    }
    for (const [field, child] of Object.entries(record)) {
      if (field !== 'attributes' && typeof child === 'object') visit(child);
    }
    // inline attribute types live under attributes[].inlineType
    if (Array.isArray(record['attributes'])) {
      for (const use of record['attributes'] as AttributeUse[]) visit(use.inlineType);
    }
  };
  visit(value);
  return refs;
}

export interface ModelDifference {
  component: string;
  path: string;
  reference: unknown;
  ours: unknown;
}

/** Structural differences between two values, with JSON-path-like locations. */
export function diffValues(reference: unknown, ours: unknown, path = ''): { path: string; reference: unknown; ours: unknown }[] {
  if (Object.is(reference, ours)) return [];
  if (Array.isArray(reference) && Array.isArray(ours)) {
    const out: { path: string; reference: unknown; ours: unknown }[] = [];
    if (reference.length !== ours.length) out.push({ path: `${path}.length`, reference: reference.length, ours: ours.length });
    for (let i = 0; i < Math.min(reference.length, ours.length); i++) out.push(...diffValues(reference[i], ours[i], `${path}[${i}]`));
    return out;
  }
  if (reference && ours && typeof reference === 'object' && typeof ours === 'object' && !Array.isArray(reference) && !Array.isArray(ours)) {
    const a = reference as Record<string, unknown>;
    const b = ours as Record<string, unknown>;
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((key) => diffValues(a[key], b[key], path === '' ? key : `${path}.${key}`));
  }
  return [{ path: path || '(value)', reference, ours }];
}

/** Compares the listed components of the reference with ours; a component missing on either side is a difference. */
export function compareComponents(reference: SchemaModel, ours: SchemaModel, components: readonly ComponentRef[]): ModelDifference[] {
  const differences: ModelDifference[] = [];
  for (const ref of components) {
    const key = componentKey(ref);
    const expected = getComponent(reference, ref);
    const actual = getComponent(ours, ref);
    if (expected === undefined && actual === undefined) {
      differences.push({ component: key, path: '(component)', reference: 'missing', ours: 'missing' });
    } else if (expected === undefined || actual === undefined) {
      differences.push({ component: key, path: '(component)', reference: expected ? 'present' : 'missing', ours: actual ? 'present' : 'missing' });
    } else {
      for (const d of diffValues(expected, actual)) differences.push({ component: key, ...d });
    }
  }
  return differences;
}

/** Form defaults and the complete component lists of the given namespaces. */
export function compareNamespaces(reference: SchemaModel, ours: SchemaModel, namespaces: readonly string[]): ModelDifference[] {
  const differences: ModelDifference[] = [];
  for (const namespace of namespaces) {
    const expected = reference.namespaces.get(namespace);
    const actual = ours.namespaces.get(namespace);
    const component = `namespace ${namespace}`;
    if (!expected || !actual) {
      differences.push({ component, path: '(namespace)', reference: expected ? 'present' : 'missing', ours: actual ? 'present' : 'missing' });
      continue;
    }
    for (const field of ['elementFormDefault', 'attributeFormDefault'] as const) {
      for (const d of diffValues(expected[field], actual[field], field)) differences.push({ component, ...d });
    }
    const refKeys = new Set(namespaceComponents(reference, namespace).map(componentKey));
    const ourKeys = new Set(namespaceComponents(ours, namespace).map(componentKey));
    for (const key of refKeys) if (!ourKeys.has(key)) differences.push({ component: key, path: '(component)', reference: 'present', ours: 'missing' });
    for (const key of ourKeys) if (!refKeys.has(key)) differences.push({ component: key, path: '(component)', reference: 'missing', ours: 'present' });
    const shared = namespaceComponents(reference, namespace).filter((ref) => ourKeys.has(componentKey(ref)));
    differences.push(...compareComponents(reference, ours, shared));
  }
  return differences;
}

export function describeDifferences(differences: readonly ModelDifference[]): string {
  return differences.map((d) => `${d.component} :: ${d.path}: reference=${JSON.stringify(d.reference)} ours=${JSON.stringify(d.ours)}`).join('\n');
}

/** Namespaces in which the model defines at least one component. */
export function definedNamespaces(model: SchemaModel): string[] {
  return [...model.namespaces.keys()].filter((ns) => namespaceComponents(model, ns).length > 0).sort();
}

// ---------------------------------------------------------------------------------------------------------
// WSDL 1.1 summary
// ---------------------------------------------------------------------------------------------------------

export interface WsdlOperationSummary {
  name: string;
  input: ClarkName | null;
  output: ClarkName | null;
  /** fault name -> element of its message part */
  faults: Record<string, ClarkName | null>;
  soapAction: string | null;
  /** style from soap:operation, else from soap:binding */
  style: string | null;
  inputUse: string | null;
  outputUse: string | null;
  /** fault name -> soap:fault use */
  faultUses: Record<string, string | null>;
}

export interface WsdlSummary {
  targetNamespace: string;
  portTypes: string[];
  bindings: { name: string; type: ClarkName; soapNamespace: string | null; transport: string | null; style: string | null }[];
  services: { name: string; ports: { name: string; binding: ClarkName; address: string | null }[] }[];
  operations: WsdlOperationSummary[];
  schemaImports: { namespace: string; schemaLocation: string | null }[];
}

/** Reads a document/literal WSDL 1.1 (one portType/binding pair is typical) into a flat summary. */
export function readWsdl(path: string): WsdlSummary {
  const root = parseXml(readFileSync(path, 'utf8'), path);
  if (root.namespaceURI !== WSDL_NS || root.localName !== 'definitions') throw new Error(`${path}: not a WSDL 1.1 document`);
  const targetNamespace = root.getAttribute('targetNamespace') ?? '';
  const wsdl = (parent: Element, local: string): Element[] => childElements(parent, WSDL_NS, local);
  const soapChild = (parent: Element, local: string): Element | undefined =>
    childElements(parent).find((el) => el.localName === local && (el.namespaceURI ?? '').startsWith('http://schemas.xmlsoap.org/wsdl/soap'));

  const messages = new Map<ClarkName, ClarkName | null>();
  for (const message of wsdl(root, 'message')) {
    const [part] = wsdl(message, 'part');
    const element = part?.getAttribute('element');
    messages.set(clark(targetNamespace, message.getAttribute('name') ?? ''), part && element ? resolveQNameIn(part, element) : null);
  }
  const messageElement = (el: Element | undefined): ClarkName | null => {
    const name = el?.getAttribute('message');
    return el && name ? (messages.get(resolveQNameIn(el, name)) ?? null) : null;
  };

  const operations: WsdlOperationSummary[] = [];
  const portTypes = wsdl(root, 'portType');
  for (const portType of portTypes) {
    for (const op of wsdl(portType, 'operation')) {
      const faults: Record<string, ClarkName | null> = {};
      for (const fault of wsdl(op, 'fault')) faults[fault.getAttribute('name') ?? ''] = messageElement(fault);
      operations.push({
        name: op.getAttribute('name') ?? '',
        input: messageElement(wsdl(op, 'input')[0]),
        output: messageElement(wsdl(op, 'output')[0]),
        faults,
        soapAction: null,
        style: null,
        inputUse: null,
        outputUse: null,
        faultUses: {},
      });
    }
  }

  const bindings: WsdlSummary['bindings'] = [];
  for (const binding of wsdl(root, 'binding')) {
    const soapBinding = soapChild(binding, 'binding');
    const bindingStyle = soapBinding?.getAttribute('style') || null;
    bindings.push({
      name: binding.getAttribute('name') ?? '',
      type: resolveQNameIn(binding, binding.getAttribute('type') ?? ''),
      soapNamespace: soapBinding?.namespaceURI ?? null,
      transport: soapBinding?.getAttribute('transport') ?? null,
      style: bindingStyle,
    });
    for (const op of wsdl(binding, 'operation')) {
      const summary = operations.find((candidate) => candidate.name === op.getAttribute('name'));
      if (!summary) throw new Error(`${path}: binding operation ${op.getAttribute('name')} is not in a portType`);
      const soapOperation = soapChild(op, 'operation');
      summary.soapAction = soapOperation?.getAttribute('soapAction') ?? null;
      summary.style = soapOperation?.getAttribute('style') || bindingStyle;
      const bodyUse = (local: string): string | null => {
        const [io] = wsdl(op, local);
        return io ? (soapChild(io, 'body')?.getAttribute('use') ?? null) : null;
      };
      summary.inputUse = bodyUse('input');
      summary.outputUse = bodyUse('output');
      for (const fault of wsdl(op, 'fault')) {
        const soapFault = soapChild(fault, 'fault');
        summary.faultUses[fault.getAttribute('name') ?? ''] = soapFault?.getAttribute('use') ?? null;
      }
    }
  }

  const services = wsdl(root, 'service').map((service) => ({
    name: service.getAttribute('name') ?? '',
    ports: wsdl(service, 'port').map((port) => ({
      name: port.getAttribute('name') ?? '',
      binding: resolveQNameIn(port, port.getAttribute('binding') ?? ''),
      address: soapChild(port, 'address')?.getAttribute('location') ?? null,
    })),
  }));

  const schemaImports = wsdl(root, 'types').flatMap((types) =>
    childElements(types, XSD_NS, 'schema').flatMap((schema) =>
      childElements(schema, XSD_NS, 'import').map((imp) => ({
        namespace: imp.getAttribute('namespace') ?? '',
        schemaLocation: imp.getAttribute('schemaLocation'),
      })),
    ),
  );

  return { targetNamespace, portTypes: portTypes.map((p) => p.getAttribute('name') ?? ''), bindings, services, operations, schemaImports };
}

// ---------------------------------------------------------------------------------------------------------
// xmllint (libxml2) checks
// ---------------------------------------------------------------------------------------------------------

export interface XmllintResult {
  exitCode: number;
  output: string;
}

export function xmllint(args: readonly string[]): XmllintResult {
  try {
    const stdout = execFileSync('xmllint', [...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { exitCode: 0, output: stdout };
  } catch (error) {
    const failure = error as { status?: number; stdout?: string; stderr?: string };
    return { exitCode: failure.status ?? -1, output: `${failure.stdout ?? ''}${failure.stderr ?? ''}` };
  }
}

/**
 * Compiles a schema with libxml2 (no network). Validating a dummy root makes xmllint compile the schema;
 * the expected outcome is "No matching global declaration" (exit 3). Parser errors or warnings (for
 * example a skipped import) are returned as problems.
 */
export function compileSchema(schemaFile: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'xsd-compile-'));
  try {
    const instance = join(dir, 'probe.xml');
    writeFileSync(instance, '<probe xmlns="urn:probe"/>');
    const result = xmllint(['--noout', '--nonet', '--schema', schemaFile, instance]);
    const problems = result.output
      .split('\n')
      .filter((line) => line.trim() !== '')
      .filter((line) => !line.includes('No matching global declaration available for the validation root'))
      .filter((line) => !line.endsWith('probe.xml fails to validate'));
    if (result.exitCode !== 3) problems.push(`xmllint exit code ${result.exitCode} (expected 3: compiled, probe rejected)`);
    return problems;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A throw-away schema that imports the given namespace -> file pairs, so several entry points compile as one set. */
export function writeWrapperSchema(dir: string, imports: readonly { namespace: string; file: string }[]): string {
  const lines = imports.map((imp) => `  <xs:import namespace="${imp.namespace}" schemaLocation="${resolve(imp.file)}"/>`);
  const path = join(dir, `wrapper-${Math.random().toString(36).slice(2)}.xsd`);
  writeFileSync(path, `<xs:schema xmlns:xs="${XSD_NS}">\n${lines.join('\n')}\n</xs:schema>\n`);
  return path;
}

export function validateInstance(schemaFile: string, instanceXml: string): XmllintResult {
  const dir = mkdtempSync(join(tmpdir(), 'xsd-validate-'));
  try {
    const instance = join(dir, 'instance.xml');
    writeFileSync(instance, instanceXml);
    return xmllint(['--noout', '--nonet', '--schema', schemaFile, instance]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
