import fc from 'fast-check';
import { cbeCheckDigits } from './cbe.js';
import { dnEquals, dnEqualsOrdered, escapeDnValue, formatDn, parseDn } from './dn.js';
import {
  EhealthDnError,
  buildEhealthDn,
  ehealthDnAttributes,
  isValidApplicationId,
  normaliseApplicationId,
  normaliseDnName,
  parseEhealthDn,
  type EhealthDnErrorCode,
  type EhealthDnInput,
} from './ehealth-dn.js';
import { ETK_IDENTIFIER_TYPES } from './etk-identifier-types.js';

const JAVA_PERSON = 'CN=SSIN\\=85073003328,OU=eHealth-platform Belgium,OU=JAN TEST,OU=SSIN\\=85073003328,O=Federal Government,C=BE';
const JAVA_ORG =
  'CN=NIHII-HOSPITAL\\=71089815\\, MYAPP,OU=eHealth-platform Belgium,OU=TEST HOSPITAL,OU=NIHII-HOSPITAL\\=71089815,OU=MYAPP,O=Federal Government,C=BE';
const NET_EHP =
  'CN="EHP=1990001916, VITALINKGATEWAY", OU=eHealth-platform Belgium, OU=VLAAMS AGENTSCHAP ZORG EN GEZONDHEID, OU="EHP=1990001916", OU=VITALINKGATEWAY, O=Federal Government, C=BE';

function codeOf(f: () => unknown): EhealthDnErrorCode | 'none' {
  try {
    f();
    return 'none';
  } catch (e) {
    if (e instanceof EhealthDnError) return e.code;
    throw e;
  }
}

/** What the connector does before echoing Contract/DN (NewCertificateContract). */
const connectorEcho = (dn: string, type: string) => dn.replaceAll(`${type}=`, `${type}\\=`);

describe('buildEhealthDn', () => {
  test('person: the §6 string exactly', () => {
    expect(buildEhealthDn({ type: 'SSIN', id: '85073003328', name: 'Jan Test' })).toBe(JAVA_PERSON);
  });

  test('organisation with application id: the §6 string exactly', () => {
    expect(buildEhealthDn({ type: 'NIHII-HOSPITAL', id: '71089815', name: 'Test Hospital', applicationId: 'MYAPP' })).toBe(JAVA_ORG);
  });

  test('organisation without application id (empty and null count as absent)', () => {
    const expected = 'CN=CBE\\=0820563481,OU=eHealth-platform Belgium,OU=ACME,OU=CBE\\=0820563481,O=Federal Government,C=BE';
    expect(buildEhealthDn({ type: 'CBE', id: '0820563481', name: 'Acme' })).toBe(expected);
    expect(buildEhealthDn({ type: 'CBE', id: '0820563481', name: 'Acme', applicationId: '' })).toBe(expected);
    expect(buildEhealthDn({ type: 'CBE', id: '0820563481', name: 'Acme', applicationId: '  ' })).toBe(expected);
    expect(buildEhealthDn({ type: 'CBE', id: '0820563481', name: 'Acme', applicationId: null })).toBe(expected);
  });

  test('attributes in string order; X.509 encodes them reversed', () => {
    expect(ehealthDnAttributes({ type: 'NIHII-HOSPITAL', id: '71089815', name: 'Test Hospital', applicationId: 'MYAPP' })).toEqual([
      { type: 'CN', value: 'NIHII-HOSPITAL=71089815, MYAPP', rdn: 0 },
      { type: 'OU', value: 'eHealth-platform Belgium', rdn: 1 },
      { type: 'OU', value: 'TEST HOSPITAL', rdn: 2 },
      { type: 'OU', value: 'NIHII-HOSPITAL=71089815', rdn: 3 },
      { type: 'OU', value: 'MYAPP', rdn: 4 },
      { type: 'O', value: 'Federal Government', rdn: 5 },
      { type: 'C', value: 'BE', rdn: 6 },
    ]);
  });

  test('names: upper case, diacritics stripped like the connector, white space collapsed, specials escaped', () => {
    expect(normaliseDnName('  Hôpital   Saint-Luc ')).toBe('HOPITAL SAINT-LUC');
    expect(normaliseDnName('Zoë Ćirić-Façade')).toBe('ZOE CIRIC-FACADE');
    expect(normaliseDnName('Straße')).toBe('STRASSE');
    expect(normaliseDnName('Ærø Øster')).toBe('ÆRØ ØSTER'); // no combining mark to strip
    expect(buildEhealthDn({ type: 'CBE', id: '0820563481', name: 'Dupont, Durand & Fils+Co; "X" <Y> #1 \\' })).toBe(
      'CN=CBE\\=0820563481,OU=eHealth-platform Belgium,OU=DUPONT\\, DURAND & FILS\\+CO\\; \\"X\\" \\<Y\\> \\#1 \\\\,OU=CBE\\=0820563481,O=Federal Government,C=BE',
    );
  });

  test('application ids are normalised like the connector and must match [0-9A-Z-_]{1,30}', () => {
    expect(normaliseApplicationId(' my-app_é1 ')).toBe('MY-APP_E1');
    expect(normaliseApplicationId('')).toBeUndefined();
    expect(normaliseApplicationId(undefined)).toBeUndefined();
    expect(isValidApplicationId('MY-APP_1')).toBe(true);
    expect(isValidApplicationId('A'.repeat(30))).toBe(true);
    expect(isValidApplicationId('A'.repeat(31))).toBe(false);
    expect(isValidApplicationId('MY APP')).toBe(false);
    expect(isValidApplicationId('MY.APP')).toBe(false);
    expect(buildEhealthDn({ type: 'EHP', id: '1990001916', name: 'x', applicationId: 'vitalinkgateway' })).toContain(',OU=VITALINKGATEWAY,');
  });

  const base: EhealthDnInput = { type: 'NIHII-HOSPITAL', id: '71089815', name: 'Test Hospital' };
  test.each<[string, EhealthDnInput, EhealthDnErrorCode]>([
    ['unknown type', { ...base, type: 'NIHII-NOPE' }, 'UNKNOWN_TYPE'],
    ['type in lower case', { ...base, type: 'nihii-hospital' }, 'UNKNOWN_TYPE'],
    ['id too short', { ...base, id: '1089815' }, 'BAD_ID'],
    ['id too long', { ...base, id: '710898150' }, 'BAD_ID'],
    ['id not digits', { ...base, id: '7108981x' }, 'BAD_ID'],
    ['CBE starting with 2', { type: 'CBE', id: '2820563481', name: 'x' }, 'BAD_ID'],
    ['empty name', { ...base, name: ' \t ' }, 'BAD_NAME'],
    ['name too long', { ...base, name: 'A'.repeat(65) }, 'BAD_NAME'],
    ['control character', { ...base, name: 'A\u0007B' }, 'BAD_NAME'],
    ['"=" in name', { ...base, name: 'A=B' }, 'BAD_NAME'],
    ['name that looks like TYPE=id', { ...base, name: 'CBE=0820563481' }, 'BAD_NAME'],
    ['name equal to the application id', { ...base, name: 'myapp', applicationId: 'MYAPP' }, 'BAD_NAME'],
    ['name that ends the CN (connector would take it for the app id)', { ...base, name: 'APP', applicationId: 'MYAPP' }, 'BAD_NAME'],
    ['numeric name that ends the CN', { ...base, name: '815' }, 'BAD_NAME'],
    ['application id too long', { ...base, applicationId: 'A'.repeat(31) }, 'BAD_APPLICATION_ID'],
    ['application id with a space', { ...base, applicationId: 'MY APP' }, 'BAD_APPLICATION_ID'],
    ['application id for a person', { type: 'SSIN', id: '85073003328', name: 'Jan Test', applicationId: 'MYAPP' }, 'APPLICATION_ID_NOT_ALLOWED'],
  ])('rejects %s', (_label, input, code) => {
    expect(codeOf(() => buildEhealthDn(input))).toBe(code);
  });

  test('64-character names are accepted', () => {
    expect(codeOf(() => buildEhealthDn({ ...base, name: 'A'.repeat(64) }))).toBe('none');
  });

  test('check digits are not this function’s business (format only)', () => {
    expect(codeOf(() => buildEhealthDn({ ...base, id: '71089816' }))).toBe('none');
  });
});

describe('parseEhealthDn (connector CertificateParser)', () => {
  test('§6 person (Java RFC 2253)', () => {
    expect(parseEhealthDn(JAVA_PERSON)).toEqual({ type: 'SSIN', id: '85073003328', name: 'JAN TEST' });
  });

  test('§6 organisation with application id (Java RFC 2253)', () => {
    expect(parseEhealthDn(JAVA_ORG)).toEqual({ type: 'NIHII-HOSPITAL', id: '71089815', name: 'TEST HOSPITAL', applicationId: 'MYAPP' });
  });

  test('§6 real production certificate (.NET display form, quoted)', () => {
    expect(parseEhealthDn(NET_EHP)).toEqual({
      type: 'EHP',
      id: '1990001916',
      name: 'VLAAMS AGENTSCHAP ZORG EN GEZONDHEID',
      applicationId: 'VITALINKGATEWAY',
    });
  });

  test('the inferred unescaped server form and the connector-echoed form', () => {
    const unescaped = 'CN=SSIN=85073003328, OU=eHealth-platform Belgium, OU=JAN TEST, OU=SSIN=85073003328, O=Federal Government, C=BE';
    expect(parseEhealthDn(unescaped)).toEqual({ type: 'SSIN', id: '85073003328', name: 'JAN TEST' });
    expect(connectorEcho(unescaped, 'SSIN')).toBe(
      'CN=SSIN\\=85073003328, OU=eHealth-platform Belgium, OU=JAN TEST, OU=SSIN\\=85073003328, O=Federal Government, C=BE',
    );
    expect(dnEquals(connectorEcho(unescaped, 'SSIN'), JAVA_PERSON)).toBe(true);
    // our (already escaped) string goes through the connector's echo unchanged
    expect(connectorEcho(JAVA_PERSON, 'SSIN')).toBe(JAVA_PERSON);
    expect(connectorEcho(JAVA_ORG, 'NIHII-HOSPITAL')).toBe(JAVA_ORG);
  });

  test('RDN order does not matter (2014 acceptance certificate order CN, C, OU(SSIN), OU(name), OU(eHealth), O)', () => {
    const java2014 = 'O=Federal Government,OU=eHealth-platform Belgium,OU=JAN TEST,OU=SSIN\\=85073003328,C=BE,CN=SSIN\\=85073003328';
    expect(parseEhealthDn(java2014)).toEqual({ type: 'SSIN', id: '85073003328', name: 'JAN TEST' });
    const reversedOrg = formatDn([...parseDn(JAVA_ORG)].reverse());
    expect(parseEhealthDn(reversedOrg)).toEqual(parseEhealthDn(JAVA_ORG));
  });

  test('accepts parsed attributes as well as strings', () => {
    expect(parseEhealthDn(parseDn(JAVA_ORG))).toEqual(parseEhealthDn(JAVA_ORG));
  });

  test.each([
    ['ETK-RA signer', 'CN=ETK-RA, OU=eHealth-platform Belgium, O=Federal Government, C=BE'],
    ['eHealth CA', 'CN=eH CA, OU=eHealth-platform Belgium, O=Federal Government, C=BE'],
    ['Zetes issuing CA', 'CN=ZetesConfidens Private Trust PKI - eHealth issuing CA 001, SERIALNUMBER=001, O=ZETES SA, C=BE'],
    ['eID certificate', 'SERIALNUMBER=85073003328, G=Jan, SN=Test, CN=Jan Test (Authentication), C=BE'],
    ['eID with an eHealth-looking OU', 'CN=x,OU=eHealth-platform Belgium,OU=JAN TEST,OU=SSIN\\=85073003328,2.5.4.5=#130b3835303733303033333238'],
    ['missing eHealth OU', 'CN=SSIN\\=85073003328,OU=JAN TEST,OU=SSIN\\=85073003328,O=Federal Government,C=BE'],
    ['missing CN', 'OU=eHealth-platform Belgium,OU=JAN TEST,OU=SSIN\\=85073003328,O=Federal Government,C=BE'],
    ['missing name OU', 'CN=SSIN\\=85073003328,OU=eHealth-platform Belgium,OU=SSIN\\=85073003328,O=Federal Government,C=BE'],
    ['type/id in CN only', 'CN=SSIN\\=85073003328,OU=eHealth-platform Belgium,OU=JAN TEST,O=Federal Government,C=BE'],
    ['not a DN', 'CN="unterminated'],
    ['empty', ''],
  ])('%s → null', (_label, dn) => {
    expect(parseEhealthDn(dn)).toBeNull();
  });

  test('connector quirks: OUs are visited in reverse string order and the last match wins', () => {
    // Two type/id OUs: the one nearest the start of the string is visited last.
    const twoIds = 'CN=CBE\\=0820563481,OU=eHealth-platform Belgium,OU=X,OU=CBE\\=0820563481,OU=CBE\\=0809394427,O=Federal Government,C=BE';
    expect(parseEhealthDn(twoIds)).toEqual({ type: 'CBE', id: '0820563481', name: 'X' });
    // The type/id class [A-Z(-|_)] is wider than it looks ('(-|' is a range): lower case and digits match too.
    const lower = 'CN=abc\\=12,OU=eHealth-platform Belgium,OU=X,OU=abc\\=12,O=Federal Government,C=BE';
    expect(parseEhealthDn(lower)).toEqual({ type: 'abc', id: '12', name: 'X' });
  });
});

// ------------------------------------------------------------------------------------------------
// Properties

const digits = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: n, maxLength: n });
const NAME_UNITS = [...'ABCXYZabcxyzéÉèçÇñØæß0123456789', ' ', ' ', ',', '+', ';', '"', '\\', '<', '>', '#', '=', '-', "'", '&', '(', ')', '.', '\t'];

const inputArb: fc.Arbitrary<EhealthDnInput> = fc
  .record({
    t: fc.constantFrom(...ETK_IDENTIFIER_TYPES),
    name: fc.oneof(fc.string({ unit: fc.constantFrom(...NAME_UNITS), minLength: 0, maxLength: 70 }), fc.string({ unit: 'binary', maxLength: 30 })),
    app: fc.option(fc.string({ unit: fc.constantFrom(...'ABCXYZ0189-_abcé'), minLength: 0, maxLength: 32 }), { nil: undefined }),
    rest: digits(11),
    first: fc.constantFrom('0', '1'),
  })
  .map(({ t, name, app, rest, first }) => {
    const id = t.kind === 'CBE' ? first + rest.slice(0, 7) + cbeCheckDigits(first + rest.slice(0, 7)) : rest.slice(0, t.length);
    return { type: t.type, id, name, applicationId: t.isOrganization ? app : undefined };
  });

/** Independent statement of the rules (the oracle). */
function expectedOutcome(input: EhealthDnInput): EhealthDnErrorCode | 'none' {
  const app = normaliseApplicationId(input.applicationId);
  const name = normaliseDnName(input.name);
  if (name === '' || Array.from(name).length > 64 || /[\p{Cc}\p{Cs}\uFFFD]/u.test(name) || name.includes('=')) return 'BAD_NAME';
  if (app !== undefined && !/^[0-9A-Z_-]{1,30}$/u.test(app)) return 'BAD_APPLICATION_ID';
  const cn = app === undefined ? `${input.type}=${input.id}` : `${input.type}=${input.id}, ${app}`;
  if (cn.endsWith(name)) return 'BAD_NAME';
  return 'none';
}

describe('eHealth DN properties', () => {
  test('build → parse round trip (and exactly the documented rejections)', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const expected = expectedOutcome(input);
        expect(codeOf(() => buildEhealthDn(input))).toBe(expected);
        if (expected !== 'none') return;
        const dn = buildEhealthDn(input);
        const app = normaliseApplicationId(input.applicationId);
        expect(parseEhealthDn(dn)).toEqual({
          type: input.type,
          id: input.id,
          name: normaliseDnName(input.name),
          ...(app === undefined ? {} : { applicationId: app }),
        });
        expect(formatDn(parseDn(dn))).toBe(dn);
      }),
      { numRuns: 1000 },
    );
  });

  test('the round trip is not vacuous: most generated inputs build', () => {
    const samples = fc.sample(inputArb, { numRuns: 1000, seed: 42 });
    expect(samples.filter((s) => expectedOutcome(s) === 'none').length).toBeGreaterThan(500);
  });

  test('escaping style (\\= / quoted / plain =), RDN order and white space change neither equality nor the parsed identity', () => {
    fc.assert(
      fc.property(inputArb, fc.constantFrom(', ', ' , ', ';', ' ;\n', ',\t'), (input, sep) => {
        fc.pre(expectedOutcome(input) === 'none');
        const dn = buildEhealthDn(input);
        const attrs = parseDn(dn);
        const display = formatDn(attrs, { style: 'display' }); // quoted, ", "
        const reversed = formatDn([...attrs].reverse());
        const spaced = attrs.map((a) => `${a.type} = ${escapeDnValue(a.value)}`).join(sep);
        // '=' left unescaped inside values (only ',' escaped): the form the connector rewrites before echoing
        const plain = attrs.map((a) => `${a.type}=${escapeDnValue(a.value).replaceAll('\\=', '=')}`).join(', ');
        for (const variant of [display, reversed, spaced, plain, connectorEcho(plain, input.type)]) {
          expect(dnEquals(dn, variant)).toBe(true);
          expect(parseEhealthDn(variant)).toEqual(parseEhealthDn(dn));
        }
        expect(dnEqualsOrdered(dn, display)).toBe(true);
        expect(dnEqualsOrdered(dn, plain)).toBe(true);
        expect(dnEqualsOrdered(dn, reversed)).toBe(false);
        // the connector's echo leaves our escaped string unchanged
        expect(connectorEcho(dn, input.type)).toBe(dn);
      }),
      { numRuns: 500 },
    );
  });
});
