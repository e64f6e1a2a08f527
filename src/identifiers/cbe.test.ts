import fc from 'fast-check';
import { cbeCheckDigits, isValidCbe, normaliseCbe } from './cbe.js';

function singleDigitMutations(value: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < value.length; i++) for (let d = 0; d <= 9; d++) if (String(d) !== value[i]) out.push(value.slice(0, i) + d + value.slice(i + 1));
  return out;
}

const validCbeArb = fc
  .tuple(fc.constantFrom('0', '1'), fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 7, maxLength: 7 }))
  .map(([first, rest]) => first + rest + cbeCheckDigits(first + rest));

describe('CBE (wire facts §7)', () => {
  test.each(['0820563481', '0809394427'])('%s is valid', (v) => {
    expect(isValidCbe(v)).toBe(true);
  });

  test('check digits of the worked examples', () => {
    expect(cbeCheckDigits('08205634')).toBe('81');
    expect(cbeCheckDigits('08093944')).toBe('27');
  });

  test.each([
    ['0820563482', 'check digit changed'],
    ['0820573481', 'base digit changed'],
    ['0809394428', 'check digit changed'],
    ['0809494427', 'base digit changed'],
  ])('%s is rejected (%s)', (v) => {
    expect(isValidCbe(v)).toBe(false);
  });

  test('first digit must be 0 or 1, even with correct check digits', () => {
    const base = '28205634';
    expect(isValidCbe(base + cbeCheckDigits(base))).toBe(false);
    const one = '18205634';
    expect(isValidCbe(one + cbeCheckDigits(one))).toBe(true);
  });

  test.each(['820563481', '08205634811', '0820 563481', 'BE0820563481', ''])('strict form rejects %j', (v) => {
    expect(isValidCbe(v)).toBe(false);
  });

  test.each([
    ['BE0820.563.481', '0820563481'],
    ['be 0820 563 481', '0820563481'],
    ['0820-563-481', '0820563481'],
    ['0809.394.427', '0809394427'],
    ['820.563.481', '0820563481'],
    ['BE 820563481', '0820563481'],
  ])('normaliseCbe(%j) = %s', (input, expected) => {
    expect(normaliseCbe(input)).toBe(expected);
  });

  test.each(['BE0820.563.482', 'NL0820563481', '0820.563.48', '2820563481', 'BE'])('normaliseCbe(%j) = null', (input) => {
    expect(normaliseCbe(input)).toBeNull();
  });

  test('property: generated valid numbers are accepted', () => {
    fc.assert(fc.property(validCbeArb, (v) => expect(isValidCbe(v)).toBe(true)));
  });

  test('property: every single-digit change of a valid number is rejected', () => {
    fc.assert(
      fc.property(validCbeArb, (v) => {
        for (const m of singleDigitMutations(v)) expect([m, isValidCbe(m)]).toEqual([m, false]);
      }),
    );
  });
});
