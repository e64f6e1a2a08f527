import { XMLSerializer } from '@xmldom/xmldom';
import fc from 'fast-check';
import {
  childElements,
  DEFAULT_PARSE_LIMITS,
  parseElementTree,
  parseXmlStrict,
  screenXmlText,
  textOf,
  XmlParseError,
  type ParseLimits,
  type XmlRejection,
} from './parse.js';

const limits: ParseLimits = {
  maxBytes: 10_000,
  maxDepth: 8,
  maxElements: 50,
  maxAttributesPerElement: 256,
  maxAttributes: 4096,
  maxNamespaceDeclarations: 1024,
};

function rejection(xml: string, parseLimits = limits, parse: (xml: string, limits: typeof parseLimits) => unknown = parseXmlStrict): XmlRejection | undefined {
  try {
    parse(xml, parseLimits);
    return undefined;
  } catch (error) {
    if (error instanceof XmlParseError) return error.reason;
    throw error;
  }
}

describe('parseXmlStrict', () => {
  it('builds a namespace-aware DOM: prefixes, default namespaces, namespace declarations as attributes', () => {
    const document = parseXmlStrict('<a:root xmlns:a="urn:a" xmlns="urn:d" a:x="1" y="2"><child>t</child><a:other/></a:root>');
    const root = document.documentElement!;
    expect([root.namespaceURI, root.localName, root.prefix]).toEqual(['urn:a', 'root', 'a']);
    expect(root.getAttributeNS('urn:a', 'x')).toBe('1');
    expect(root.getAttributeNS(null, 'y')).toBe('2');
    expect(root.getAttributeNS('http://www.w3.org/2000/xmlns/', 'a')).toBe('urn:a');
    const [child, other] = childElements(root);
    expect([child!.namespaceURI, child!.localName, textOf(child!)]).toEqual(['urn:d', 'child', 't']);
    expect([other!.namespaceURI, other!.localName]).toEqual(['urn:a', 'other']);
    expect(child!.ownerDocument).toBe(document);
  });

  it('applies XML 1.0 end-of-line and attribute-value normalisation, entity and character references, CDATA', () => {
    const document = parseXmlStrict('<r a="x\ty\r\nz">1\r\n2&amp;&lt;&#x41;&#66;<![CDATA[<raw>]]></r>');
    const root = document.documentElement!;
    expect(root.getAttribute('a')).toBe('x y z');
    expect(textOf(root)).toBe('1\n2&<AB<raw>');
  });

  it('accepts an XML declaration and a byte-order mark, and keeps comments in the tree', () => {
    const document = parseXmlStrict('\uFEFF<?xml version="1.0" encoding="UTF-8"?>\n<r><!-- note --></r>\n');
    expect(new XMLSerializer().serializeToString(document.documentElement!)).toBe('<r><!-- note --></r>');
  });

  it.each([
    ['a DOCTYPE', '<!DOCTYPE r [<!ENTITY e "x">]><r>&e;</r>', 'DTD_FORBIDDEN'],
    ['a lower-case doctype', '<!doctype r><r/>', 'DTD_FORBIDDEN'],
    ['a processing instruction', '<r><?php x ?></r>', 'PROCESSING_INSTRUCTION'],
    ['a second XML declaration', '<?xml version="1.0"?><?xml version="1.0"?><r/>', 'PROCESSING_INSTRUCTION'],
    ['an undefined entity', '<r>&nbsp;</r>', 'MALFORMED'],
    ['an unbound element prefix', '<p:r/>', 'MALFORMED'],
    ['an unbound attribute prefix', '<r p:a="1"/>', 'MALFORMED'],
    ['a duplicate attribute', '<r a="1" a="2"/>', 'MALFORMED'],
    ['the same attribute under two prefixes of one namespace', '<r xmlns:p="urn:x" xmlns:q="urn:x" p:a="1" q:a="2"/>', 'MALFORMED'],
    ['a mismatched end tag', '<r><a></b></r>', 'MALFORMED'],
    ['an unclosed element', '<r><a></r>', 'MALFORMED'],
    ['two root elements', '<r/><s/>', 'MALFORMED'],
    ['text after the root', '<r/>junk', 'MALFORMED'],
    ['no root element', '   ', 'MALFORMED'],
    ['a character outside XML 1.0', '<r>\u0001</r>', 'MALFORMED'],
    ['a character reference outside XML 1.0', '<r>&#0;</r>', 'MALFORMED'],
    ['a raw < in an attribute', '<r a="<"/>', 'MALFORMED'],
    [']]> in text', '<r>]]></r>', 'MALFORMED'],
    ['an element deeper than maxDepth', `${'<a>'.repeat(9)}${'</a>'.repeat(9)}`, 'TOO_DEEP'],
    ['more elements than maxElements', `<r>${'<a/>'.repeat(50)}</r>`, 'TOO_MANY_ELEMENTS'],
    ['a document over maxBytes', `<r>${'x'.repeat(10_000)}</r>`, 'TOO_LARGE'],
    ['multi-byte text over maxBytes in UTF-8', `<r>${'é'.repeat(5_000)}</r>`, 'TOO_LARGE'],
  ])('refuses %s (DOM and light tree alike)', (_what, xml, reason) => {
    expect(rejection(xml)).toBe(reason);
    expect(rejection(xml, limits, parseElementTree)).toBe(reason);
  });

  it('accepts documents exactly at the limits', () => {
    expect(rejection(`${'<a>'.repeat(8)}${'</a>'.repeat(8)}`)).toBeUndefined();
    expect(rejection(`<r>${'<a/>'.repeat(49)}</r>`)).toBeUndefined();
  });

  it('parses correctly again after refusing a document half-way (the shared parser is reset)', () => {
    expect(rejection('<r><a>')).toBe('MALFORMED');
    expect(rejection(`${'<a>'.repeat(9)}`)).toBe('TOO_DEEP');
    const document = parseXmlStrict('<ok xmlns="urn:ok"><v>1</v></ok>', limits);
    expect(document.documentElement!.namespaceURI).toBe('urn:ok');
    expect(textOf(childElements(document.documentElement!)[0]!)).toBe('1');
  });

  it('parseElementTree keeps element names, element children and character data (comments dropped)', () => {
    const root = parseElementTree('<a:r xmlns:a="urn:a" xmlns="urn:d" x="1"><c>1&amp;<!-- n -->2<![CDATA[<3>]]></c><a:e/></a:r>', limits);
    expect([root.namespaceURI, root.localName]).toEqual(['urn:a', 'r']);
    const [c, e] = root.children();
    expect([c!.namespaceURI, c!.localName, c!.text()]).toEqual(['urn:d', 'c', '1&2<3>']);
    expect([e!.namespaceURI, e!.localName, e!.text()]).toEqual(['urn:a', 'e', '']);
    expect(() => root.text()).toThrow(XmlParseError);
  });

  describe('long base64 runs (set aside from saxes and restored)', () => {
    const run = (length: number, seed = 'Q'): string => `${seed}${'AbC+/09z'.repeat(Math.ceil(length / 8))}`.slice(0, length);
    const padding = `<pad>${'p'.repeat(1200)}</pad>`; // set-aside applies to documents of 1 KB and more

    it('restores runs into text, CDATA and comments exactly, at and around the threshold', () => {
      for (const length of [255, 256, 257, 5000]) {
        const text = run(length);
        const document = parseXmlStrict(`<r>${padding}<t>${text}</t><c><![CDATA[>${text}<]]></c><!-->${text}<--><u>${text}<x/>${text}</u></r>`);
        const [, t, c, u] = childElements(document.documentElement!);
        expect(textOf(t!)).toBe(text);
        expect(textOf(c!)).toBe(`>${text}<`);
        expect(document.documentElement!.childNodes.item(3)!.nodeValue).toBe(`>${text}<`);
        expect(u!.firstChild!.nodeValue).toBe(text);
        expect(u!.lastChild!.nodeValue).toBe(text);
        expect(parseElementTree(`<r>${padding}<t>${text}</t></r>`).children()[1]!.text()).toBe(text);
      }
    });

    it('leaves documents that already hold the marker character untouched', () => {
      const text = run(400);
      const document = parseXmlStrict(`<r>${padding}<t>${text}</t><m>\uE0000\uE000</m></r>`);
      const [, t, m] = childElements(document.documentElement!);
      expect([textOf(t!), textOf(m!)]).toEqual([text, '\uE0000\uE000']);
    });

    it('still refuses a document whose run sits where markup is malformed', () => {
      expect(rejection(`<r>${padding}<a x=">${run(400)}<"/></r>`, { ...limits, maxBytes: 100_000 })).toBe('MALFORMED');
      expect(rejection(`<r>${padding}<a>${run(400)}</b></r>`, { ...limits, maxBytes: 100_000 })).toBe('MALFORMED');
    });
  });

  describe('attribute and namespace-declaration limits (counted on the raw text, before any parser)', () => {
    const capped: ParseLimits = { maxBytes: 100_000, maxDepth: 8, maxElements: 50, maxAttributesPerElement: 4, maxAttributes: 10, maxNamespaceDeclarations: 6 };
    const attributes = (n: number, name = (i: number) => `a${i}`): string => Array.from({ length: n }, (_, i) => ` ${name(i)}="v"`).join('');
    const declarations = (n: number, from = 0): string => Array.from({ length: n }, (_, i) => ` xmlns:p${from + i}="urn:${from + i}"`).join('');

    it.each([
      ['more attributes on one element than maxAttributesPerElement', `<r${attributes(5)}/>`, 'TOO_MANY_ATTRIBUTES'],
      ['namespace declarations counted as attributes of their element', `<r${attributes(2)}${declarations(3)}/>`, 'TOO_MANY_ATTRIBUTES'],
      ['more attributes in the document than maxAttributes', `<r${attributes(4)}><a${attributes(4)}/><b${attributes(3)}/></r>`, 'TOO_MANY_ATTRIBUTES'],
      [
        'more namespace declarations in the document than maxNamespaceDeclarations',
        `<r${declarations(3)}><a${declarations(3, 3)}/><b xmlns="urn:d"/></r>`,
        'TOO_MANY_NAMESPACE_DECLARATIONS',
      ],
      ['default namespace redeclared on every element', `<r xmlns="urn:d">${'<a xmlns="urn:d"/>'.repeat(6)}</r>`, 'TOO_MANY_NAMESPACE_DECLARATIONS'],
      ['whitespace around =', `<r${attributes(5).replaceAll('=', ' \n= ')}/>`, 'TOO_MANY_ATTRIBUTES'],
    ])('refuses %s (DOM and light tree alike)', (_what, xml, reason) => {
      expect(rejection(xml, capped)).toBe(reason);
      expect(rejection(xml, capped, parseElementTree)).toBe(reason);
    });

    it('accepts documents exactly at the limits', () => {
      expect(rejection(`<r${attributes(2)}${declarations(2)}><a${attributes(4)}/><b${declarations(2, 2)}/></r>`, capped)).toBeUndefined();
      expect(rejection(`<r${declarations(4)}><a${declarations(2, 4)}/></r>`, capped)).toBeUndefined();
      // The defaults: 256 attributes on one element (namespace declarations included).
      const at = `<r${declarations(200)}${attributes(56)}/>`;
      expect(rejection(at, DEFAULT_PARSE_LIMITS)).toBeUndefined();
      expect(rejection(at.replace('/>', ' one="more"/>'), DEFAULT_PARSE_LIMITS)).toBe('TOO_MANY_ATTRIBUTES');
    });

    it.each([
      ["'=' and '>' in attribute values, either quote inside the other", `<r a="x=y>z'" b='=">=' c="&quot;=&gt;"/>`],
      ["'=' and '>' in text, comments and CDATA", '<r>a=b&gt;c = d > e<!-- x="1" y="2" z=3 w=4 --><![CDATA[p="1" q="2" r=3 s=4>]]></r>'],
      ['the XML declaration', '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><r a="1" b="2" c="3" d="4"/>'],
      ['names that only start like xmlns', `<r xmlnsx="1" xmlns-a="2"${declarations(2)}><a xmlns_b="3"${declarations(3, 2)}/><b${declarations(1, 5)}/></r>`],
      ['end tags with whitespace, empty elements', `<r a="1"   ><a b="1" c="2" d="3" e="4"  /></r  >`],
    ])('is not misled by %s', (_what, xml) => {
      expect(rejection(xml, capped)).toBeUndefined();
    });

    // libxml2 does not stop at a fatal error: it reads on (without building) and would pay for the attributes after
    // it. The screen must count whatever a parser may go on to read, so these malformed documents are refused for
    // their attributes before any parser sees them.
    it.each([
      ['a quoted value that runs into a start tag', `<r><a x="<b${attributes(5)}/></r>`],
      ['a start tag interrupted by another', `<r><a y="1" <b${attributes(5)}/></r>`],
      ['an unterminated quoted value', `<r><a x='<b${attributes(5)}/></r>`],
      ['a comment a parser may leave at an invalid character', `<r><!-- \u0001 <b${attributes(5)}/> --></r>`],
      ['a CDATA section a parser may leave at an invalid character', `<r><![CDATA[ \u0001 <b${attributes(5)}/> ]]></r>`],
      ['an element name running into attributes', `<r><b${attributes(5).replace(' ', '')}/></r>`],
    ])('counts, in a malformed document, %s', (_what, xml) => {
      expect(() => screenXmlText(xml, capped)).toThrow(expect.objectContaining({ reason: 'TOO_MANY_ATTRIBUTES' }));
    });

    /** A well-formed document with random markup, and its true counts. */
    interface Generated {
      xml: string;
      elements: number;
      mostAttributes: number;
      attributes: number;
      declarations: number;
    }
    const valueText = fc.stringMatching(/^[a-z =>/'"&]{0,12}$/).map((v) => v.replaceAll('&', '&amp;'));
    const quoted = valueText.map((v) => (v.includes('"') ? `'${v.replaceAll("'", '&apos;')}'` : `"${v}"`));
    const space = fc.constantFrom(' ', '  ', '\n', '\t ');
    const characterData = fc.oneof(
      fc.stringMatching(/^[a-z =>'"]{0,10}$/),
      fc.stringMatching(/^[a-z =>'"]{0,10}$/).map((t) => `<!--${t.replaceAll('-', '')}-->`),
      fc.stringMatching(/^[a-z =>'"]{0,10}$/).map((t) => `<![CDATA[${t}]]>`),
    );
    const element: fc.Memo<Generated> = fc.memo((depth) =>
      fc
        .record({
          declarations: fc.array(fc.constantFrom('', 'a', 'b', 'p1', 'xmlns2'), { maxLength: 4 }),
          // Names that only start like a namespace declaration are attributes like any other.
          attributes: fc.array(fc.tuple(space, quoted, space, space, fc.constantFrom('at', 'xmlns', 'xmlns_', 'xmlns.a')), { maxLength: 6 }),
          children: depth <= 1 ? fc.constant<Generated[]>([]) : fc.array(element(depth - 1), { maxLength: 3 }),
          text: fc.array(characterData, { maxLength: 3 }),
          selfClosing: fc.boolean(),
        })
        .map(({ declarations, attributes, children, text, selfClosing }) => {
          const prefixes = [...new Set(declarations)];
          const attributeMarkup =
            prefixes.map((prefix) => ` ${prefix === '' ? 'xmlns' : `xmlns:${prefix}`}="urn:${prefix}"`).join('') +
            attributes.map(([before, value, around, after, name], i) => `${before}${name}${i}${around}=${after}${value}`).join('');
          const content = children.map((child, i) => `${text[i] ?? ''}${child.xml}`).join('') + (text[children.length] ?? '');
          const empty = selfClosing && content === '';
          const own = prefixes.length + attributes.length;
          return {
            xml: empty ? `<e${attributeMarkup}/>` : `<e${attributeMarkup}>${content}</e>`,
            elements: 1 + children.reduce((sum, child) => sum + child.elements, 0),
            mostAttributes: Math.max(own, ...children.map((child) => child.mostAttributes)),
            attributes: own + children.reduce((sum, child) => sum + child.attributes, 0),
            declarations: prefixes.length + children.reduce((sum, child) => sum + child.declarations, 0),
          };
        }),
    );

    it('counts elements, attributes and namespace declarations of well-formed documents exactly (property)', () => {
      fc.assert(
        fc.property(element(4), fc.boolean(), (generated, declared) => {
          const xml = `${declared ? '<?xml version="1.0" encoding="UTF-8"?>\n' : ''}${generated.xml}`;
          const exact: ParseLimits = {
            maxBytes: 1_000_000,
            maxDepth: 64,
            maxElements: generated.elements,
            maxAttributesPerElement: generated.mostAttributes,
            maxAttributes: generated.attributes,
            maxNamespaceDeclarations: generated.declarations,
          };
          expect(rejection(xml, exact)).toBeUndefined(); // well-formed, and within the limits at their exact counts
          expect(rejection(xml, exact, parseElementTree)).toBeUndefined();
          expect(rejection(xml, { ...exact, maxElements: generated.elements - 1 })).toBe('TOO_MANY_ELEMENTS');
          if (generated.mostAttributes > 0)
            expect(rejection(xml, { ...exact, maxAttributesPerElement: generated.mostAttributes - 1 })).toBe('TOO_MANY_ATTRIBUTES');
          if (generated.attributes > 0) expect(rejection(xml, { ...exact, maxAttributes: generated.attributes - 1 })).toBe('TOO_MANY_ATTRIBUTES');
          if (generated.declarations > 0) {
            expect(rejection(xml, { ...exact, maxNamespaceDeclarations: generated.declarations - 1 })).toBe('TOO_MANY_NAMESPACE_DECLARATIONS');
          }
        }),
        { numRuns: 500 },
      );
    });
  });
});
