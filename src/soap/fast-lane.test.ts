import fc from 'fast-check';
import { GET_ETK_FAST_LANE } from '../frontend/etkdepot/get-etk.js';
import { projectPaths } from '../project-paths.js';
import { domElementView } from '../xml/element-view.js';
import { DEFAULT_PARSE_LIMITS } from '../xml/parse.js';
import { readSoapEnvelope } from './envelope.js';
import { NS } from './namespaces.js';
import { compileEnvelopeValidator } from './request-validator.js';
import type { SoapOperation } from './service.js';
import { qname } from './endpoint.js';
import { readOnFastLane } from './fast-lane.js';

/*
 * The fast lane skips XSD validation, so what it accepts must be schema-valid. These documents are GetEtk requests
 * built with the variations real clients produce (prefixes, default namespaces, declarations, whitespace, comments,
 * CDATA, references) and with mutations that break the schema (attributes, extra, missing, repeated or reordered
 * elements, foreign namespaces, text and CDATA between elements, headers, other declarations). For every one:
 * accepted by the fast lane ⇒ valid for libxml2 against our XSDs, and read exactly as the DOM path reads it.
 */

const DEP = NS.etkdepotProtocolV1;
const validator = compileEnvelopeValidator(projectPaths.xsd());
const operation: SoapOperation = {
  name: 'GetEtk',
  requestElement: { namespace: DEP, localName: 'GetEtkRequest' },
  fastLane: GET_ETK_FAST_LANE,
  handle: async () => '',
};
const operations = new Map([[qname(DEP, 'GetEtkRequest'), operation]]);

interface Identifier {
  type: string;
  value: string;
  applicationId: string | undefined;
}

type Mutation =
  | 'none'
  | 'attribute'
  | 'xsiType'
  | 'xmlLang'
  | 'extraElement'
  | 'missingValue'
  | 'repeatedType'
  | 'swappedTypeValue'
  | 'foreignNamespaceChild'
  | 'unqualifiedChild'
  | 'textBetween'
  | 'whitespaceCdataBetween'
  | 'childInText'
  | 'header'
  | 'emptyHeader'
  | 'headerAttribute'
  | 'headerComment'
  | 'secondBodyChild'
  | 'noIdentifier'
  | 'elementAfterBody'
  | 'xml11'
  | 'latin1'
  | 'utf16'
  | 'wrongPayloadNamespace';

const textValue = fc.oneof(
  fc.constantFrom('SSIN', 'NIHII', 'CBE', 'EHP', '50010100156', '', ' 71001234 ', 'x', 'é€𝄞'),
  fc.string({ maxLength: 12 }).map((text) => text.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD]/g, '')),
);
const identifier: fc.Arbitrary<Identifier> = fc.record({ type: textValue, value: textValue, applicationId: fc.option(textValue, { nil: undefined }) });

const filler = fc.constantFrom('', '', ' ', '\n  ', '<!-- note -->', '\t<!---->\r\n');

/** Text as XML character data, with references and CDATA sections as clients may write it. */
function characterData(text: string, style: number): string {
  const escaped = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  if (style === 1 && text.length > 0) return `&#${text.codePointAt(0)};${escaped.slice(String.fromCodePoint(text.codePointAt(0)!).length)}`;
  if (style === 2 && !text.includes(']]>')) return `<![CDATA[${text}]]>`;
  if (style === 3) return `${escaped}<!-- c -->`;
  return escaped;
}

const documentArbitrary = fc.record({
  identifiers: fc.array(identifier, { minLength: 1, maxLength: 3 }),
  soapPrefix: fc.constantFrom('soapenv', 's', 'SOAP-ENV', ''),
  payloadPrefix: fc.constantFrom('p', 'ns2', ''),
  declareAtRoot: fc.boolean(),
  declaration: fc.constantFrom(
    '',
    '<?xml version="1.0"?>',
    '<?xml version="1.0" encoding="UTF-8"?>',
    "<?xml version='1.0' encoding='utf-8' standalone='yes'?>",
  ),
  fillers: fc.array(filler, { minLength: 12, maxLength: 12 }),
  textStyle: fc.integer({ min: 0, max: 3 }),
  mutation: fc.constantFrom<Mutation>(
    'none',
    'none',
    'none',
    'none',
    'attribute',
    'xsiType',
    'xmlLang',
    'extraElement',
    'missingValue',
    'repeatedType',
    'swappedTypeValue',
    'foreignNamespaceChild',
    'unqualifiedChild',
    'textBetween',
    'whitespaceCdataBetween',
    'childInText',
    'header',
    'emptyHeader',
    'headerAttribute',
    'headerComment',
    'secondBodyChild',
    'noIdentifier',
    'elementAfterBody',
    'xml11',
    'latin1',
    'utf16',
    'wrongPayloadNamespace',
  ),
  mutationTarget: fc.nat(),
});

type DocumentSpec = typeof documentArbitrary extends fc.Arbitrary<infer T> ? T : never;

function render(spec: DocumentSpec): string {
  const s = (name: string) => (spec.soapPrefix ? `${spec.soapPrefix}:${name}` : name);
  const p = (name: string) => (spec.payloadPrefix ? `${spec.payloadPrefix}:${name}` : name);
  const soapDeclaration = spec.soapPrefix ? `xmlns:${spec.soapPrefix}="${NS.soap11}"` : `xmlns="${NS.soap11}"`;
  const payloadNamespace = spec.mutation === 'wrongPayloadNamespace' ? 'urn:be:fgov:ehealth:etkdepot:1_0:other' : DEP;
  // A default namespace for the payload cannot be declared on a root that uses the default namespace itself.
  const payloadAtRoot = spec.declareAtRoot && (spec.payloadPrefix !== '' || spec.soapPrefix !== '');
  const payloadDeclaration = spec.payloadPrefix ? `xmlns:${spec.payloadPrefix}="${payloadNamespace}"` : `xmlns="${payloadNamespace}"`;
  const f = (index: number) => spec.fillers[index % spec.fillers.length]!;
  const text = (value: string) => characterData(value, spec.textStyle);
  const target = spec.mutationTarget;
  const attribute = (index: number) => {
    if (target % 5 !== index) return '';
    if (spec.mutation === 'attribute') return ' Id="_1"';
    if (spec.mutation === 'xsiType')
      return ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string" xmlns:xs="http://www.w3.org/2001/XMLSchema"';
    if (spec.mutation === 'xmlLang') return ' xml:lang="en"';
    return '';
  };

  const identifiers = (spec.mutation === 'noIdentifier' ? [] : spec.identifiers).map((id, index) => {
    const mutated = index === target % spec.identifiers.length;
    const parts = [
      `<${p('Type')}${attribute(3)}>${text(id.type)}${mutated && spec.mutation === 'childInText' ? `<${p('Value')}/>` : ''}</${p('Type')}>`,
      `<${p('Value')}${attribute(4)}>${text(id.value)}</${p('Value')}>`,
      id.applicationId === undefined ? '' : `<${p('ApplicationID')}>${text(id.applicationId)}</${p('ApplicationID')}>`,
    ];
    if (mutated) {
      if (spec.mutation === 'missingValue') parts[1] = '';
      if (spec.mutation === 'repeatedType') parts.push(parts[0]!);
      if (spec.mutation === 'swappedTypeValue') parts.reverse();
      if (spec.mutation === 'extraElement') parts.splice(1, 0, `<${p('Extra')}/>`);
      if (spec.mutation === 'foreignNamespaceChild') parts.splice(2, 0, '<x:Other xmlns:x="urn:other"/>');
      if (spec.mutation === 'unqualifiedChild') parts[0] = `<Type xmlns="">${text(id.type)}</Type>`;
      if (spec.mutation === 'textBetween') parts.splice(1, 0, 'text');
      if (spec.mutation === 'whitespaceCdataBetween') parts.splice(1, 0, '<![CDATA[ ]]>');
    }
    return `<${p('Identifier')}${attribute(2)}>${f(index)}${parts.join(f(index + 1))}${f(index + 2)}</${p('Identifier')}>`;
  });
  const payload =
    `<${p('GetEtkRequest')}${payloadAtRoot ? '' : ` ${payloadDeclaration}`}${attribute(0)}>${f(3)}` +
    `<${p('SearchCriteria')}${attribute(1)}>${identifiers.join(f(4))}</${p('SearchCriteria')}>${f(5)}</${p('GetEtkRequest')}>`;
  const header =
    spec.mutation === 'header'
      ? `<${s('Header')}><w:Security xmlns:w="${NS.wsse}"/></${s('Header')}>`
      : spec.mutation === 'emptyHeader'
        ? `<${s('Header')}/>`
        : spec.mutation === 'headerAttribute'
          ? `<${s('Header')} ${s('x')}="1"></${s('Header')}>`
          : spec.mutation === 'headerComment'
            ? `<${s('Header')}> <!-- <x:Security xmlns:x="urn:x"/> --> </${s('Header')}>`
            : '';
  const declaration =
    spec.mutation === 'xml11'
      ? '<?xml version="1.1"?>'
      : spec.mutation === 'latin1'
        ? '<?xml version="1.0" encoding="ISO-8859-1"?>'
        : spec.mutation === 'utf16'
          ? '<?xml version="1.0" encoding="UTF-16"?>'
          : spec.declaration;
  return (
    `${declaration}<${s('Envelope')} ${soapDeclaration}${payloadAtRoot ? ` ${payloadDeclaration}` : ''}>${f(6)}${header}<${s('Body')}>${f(7)}${payload}` +
    `${spec.mutation === 'secondBodyChild' ? `<${p('GetEtkRequest')}${payloadAtRoot ? '' : ` ${payloadDeclaration}`}/>` : ''}${f(8)}</${s('Body')}>` +
    `${spec.mutation === 'elementAfterBody' ? '<x:After xmlns:x="urn:other"/>' : ''}${f(9)}</${s('Envelope')}>`
  );
}

describe('the SOAP fast lane (shape check instead of XSD validation)', () => {
  it('accepts only schema-valid GetEtk requests, and reads them as the DOM path does', () => {
    const seen = { fast: 0, invalid: 0, validButOrdinary: 0 };
    fc.assert(
      fc.property(documentArbitrary, (spec) => {
        const xml = render(spec);
        const valid = validator.validate(xml).valid;
        const fast = readOnFastLane(xml, DEFAULT_PARSE_LIMITS, operations);
        if (!valid) seen.invalid++;
        if (!fast) {
          if (valid) seen.validButOrdinary++;
          return;
        }
        seen.fast++;
        if (!valid) throw new Error(`the fast lane accepted a schema-invalid request: ${validator.validate(xml).errors.join(' ')}\n${xml}`);
        expect(fast.request).toEqual(GET_ETK_FAST_LANE.read(domElementView(readSoapEnvelope(xml, DEFAULT_PARSE_LIMITS).payload)));
      }),
      { numRuns: 3000 },
    );
    // Not vacuous: both sides of the implication occur often.
    expect(seen.fast).toBeGreaterThan(500);
    expect(seen.invalid).toBeGreaterThan(500);
  });

  it('takes the fast lane for the requests real clients send', () => {
    const connector =
      `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="${NS.soap11}"><soapenv:Header/><soapenv:Body>` +
      `<ns2:GetEtkRequest xmlns:ns2="${DEP}"><ns2:SearchCriteria><ns2:Identifier><ns2:Type>SSIN</ns2:Type><ns2:Value>50010100156</ns2:Value><ns2:ApplicationID></ns2:ApplicationID></ns2:Identifier></ns2:SearchCriteria></ns2:GetEtkRequest></soapenv:Body></soapenv:Envelope>`;
    const zeep =
      `<soap-env:Envelope xmlns:soap-env="${NS.soap11}"><soap-env:Body><ns0:GetEtkRequest xmlns:ns0="${DEP}"><ns0:SearchCriteria>` +
      `<ns0:Identifier><ns0:Type>CBE</ns0:Type><ns0:Value>0809394427</ns0:Value></ns0:Identifier></ns0:SearchCriteria></ns0:GetEtkRequest></soap-env:Body></soap-env:Envelope>`;
    // SAAJ (the connector) always sends an empty Header.
    expect(readOnFastLane(connector, DEFAULT_PARSE_LIMITS, operations)?.request).toEqual([
      { type: 'SSIN', value: '50010100156', applicationId: '', applicationIdElement: true },
    ]);
    expect(readOnFastLane(zeep, DEFAULT_PARSE_LIMITS, operations)?.request).toEqual([
      { type: 'CBE', value: '0809394427', applicationId: undefined, applicationIdElement: false },
    ]);
  });
});
