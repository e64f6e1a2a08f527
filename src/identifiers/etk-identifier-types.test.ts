import fc from 'fast-check';
import { cbeCheckDigits } from './cbe.js';
import { ehpCheckDigits } from './ehp.js';
import {
  ETK_IDENTIFIER_TYPES,
  ORGANIZATION_IDENTIFIER_TYPES,
  findEtkIdentifierType,
  isOrganizationType,
  normaliseForLookup,
  validateIdentifier,
  type EtkIdentifierType,
} from './etk-identifier-types.js';
import { nihiiCheckDigits } from './nihii.js';
import { ssinCheckDigits } from './ssin.js';

const NOW = new Date('2025-06-15T12:00:00Z');

/** Wire facts §3, verbatim (type, length). */
const WIRE_FACTS = `SSIN 11 · CBE 10 · CBE-TREAT_CENTER 10 · CBE-CONSORTIUM 10 · EHP 10 · EHP-CTRL_ORGANISM 10 · NIHII 8 · NIHII11 11 ·
NIHII-PHARMACY 8 · NIHII-LABO 8 · NIHII-RETIREMENT 8 · NIHII-OTD_PHARMACY 8 · NIHII-HOSPITAL 8 · NIHII-GROUP 8 ·
NIHII-PALLIATIVE_CARE 8 · NIHII-OFFICE_DENTISTS 8 · NIHII-MEDICAL_HOUSE 8 · NIHII-OFFICE_DOCTORS 8 · NIHII-GROUP_DOCTORS 8 ·
NIHII-OF_BAND 8 · NIHII-PSYCH_HOUSE 8 · NIHII-PROT_ACC 8 · NIHII-HOME_SERVICES 8 · NIHII-OF_PHYSIOS 8 · NIHII-GUARD_POST 8 ·
NIHII-BELRAI 8 · NIHII-BELRAI_SCREEN 8 · NIHII-GROUP_MIDWIVES 8 · NIHII-AMBU_SERVICE 8 · NIHII-LEGAL_PSY 8 ·
NIHII-REEDUCATION 8 · NIHII-SORTING_CENTER 8 · SITE 4 · SITESMUR 10 · SITEPIT 10`
  .split('·')
  .map((s) => s.trim().split(/\s+/u))
  .map(([type, len]) => [type!, Number(len)] as const);

const digits = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: n, maxLength: n });

/** A value that must validate for the type. */
function validValueArb(t: EtkIdentifierType): fc.Arbitrary<string> {
  switch (t.kind) {
    case 'SSIN':
      return fc
        .tuple(fc.integer({ min: 30, max: 99 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 28 }), fc.integer({ min: 0, max: 999 }))
        .map(([y, m, d, s]) => {
          const base = [y, m, d].map((x) => String(x).padStart(2, '0')).join('') + String(s).padStart(3, '0');
          return base + ssinCheckDigits(base, 1900);
        });
    case 'CBE':
      return fc.tuple(fc.constantFrom('0', '1'), digits(7)).map(([a, b]) => a + b + cbeCheckDigits(a + b));
    case 'EHP':
      return digits(8).map((b) => b + ehpCheckDigits(b));
    case 'NIHII':
      return digits(6).map((b) => b + nihiiCheckDigits(b));
    case 'NIHII11':
      return fc.tuple(digits(6), digits(3)).map(([b, q]) => b + nihiiCheckDigits(b) + q);
    case 'SITE':
      return digits(t.length);
  }
}

describe('ETK identifier type table', () => {
  test('holds exactly the types and lengths of wire facts §3, in that order', () => {
    expect(WIRE_FACTS).toHaveLength(35);
    expect(ETK_IDENTIFIER_TYPES.map((t) => [t.type, t.length])).toEqual(WIRE_FACTS);
  });

  test('every type except SSIN is an organisation type', () => {
    for (const t of ETK_IDENTIFIER_TYPES) expect([t.type, t.isOrganization]).toEqual([t.type, t.type !== 'SSIN']);
    expect(ORGANIZATION_IDENTIFIER_TYPES.map((t) => t.type)).toEqual(WIRE_FACTS.map(([t]) => t).filter((t) => t !== 'SSIN'));
    expect(isOrganizationType('NIHII-HOSPITAL')).toBe(true);
    expect(isOrganizationType('SSIN')).toBe(false);
    expect(isOrganizationType('NOPE')).toBe(false);
  });

  test('kinds', () => {
    const kinds = Object.fromEntries(ETK_IDENTIFIER_TYPES.map((t) => [t.type, t.kind]));
    expect(kinds).toMatchObject({
      SSIN: 'SSIN',
      CBE: 'CBE',
      'CBE-TREAT_CENTER': 'CBE',
      'CBE-CONSORTIUM': 'CBE',
      EHP: 'EHP',
      'EHP-CTRL_ORGANISM': 'EHP',
      NIHII: 'NIHII',
      NIHII11: 'NIHII11',
      'NIHII-HOSPITAL': 'NIHII',
      SITE: 'SITE',
      SITESMUR: 'SITE',
      SITEPIT: 'SITE',
    });
    for (const t of ETK_IDENTIFIER_TYPES.filter((x) => x.type.startsWith('NIHII-'))) expect(t.kind).toBe('NIHII');
  });

  test('human names: NIHII-HOSPITAL is "Hospital"; all names present and distinct', () => {
    expect(findEtkIdentifierType('NIHII-HOSPITAL')!.name).toBe('Hospital');
    expect(findEtkIdentifierType('NIHII-LABO')!.name).toBe('Laboratory');
    const names = ETK_IDENTIFIER_TYPES.map((t) => t.name);
    expect(names.every((n) => n.trim().length > 0)).toBe(true);
    expect(new Set(names).size).toBe(names.length);
  });

  test('validation regexes (Java syntax, whole-value match)', () => {
    expect(findEtkIdentifierType('NIHII-HOSPITAL')!.validationRegex).toBe('[0-9]{8}');
    expect(findEtkIdentifierType('CBE')!.validationRegex).toBe('[01][0-9]{9}');
    expect(findEtkIdentifierType('NIHII11')!.validationRegex).toBe('[0-9]{11}');
    expect(findEtkIdentifierType('SITE')!.validationRegex).toBe('[0-9]{4}');
    for (const t of ETK_IDENTIFIER_TYPES) {
      const re = new RegExp(`^(?:${t.validationRegex})$`);
      expect([t.type, re.test('1'.repeat(t.length)), re.test('1'.repeat(t.length + 1)), re.test('1'.repeat(t.length - 1))]).toEqual([
        t.type,
        true,
        false,
        false,
      ]);
      // only constructs whose meaning is the same in Java and JavaScript
      expect(t.validationRegex).toMatch(/^(\[[0-9-]+\](\{\d+\})?)+$/u);
    }
  });

  test('check digit algorithms advertised', () => {
    const algos = Object.fromEntries(ETK_IDENTIFIER_TYPES.map((t) => [t.type, t.checkDigitAlgorithms]));
    expect(algos['CBE']).toEqual(['CHECK-97-MOD-97']);
    expect(algos['EHP']).toEqual(['CHECK-97-MOD-97']);
    expect(algos['NIHII-HOSPITAL']).toEqual(['CHECK-97-MOD-97']);
    expect(algos['SSIN']).toEqual(['CHECK-97-MOD-97']);
    expect(algos['NIHII11']).toEqual([]);
    expect(algos['SITE']).toEqual([]);
    expect(algos['SITESMUR']).toEqual([]);
    expect(algos['SITEPIT']).toEqual([]);
  });

  test('property: for organisation types advertising CHECK-97-MOD-97, the generic reading agrees with validateIdentifier', () => {
    const advertised = ORGANIZATION_IDENTIFIER_TYPES.filter((t) => t.checkDigitAlgorithms.includes('CHECK-97-MOD-97'));
    expect(advertised.length).toBe(30); // 34 organisation types minus NIHII11, SITE, SITESMUR, SITEPIT
    fc.assert(
      fc.property(
        fc.constantFrom(...advertised).chain((t) => fc.tuple(fc.constant(t), fc.oneof(validValueArb(t), digits(t.length)))),
        ([t, v]) => {
          const formatOk = new RegExp(`^(?:${t.validationRegex})$`).test(v);
          const base = v.slice(0, -2);
          const generic = formatOk && v.slice(-2) === String(97 - Number(BigInt(base) % 97n)).padStart(2, '0');
          expect(validateIdentifier(t.type, v).ok).toBe(generic);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('findEtkIdentifierType', () => {
  test('exact, case-sensitive lookup', () => {
    expect(findEtkIdentifierType('NIHII-HOSPITAL')?.length).toBe(8);
    expect(findEtkIdentifierType('SSIN')?.length).toBe(11);
    expect(findEtkIdentifierType('nihii-hospital')).toBeUndefined();
    expect(findEtkIdentifierType('INSS')).toBeUndefined();
    expect(findEtkIdentifierType('NIHII_HOSPITAL')).toBeUndefined();
    expect(findEtkIdentifierType('')).toBeUndefined();
  });
});

describe('normaliseForLookup (connector formatIdentifierValue)', () => {
  test.each([
    ['NIHII', '12345625004', '12345625'], // a person NIHII searched as NIHII loses its qualification
    ['NIHII-HOSPITAL', '71089815', '71089815'],
    ['NIHII-HOSPITAL', '1089815', '01089815'],
    ['CBE', '820563481', '0820563481'],
    ['SSIN', '5073003328', '05073003328'],
    ['SSIN', '850730033280', '85073003328'],
    ['SITE', '12', '0012'],
    ['SITE', '', '0000'],
    ['EHP', '1990001916', '1990001916'],
  ])('(%s, %j) → %s', (type, value, expected) => {
    expect(normaliseForLookup(type, value)).toBe(expected);
  });

  test('unknown type → null', () => {
    expect(normaliseForLookup('FOO', '1')).toBeNull();
  });

  test('property: always yields the type length; pads on the left, or keeps the prefix', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ETK_IDENTIFIER_TYPES), fc.string({ maxLength: 20 }), (t, v) => {
        const r = normaliseForLookup(t.type, v)!;
        expect(r).toHaveLength(t.length);
        if (v.length > t.length) expect(r).toBe(v.slice(0, t.length));
        else expect(r).toBe('0'.repeat(t.length - v.length) + v);
      }),
    );
  });
});

describe('validateIdentifier', () => {
  test.each([
    ['SSIN', '85073003328'],
    ['SSIN', '04031800277'],
    ['SSIN', '00000000097'],
    ['SSIN', '85473003317'],
    ['CBE', '0820563481'],
    ['CBE-TREAT_CENTER', '0809394427'],
    ['NIHII-HOSPITAL', '71089815'],
    ['NIHII-LABO', '89999964'],
    ['NIHII', '71089815'],
    ['NIHII11', '12345625004'],
    ['EHP', '1990001916'],
    ['EHP-CTRL_ORGANISM', '1990001916'],
    ['SITE', '0042'],
    ['SITESMUR', '1234567890'],
  ])('%s %s is valid', (type, value) => {
    expect(validateIdentifier(type, value, { now: NOW })).toEqual({ ok: true, value, identifierType: findEtkIdentifierType(type) });
  });

  test.each([
    ['SSIN', '85073003329'],
    ['SSIN', '04031800278'],
    ['CBE', '0820563482'],
    ['NIHII-HOSPITAL', '71089816'],
    ['NIHII-LABO', '89999965'],
    ['NIHII11', '12345626004'],
    ['EHP', '1990001917'],
  ])('%s %s: BAD_CHECK_DIGIT', (type, value) => {
    expect(validateIdentifier(type, value, { now: NOW })).toEqual({ ok: false, reason: 'BAD_CHECK_DIGIT' });
  });

  test.each([
    ['SSIN', '8507300332'],
    ['SSIN', '85133003328'], // month 13
    ['SSIN', '85023003328'.slice(0, 9) + ssinCheckDigits('850230033', 1900)], // 30 February
    ['CBE', '2820563481'],
    ['CBE', '820563481'],
    ['NIHII', '12345625004'], // a person NIHII is not an 8-digit NIHII
    ['NIHII-HOSPITAL', '7108981A'],
    ['NIHII11', '71089815'],
    ['EHP', '199000191'],
    ['SITE', '123'],
    ['SITE', '12345'],
    ['SITEPIT', '12345678a0'],
  ])('%s %j: BAD_FORMAT', (type, value) => {
    expect(validateIdentifier(type, value, { now: NOW })).toEqual({ ok: false, reason: 'BAD_FORMAT' });
  });

  test('UNKNOWN_TYPE', () => {
    expect(validateIdentifier('INSS', '85073003328')).toEqual({ ok: false, reason: 'UNKNOWN_TYPE' });
    expect(validateIdentifier('nihii-hospital', '71089815')).toEqual({ ok: false, reason: 'UNKNOWN_TYPE' });
  });

  test('surrounding white space is ignored, inner separators are not', () => {
    expect(validateIdentifier('NIHII-HOSPITAL', ' 71089815\n')).toMatchObject({ ok: true, value: '71089815' });
    expect(validateIdentifier('NIHII-HOSPITAL', '710898 15')).toEqual({ ok: false, reason: 'BAD_FORMAT' });
  });

  test('SSIN of a 2000+ birth in the future: BAD_CHECK_DIGIT at that time, valid later', () => {
    const base = '300101001';
    const v = base + ssinCheckDigits(base, 2000);
    expect(validateIdentifier('SSIN', v, { now: NOW })).toEqual({ ok: false, reason: 'BAD_CHECK_DIGIT' });
    expect(validateIdentifier('SSIN', v, { now: new Date('2030-06-01T00:00:00Z') }).ok).toBe(true);
  });

  test('property: generated valid values of every type are accepted', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ETK_IDENTIFIER_TYPES).chain((t) => fc.tuple(fc.constant(t), validValueArb(t))),
        ([t, v]) => {
          expect(validateIdentifier(t.type, v, { now: NOW })).toEqual({ ok: true, value: v, identifierType: t });
        },
      ),
      { numRuns: 500 },
    );
  });

  test('property: values of the wrong length are BAD_FORMAT', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ETK_IDENTIFIER_TYPES), fc.integer({ min: 0, max: 14 }), (t, n) => {
        fc.pre(n !== t.length);
        expect(validateIdentifier(t.type, '1'.repeat(n), { now: NOW })).toEqual({ ok: false, reason: 'BAD_FORMAT' });
      }),
    );
  });
});
