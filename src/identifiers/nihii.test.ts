import fc from 'fast-check';
import { isValidNihii11, isValidNihii8, joinPersonNihii, nihiiCheckDigits, normaliseNihii, splitPersonNihii } from './nihii.js';

function singleDigitMutations(value: string, upTo = value.length): string[] {
  const out: string[] = [];
  for (let i = 0; i < upTo; i++) for (let d = 0; d <= 9; d++) if (String(d) !== value[i]) out.push(value.slice(0, i) + d + value.slice(i + 1));
  return out;
}

const digits = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: n, maxLength: n });
const validNihii8Arb = digits(6).map((b) => b + nihiiCheckDigits(b));
const validNihii11Arb = fc.tuple(validNihii8Arb, digits(3)).map(([n8, q]) => n8 + q);

describe('NIHII (wire facts §7)', () => {
  test('71089815 (NIHII-HOSPITAL acceptance id) is valid: 710898 mod 97 = 82 → 15', () => {
    expect(nihiiCheckDigits('710898')).toBe('15');
    expect(isValidNihii8('71089815')).toBe(true);
  });

  test('89999964 (NIHII-LABO acceptance id) is valid: 899999 → 64', () => {
    expect(nihiiCheckDigits('899999')).toBe('64');
    expect(isValidNihii8('89999964')).toBe(true);
  });

  test.each(['71089816', '71089915', '89999965', '89989964'])('%s (one digit changed) is rejected', (v) => {
    expect(isValidNihii8(v)).toBe(false);
  });

  test('person NIHII 1-23456-25-xxx: 11 digits = 8-digit NIHII + 3 qualification digits', () => {
    expect(nihiiCheckDigits('123456')).toBe('25');
    expect(isValidNihii11('12345625004')).toBe(true);
    expect(isValidNihii11('12345626004')).toBe(false);
    expect(isValidNihii8('12345625004')).toBe(false);
    expect(isValidNihii11('12345625')).toBe(false);
    expect(splitPersonNihii('12345625004')).toEqual({ nihii8: '12345625', base: '123456', checkDigits: '25', qualification: '004' });
    expect(splitPersonNihii('12345626004')).toBeNull();
    expect(joinPersonNihii('12345625', '004')).toBe('12345625004');
    expect(() => joinPersonNihii('12345626', '004')).toThrow(RangeError);
    expect(() => joinPersonNihii('12345625', '04')).toThrow(RangeError);
  });

  test.each([
    ['1-23456-25-004', '12345625004'],
    ['1.23456.25.004', '12345625004'],
    ['7108 98 15', '71089815'],
    ['71089815', '71089815'],
  ])('normaliseNihii(%j) = %s', (input, expected) => {
    expect(normaliseNihii(input)).toBe(expected);
  });

  test.each(['1-23456-26-004', '7108 98 16', '123456250', ''])('normaliseNihii(%j) = null', (input) => {
    expect(normaliseNihii(input)).toBeNull();
  });

  test('property: generated valid numbers are accepted (8 and 11 digits)', () => {
    fc.assert(fc.property(validNihii8Arb, (v) => expect(isValidNihii8(v)).toBe(true)));
    fc.assert(
      fc.property(validNihii11Arb, (v) => {
        expect(isValidNihii11(v)).toBe(true);
        expect(splitPersonNihii(v)!.nihii8).toBe(v.slice(0, 8));
      }),
    );
  });

  test('property: every single-digit change of a valid 8-digit NIHII is rejected', () => {
    fc.assert(
      fc.property(validNihii8Arb, (v) => {
        for (const m of singleDigitMutations(v)) expect([m, isValidNihii8(m)]).toEqual([m, false]);
      }),
    );
  });

  test('property: in an 11-digit NIHII, changes to digits 1–8 are rejected; the qualification is not checked', () => {
    fc.assert(
      fc.property(validNihii11Arb, (v) => {
        for (const m of singleDigitMutations(v, 8)) expect([m, isValidNihii11(m)]).toEqual([m, false]);
        const q = v.slice(0, 8) + String((Number(v[8]) + 1) % 10) + v.slice(9);
        expect(isValidNihii11(q)).toBe(true);
      }),
    );
  });
});
