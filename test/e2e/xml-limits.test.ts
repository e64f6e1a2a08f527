import fc from 'fast-check';
import { loadConfig } from '../../src/config/config.js';
import { NS } from '../../src/soap/namespaces.js';
import { descendantsNamed, parseXmlStrict, textOf } from '../../src/xml/parse.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

/*
 * Issue #12, defect 2: a request under the body limit whose elements carry thousands of attributes or namespace
 * declarations made libxml2 (schema validation) and xmldom (the DOM) spend time quadratic in their number, blocking
 * the event loop (20,000 declarations in a SOAP Header: ~1.5 s; 60,000: 8.8 s). The caps are counted on the raw text
 * before any parser sees it, and a request beyond them is a PAYLOAD_TOO_LARGE fault. Measured here through the whole
 * platform: CertRA's unsigned getGenericOrganizationTypes and ETKDepot's GetEtk (a Header entry takes the ordinary
 * path, the payload's attributes make the fast lane give way to it).
 */

const SOAP = NS.soap11;
const CERTRA = '/CertRa/v2';
const ETKDEPOT = '/EtkDepot/v1';
type Endpoint = typeof CERTRA | typeof ETKDEPOT;

const getGenericOrganizationTypes = (payloadContent = ''): string =>
  `<ns3:GetGenericOrganizationTypesRequest xmlns:ns3="${NS.certraProtocolV2}" Id="_limits" IssueInstant="${new Date().toISOString()}">${payloadContent}</ns3:GetGenericOrganizationTypesRequest>`;
const getEtk = (payloadContent = ''): string =>
  `<p:GetEtkRequest xmlns:p="${NS.etkdepotProtocolV1}">${payloadContent}<p:SearchCriteria><p:Identifier><p:Type>SSIN</p:Type><p:Value>85073003328</p:Value></p:Identifier></p:SearchCriteria></p:GetEtkRequest>`;

/** A request to the endpoint with `header` as its Header's content and `inPayload` as the first child of the request element. */
function request(endpoint: Endpoint, header: string | undefined, inPayload = ''): string {
  const payload = endpoint === CERTRA ? getGenericOrganizationTypes(inPayload) : getEtk(inPayload);
  return `<soapenv:Envelope xmlns:soapenv="${SOAP}">${header === undefined ? '' : `<soapenv:Header>${header}</soapenv:Header>`}<soapenv:Body>${payload}</soapenv:Body></soapenv:Envelope>`;
}

const repeat = (count: number, unit: (i: number) => string): string => Array.from({ length: count }, (_, i) => unit(i)).join('');
const attributes = (count: number): string => repeat(count, (i) => ` a${i}="v"`);
const declarations = (count: number, from = 0): string => repeat(count, (i) => ` xmlns:p${from + i}="urn:p:${from + i}"`);

function faultOf(body: string): { code: string; message: string } {
  const document = parseXmlStrict(body);
  const systemError = descendantsNamed(document, NS.soaErrors, 'SystemError')[0];
  if (!systemError) throw new Error(`not a fault: ${body.slice(0, 300)}`);
  return { code: textOf(descendantsNamed(systemError, null, 'Code')[0]!), message: textOf(descendantsNamed(systemError, null, 'Message')[0]!) };
}

describe('XML limits on attributes and namespace declarations (issue #12, defect 2)', () => {
  let t: TestPlatform;
  beforeAll(async () => {
    t = await startTestPlatform();
  });
  afterAll(async () => {
    await t.close();
  });

  it('has documented, configurable defaults', () => {
    const defaults = loadConfig({});
    expect([defaults.xmlMaxAttributesPerElement, defaults.xmlMaxAttributes, defaults.xmlMaxNamespaceDeclarations]).toEqual([256, 4096, 1024]);
    const set = loadConfig({ XML_MAX_ATTRIBUTES_PER_ELEMENT: '300', XML_MAX_ATTRIBUTES: '5000', XML_MAX_NAMESPACE_DECLARATIONS: '2000' });
    expect([set.xmlMaxAttributesPerElement, set.xmlMaxAttributes, set.xmlMaxNamespaceDeclarations]).toEqual([300, 5000, 2000]);
    expect(() => loadConfig({ XML_MAX_ATTRIBUTES_PER_ELEMENT: '0' })).toThrow(/XML_MAX_ATTRIBUTES_PER_ELEMENT/);
    expect(() => loadConfig({ XML_MAX_NAMESPACE_DECLARATIONS: 'many' })).toThrow(/XML_MAX_NAMESPACE_DECLARATIONS/);
  });

  describe.each([CERTRA, ETKDEPOT] as const)('%s', (endpoint) => {
    it.each([
      [
        '20,000 namespace declarations on a Header entry',
        request(endpoint, `<h:X xmlns:h="urn:h"${declarations(20_000)}/>`),
        /more than 256 attributes .* on one element/,
      ],
      ['20,000 attributes on a Header entry', request(endpoint, `<h:X xmlns:h="urn:h"${attributes(20_000)}/>`), /more than 256 attributes .* on one element/],
      [
        '257 attributes on an element of the request',
        request(endpoint, undefined, `<h:X xmlns:h="urn:h"${attributes(256)}/>`),
        /more than 256 attributes .* on one element/,
      ],
      [
        '4,097 attributes over several elements',
        request(endpoint, `<h:X xmlns:h="urn:h">${repeat(17, () => `<h:Y${attributes(241)}/>`)}</h:X>`),
        /more than 4096 attributes .* in the document/,
      ],
      [
        '1,025 namespace declarations over several elements',
        request(endpoint, `<h:X xmlns:h="urn:h">${repeat(5, (i) => `<h:Y${declarations(205, i * 205)}/>`)}</h:X>`),
        /more than 1024 namespace declarations/,
      ],
      [
        'a default namespace declared on 1,025 elements',
        request(endpoint, `<X xmlns="urn:h">${repeat(1_024, () => '<Y xmlns="urn:h"/>')}</X>`),
        /more than 1024 namespace declarations/,
      ],
    ])('refuses %s with a PAYLOAD_TOO_LARGE fault', async (_what, body, message) => {
      const response = await t.soap(endpoint, body);
      expect(response.status).toBe(500);
      const fault = faultOf(response.body);
      expect(fault.code).toBe('PAYLOAD_TOO_LARGE');
      expect(fault.message).toMatch(message);
    });

    it('answers requests exactly at the limits', async () => {
      // Besides the Header's: the Envelope's declaration, and the request element's declaration (and Id, IssueInstant).
      const requestAttributes = endpoint === CERTRA ? 4 : 2;
      for (const body of [
        request(endpoint, `<h:X xmlns:h="urn:h"${declarations(255)}/>`),
        request(endpoint, `<h:X xmlns:h="urn:h"${attributes(255)}/>`),
        request(endpoint, `<h:X xmlns:h="urn:h" xmlns:z="urn:z">${repeat(4, (i) => `<h:Y${declarations(255, i * 255)}/>`)}</h:X>`), // 1,024 declarations
        request(
          endpoint,
          `<h:X xmlns:h="urn:h">${repeat(16, () => `<h:Y${attributes(254)}/>`)}<h:Z${attributes(4096 - 16 * 254 - 1 - requestAttributes)}/></h:X>`,
        ), // 4,096 attributes
      ]) {
        const response = await t.soap(endpoint, body);
        expect({ status: response.status, body: response.body.slice(0, 200) }).toEqual({ status: 200, body: expect.stringContaining('Envelope') });
      }
    });
  });

  /*
   * Parsing time stays linear in the size of the request, whatever its shape. For each hostile shape the property
   * compares, through the whole HTTP stack, a request of ~4 KB with the same shape at 64 times the size: linear work
   * costs at most 64 times as much (less, with the fixed cost of a request), quadratic work 4,096 times (namespace
   * declarations on one element cost 330 times as much before the caps, attributes 700 times). It also compares the large request with an
   * ordinary request (a batch of GetEtk-like identifiers, 256 KB): no shape may cost much more per byte. A cost
   * is the least of 5 interleaved rounds, each the mean of the requests sent in at least 5 ms: noise (other processes,
   * the collector cleaning up after a large request) only ever adds to a round. The bounds (3 × 64 and 12) leave a wide
   * margin either way.
   */
  interface ShapeParameters {
    /** Length of generated names (element, attribute, prefix): 1 to 40 characters. */
    nameLength: number;
    /** What attribute values are made of. */
    value: 'plain' | 'references' | 'markupCharacters';
    /** Attributes per element when they are spread over many elements. */
    perElement: number;
  }
  interface Shape {
    /** The hostile text for about `length` characters: a Header entry, or the raw request when `raw`. */
    build(length: number, parameters: ShapeParameters): string;
    raw?: boolean;
    /** Whether its cost may grow with one dimension only (false: elements × namespaces in scope, bounded by the caps). */
    oneDimensional: boolean;
  }
  const name = (base: string, p: ShapeParameters): string => (base + 'n'.repeat(40)).slice(0, Math.max(base.length, p.nameLength));
  const attributeValue = (p: ShapeParameters, length: number): string => {
    const unit = { plain: 'v', references: '&amp;', markupCharacters: "=>/'" }[p.value];
    return unit.repeat(Math.max(1, Math.ceil(length / unit.length)));
  };
  /** A short distinct suffix: more units fit in a size, which is where quadratic work shows. */
  const id = (i: number): string => i.toString(36);
  /** Repeats units until the text reaches `length`. */
  const fill = (length: number, unit: (i: number) => string): string => {
    let text = '';
    for (let i = 0; text.length < length; i++) text += unit(i);
    return text;
  };
  const SHAPES: Record<string, Shape> = {
    manyAttributes: {
      oneDimensional: true,
      build: (length, p) => `<h:X xmlns:h="urn:h"${fill(length, (i) => ` ${name('a', p)}${id(i)}="${attributeValue(p, 1)}"`)}/>`,
    },
    manyNamespaces: {
      oneDimensional: true,
      build: (length, p) => `<h:X xmlns:h="urn:h"${fill(length, (i) => ` xmlns:${name('p', p)}${id(i)}="u${id(i)}"`)}/>`,
    },
    manyNamespacesOneUri: { oneDimensional: true, build: (length, p) => `<h:X xmlns:h="urn:h"${fill(length, (i) => ` xmlns:${name('p', p)}${id(i)}="u"`)}/>` },
    prefixedAttributes: {
      oneDimensional: true,
      build: (length, p) => `<h:X xmlns:h="urn:h" xmlns:q="urn:q"${fill(length, (i) => ` q:${name('a', p)}${id(i)}="${attributeValue(p, 1)}"`)}/>`,
    },
    attributesOnManyElements: {
      oneDimensional: true,
      build: (length, p) =>
        `<h:X xmlns:h="urn:h">${fill(length, () => `<h:Y${repeat(p.perElement, (i) => ` ${name('a', p)}${i}="${attributeValue(p, 1)}"`)}/>`)}</h:X>`,
    },
    defaultNamespaceOnEveryElement: {
      oneDimensional: true,
      build: (length, p) => `<X xmlns="urn:h">${fill(length, () => `<${name('Y', p)} xmlns="urn:h"/>`)}</X>`,
    },
    distinctPrefixesOnNestedElements: {
      oneDimensional: true,
      // Chains of 50 nested elements, each declaring and using a prefix of its own.
      build: (length, p) =>
        `<h:X xmlns:h="urn:h">${fill(length, (chain) => `${repeat(50, (i) => `<${name('p', p)}${chain}_${i}:e xmlns:${name('p', p)}${chain}_${i}="urn:${i}">`)}${repeat(50, (i) => `</${name('p', p)}${chain}_${49 - i}:e>`)}`)}</h:X>`,
    },
    deepPrefixes: {
      oneDimensional: true,
      // Chains of 50 nested elements, each declaring a new prefix and named with the outermost one (looked up through
      // every declaration in scope).
      build: (length, p) =>
        `<h:X xmlns:h="urn:h">${fill(length, (chain) => `${repeat(50, (i) => `<h:e xmlns:${name('p', p)}${chain}_${i}="urn:${i}">`)}${'</h:e>'.repeat(50)}`)}</h:X>`,
    },
    elementsUnderManyNamespaces: {
      oneDimensional: false,
      // Declarations in scope grow with the size (up to 1,000, below the cap), and so does the number of elements
      // looking through them (up to 19,000, below the cap): the worst the caps allow.
      build: (length, p) => {
        const scope = Math.min(250, Math.ceil(length / 500));
        const nested = repeat(4, (level) => `<h:Y${declarations(scope, level * scope)}>`);
        return `<h:X xmlns:h="urn:h">${nested}${fill(Math.min(length * 0.6, 19_000 * 6), () => '<h:a/>')}${'</h:Y>'.repeat(4)}</h:X>`.replaceAll(
          'xmlns:p',
          `xmlns:${name('p', p)}`,
        );
      },
    },
    longElementName: { oneDimensional: true, build: (length, p) => `<h:${name('n', p)}${'n'.repeat(length)} xmlns:h="urn:h"/>` },
    longAttributeName: { oneDimensional: true, build: (length, p) => `<h:X xmlns:h="urn:h" ${name('a', p)}${'a'.repeat(length)}="v"/>` },
    longPrefix: { oneDimensional: true, build: (length) => `<${'p'.repeat(length)}:X xmlns:${'p'.repeat(length)}="urn:h"/>` },
    longAttributeValue: { oneDimensional: true, build: (length, p) => `<h:X xmlns:h="urn:h" ${name('a', p)}="${attributeValue(p, length)}"/>` },
    longNamespaceName: { oneDimensional: true, build: (length) => `<h:X xmlns:h="urn:${'u'.repeat(length)}"/>` },
    manyElements: { oneDimensional: true, build: (length, p) => `<h:X xmlns:h="urn:h">${fill(length, () => `<h:${name('a', p)}/>`)}</h:X>` },
    // Malformed: libxml2 reads on after a fatal error and reports every further one (~20 µs each).
    referenceStorm: { oneDimensional: true, build: (length) => `<h:X xmlns:h="urn:h">${'&'.repeat(length)}</h:X>` },
    unclosedTags: { oneDimensional: true, build: (length, p) => `<h:X xmlns:h="urn:h">${fill(length, () => `<h:${name('a', p)} `)}</h:X>` },
    // Raw text for the transport's Header test (a regular expression) and the screening.
    unclosedHeaderTags: { oneDimensional: true, raw: true, build: (length) => `<soapenv:Envelope xmlns:soapenv="${SOAP}">${fill(length, () => '<a:Header ')}` },
  };
  /** An ordinary request's content of about `length` characters: a batch of identifiers. */
  const ordinary = (length: number): string =>
    `<h:Batch xmlns:h="urn:h">${fill(length, (i) => `<h:Identifier><h:Type>SSIN</h:Type><h:Value>${String(85073003328 + i)}</h:Value></h:Identifier>`)}</h:Batch>`;

  /** Mean cost of one request, in ms, over the requests sent in at least 5 ms. */
  async function cost(endpoint: Endpoint, body: string): Promise<number> {
    const started = process.hrtime.bigint();
    let count = 0;
    let elapsed = 0;
    do {
      await t.soap(endpoint, body);
      count++;
      elapsed = Number(process.hrtime.bigint() - started) / 1e6;
    } while (elapsed < 5);
    return elapsed / count;
  }
  async function leastCosts(endpoint: Endpoint, bodies: string[]): Promise<number[]> {
    for (const body of bodies) await t.soap(endpoint, body); // warm-up
    const samples = bodies.map(() => [] as number[]);
    for (let round = 0; round < 5; round++) {
      for (const [i, body] of bodies.entries()) samples[i]!.push(await cost(endpoint, body));
    }
    return samples.map((rounds) => Math.min(...rounds));
  }

  const SMALL = 4 * 1024;
  const GROWTH = 64;
  const parameters = fc.record({
    shape: fc.constantFrom(...Object.keys(SHAPES)),
    endpoint: fc.constantFrom<Endpoint>(CERTRA, ETKDEPOT),
    inPayload: fc.boolean(),
    nameLength: fc.integer({ min: 1, max: 40 }),
    value: fc.constantFrom<ShapeParameters['value']>('plain', 'references', 'markupCharacters'),
    perElement: fc.integer({ min: 1, max: 12 }),
  });
  type Parameters = typeof parameters extends fc.Arbitrary<infer T> ? T : never;
  const everyShapeOnce: Array<[Parameters]> = Object.keys(SHAPES).map((shape, i) => [
    // The raw shape on ETKDepot, whose fast lane tests the raw text for a Header entry.
    { shape, endpoint: SHAPES[shape]!.raw || i % 2 === 1 ? ETKDEPOT : CERTRA, inPayload: i % 3 === 0, nameLength: 1, value: 'plain', perElement: 8 },
  ]);

  /** Cost per KB of an ordinary request of GROWTH × SMALL, by endpoint (measured once). */
  const ordinaryCostPerKb = new Map<Endpoint, number>();
  async function ordinaryPerKb(endpoint: Endpoint): Promise<number> {
    let perKb = ordinaryCostPerKb.get(endpoint);
    if (perKb === undefined) {
      const body = request(endpoint, ordinary(GROWTH * SMALL));
      perKb = (await leastCosts(endpoint, [body]))[0]! / (body.length / 1024);
      ordinaryCostPerKb.set(endpoint, perKb);
    }
    return perKb;
  }

  it('parses in time linear in the size of the request, for hostile shapes (property)', async () => {
    const seen: string[] = [];
    await fc.assert(
      fc.asyncProperty(parameters, async (p) => {
        const shape = SHAPES[p.shape]!;
        const at = (length: number): string => {
          const hostile = shape.build(length, p);
          return shape.raw ? hostile : p.inPayload ? request(p.endpoint, undefined, hostile) : request(p.endpoint, hostile);
        };
        const small = at(SMALL);
        const large = at(GROWTH * SMALL);
        const [smallCost, largeCost] = await leastCosts(p.endpoint, [small, large]);
        const baselineCost = (await ordinaryPerKb(p.endpoint)) * (large.length / 1024);
        const growth = largeCost! / smallCost!;
        const perByte = largeCost! / baselineCost;
        seen.push(
          `${p.shape} on ${p.endpoint}${p.inPayload && !shape.raw ? ' in the payload' : ''}, ${(small.length / 1024).toFixed(0)}→${(large.length / 1024).toFixed(0)} KB: ${smallCost!.toFixed(2)} → ${largeCost!.toFixed(2)} ms (×${growth.toFixed(1)}), ordinary ${baselineCost.toFixed(2)} ms`,
        );
        if (shape.oneDimensional && !(growth < 3 * GROWTH)) throw new Error(`${seen.at(-1)}: grows faster than linearly`);
        if (!(perByte < 12)) throw new Error(`${seen.at(-1)}: ${perByte.toFixed(0)} times an ordinary request of that size`);
      }),
      // No shrinking: each run measures for a while, and the failing shape and ratio are in the message already.
      { numRuns: everyShapeOnce.length + 3, examples: everyShapeOnce, endOnFailure: true },
    );
    if (process.env.XML_LIMITS_REPORT) console.log(seen.join('\n'));
  }, 600_000);
});
