import fc from 'fast-check';
import { ehpCheckDigits, isValidEhp, normaliseEhp } from './ehp.js';

function singleDigitMutations(value: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < value.length; i++) for (let d = 0; d <= 9; d++) if (String(d) !== value[i]) out.push(value.slice(0, i) + d + value.slice(i + 1));
  return out;
}

const validEhpArb = fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 8, maxLength: 8 }).map((base) => base + ehpCheckDigits(base));

describe('EHP (wire facts §7)', () => {
  test('1990001916 is valid (19900019 mod 97 = 81 → 16)', () => {
    expect(ehpCheckDigits('19900019')).toBe('16');
    expect(isValidEhp('1990001916')).toBe(true);
  });

  test.each(['1990001917', '1990001926', '1990011916', '2990001916'])('%s (one digit changed) is rejected', (v) => {
    expect(isValidEhp(v)).toBe(false);
  });

  test.each(['199000191', '19900019160', '1990 001916', ''])('strict form rejects %j', (v) => {
    expect(isValidEhp(v)).toBe(false);
  });

  test('normaliseEhp strips separators', () => {
    expect(normaliseEhp(' 1990.001.916 ')).toBe('1990001916');
    expect(normaliseEhp('1990-001-917')).toBeNull();
  });

  test('property: generated valid numbers are accepted', () => {
    fc.assert(fc.property(validEhpArb, (v) => expect(isValidEhp(v)).toBe(true)));
  });

  test('property: every single-digit change of a valid number is rejected', () => {
    fc.assert(
      fc.property(validEhpArb, (v) => {
        for (const m of singleDigitMutations(v)) expect([m, isValidEhp(m)]).toEqual([m, false]);
      }),
    );
  });
});
