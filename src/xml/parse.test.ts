import { XMLSerializer } from '@xmldom/xmldom';
import { childElements, parseElementTree, parseXmlStrict, textOf, XmlParseError, type XmlRejection } from './parse.js';

const limits = { maxBytes: 10_000, maxDepth: 8, maxElements: 50 };

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
});
